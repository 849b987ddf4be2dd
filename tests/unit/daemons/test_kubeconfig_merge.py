import pytest

from kubelite.daemons.kubeconfig_merge import merge

pytestmark = pytest.mark.unit

OURS = {"clusters": [{"name": "local", "cluster": {"server": "https://127.0.0.1:6443",
                                                   "certificate-authority-data": "Q0E="}}],
        "users": [{"name": "admin", "user": {"token": "t0k"}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": "admin"}}]}


def test_merge_into_nothing_and_into_a_config_with_other_clusters() -> None:
    fresh = merge(None, OURS)
    assert fresh["current-context"] == "kubelite"
    assert fresh["clusters"] == [{"name": "kubelite", "cluster": OURS["clusters"][0]["cluster"]}]
    assert fresh["users"] == [{"name": "kubelite", "user": {"token": "t0k"}}]
    existing = {"apiVersion": "v1", "kind": "Config", "current-context": "prod",
                "clusters": [{"name": "prod", "cluster": {"server": "https://prod"}},
                             {"name": "kubelite", "cluster": {"server": "https://old"}}],
                "users": [{"name": "me", "user": {"token": "x"}}],
                "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "me"}}]}
    merged = merge(existing, OURS)
    assert [c["name"] for c in merged["clusters"]] == ["prod", "kubelite"]
    assert merged["clusters"][1]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert [c["name"] for c in merged["contexts"]] == ["prod", "kubelite"]
    assert merged["users"][0] == {"name": "me", "user": {"token": "x"}}
    assert merged["current-context"] == "kubelite"

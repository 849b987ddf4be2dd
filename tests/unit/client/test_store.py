import pytest

from kubelite.client.store import (
    LABEL_INDEX,
    NAMESPACE_INDEX,
    DeletedFinalStateUnknown,
    Store,
    deletion_key,
    meta_namespace_key,
    split_key,
)

pytestmark = pytest.mark.unit


def pod(name: str, ns: str = "default", rv: str = "1", **labels: str) -> dict:
    return {"metadata": {"name": name, "namespace": ns, "resourceVersion": rv, "labels": labels}}


def test_keys() -> None:
    assert meta_namespace_key(pod("a", "ns1")) == "ns1/a"
    assert meta_namespace_key({"metadata": {"name": "node1"}}) == "node1"
    assert split_key("ns1/a") == ("ns1", "a")
    assert split_key("node1") == ("", "node1")
    assert deletion_key(DeletedFinalStateUnknown("x/y", pod("y", "x"))) == "x/y"


def test_add_update_delete_and_indexes_follow() -> None:
    s = Store()
    s.add(pod("a", app="web"))
    s.add(pod("b", "other", app="web"))
    s.add(pod("c", app="db"))
    assert sorted(s.list_keys()) == ["default/a", "default/c", "other/b"]
    assert [o["metadata"]["name"] for o in s.by_index(LABEL_INDEX, "app=web")] == ["a", "b"]
    assert s.index_keys(NAMESPACE_INDEX, "default") == ["default/a", "default/c"]
    old = s.update(pod("a", rv="2", app="db"))
    assert old is not None and old["metadata"]["resourceVersion"] == "1"
    assert s.index_keys(LABEL_INDEX, "app=web") == ["other/b"]
    assert s.index_keys(LABEL_INDEX, "app=db") == ["default/a", "default/c"]
    s.delete(pod("b", "other"))
    assert s.index_keys(LABEL_INDEX, "app=web") == []
    assert "app=web" not in s.index_values(LABEL_INDEX), "empty index entries are dropped"
    assert s.get_by_key("other/b") is None
    assert len(s) == 2


def test_custom_index_added_late_covers_existing_objects() -> None:
    s = Store()
    p = pod("a")
    p["spec"] = {"nodeName": "n1"}
    s.add(p)
    s.add_indexers({"node": lambda o: [o.get("spec", {}).get("nodeName", "")]})
    assert s.index_keys("node", "n1") == ["default/a"]
    with pytest.raises(KeyError):
        s.index_keys("missing", "x")


def test_replace_reports_deltas() -> None:
    s = Store()
    s.add(pod("keep", rv="1"))
    s.add(pod("gone", rv="1"))
    res = s.replace([pod("keep", rv="5"), pod("new", rv="6")])
    assert [o["metadata"]["name"] for o in res.added] == ["new"]
    assert [(o["metadata"]["resourceVersion"], n["metadata"]["resourceVersion"]) for o, n in res.updated] == [
        ("1", "5")
    ]
    assert [k for k, _ in res.deleted] == ["default/gone"]
    assert sorted(s.list_keys()) == ["default/keep", "default/new"]
    assert s.index_keys(NAMESPACE_INDEX, "default") == ["default/keep", "default/new"]


def test_select_by_label_selector_and_namespace() -> None:
    s = Store()
    s.add(pod("a", app="web", tier="fe"))
    s.add(pod("b", app="web"))
    s.add(pod("c", "ns2", app="web"))
    assert sorted(o["metadata"]["name"] for o in s.select("app=web,tier")) == ["a"]
    assert sorted(o["metadata"]["name"] for o in s.select("app in (web)", namespace="default")) == ["a", "b"]
    assert len(s.select(None)) == 3

"""imagePullSecrets merged into one Docker config document for the pod's pulls."""

import base64
import json
from typing import Any

import pytest

from kubelite.kubelet.pullsecrets import pull_auth

pytestmark = pytest.mark.unit


def _b64(doc: Any) -> str:
    return base64.b64encode(json.dumps(doc).encode()).decode()


SECRETS: dict[str, dict[str, Any]] = {
    "regcred": {"type": "kubernetes.io/dockerconfigjson",
                "data": {".dockerconfigjson": _b64({"auths": {"reg.example:5000": {"auth": "YTpi"}}})}},
    "other": {"type": "kubernetes.io/dockerconfigjson",
              "data": {".dockerconfigjson": _b64({"auths": {"reg.example:5000": {"auth": "bG9zZXI6eA=="},
                                                             "quay.example": {"auth": "cTpx"}}})}},
    "legacy": {"type": "kubernetes.io/dockercfg", "data": {".dockercfg": _b64({"old.example": {"auth": "bzpv"}})}},
    "opaque": {"type": "Opaque", "data": {"x": "eA=="}},
}


def _lookup(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    assert (kind, namespace) == ("Secret", "team")
    return SECRETS.get(name)


def _pod(*names: str) -> dict[str, Any]:
    return {"metadata": {"namespace": "team"}, "spec": {"imagePullSecrets": [{"name": n} for n in names]}}


def test_secrets_merge_in_order_first_wins() -> None:
    auth, unusable = pull_auth(_pod("regcred", "other", "legacy"), _lookup)
    assert unusable == []
    assert json.loads(auth) == {"auths": {"reg.example:5000": {"auth": "YTpi"}, "quay.example": {"auth": "cTpx"},
                                          "old.example": {"auth": "bzpv"}}}


def test_missing_or_unusable_secrets_are_named_and_none_means_no_auth() -> None:
    auth, unusable = pull_auth(_pod("nope", "opaque", "regcred"), _lookup)
    assert unusable == ["nope", "opaque"] and "reg.example:5000" in json.loads(auth)["auths"]
    assert pull_auth(_pod(), _lookup) == ("", [])
    assert pull_auth({"metadata": {"namespace": "team"}, "spec": {}}, _lookup) == ("", [])

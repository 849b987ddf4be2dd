"""The dashboard's pure parts: which API paths the browser may name, pasted manifests, the template that
``rollout undo`` sends back, and the exec query."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from kubelite.dashboard.actions import parse_manifests, previous_template
from kubelite.dashboard.paths import api_path, valid_name
from kubelite.dashboard.streams import exec_query

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("path", [
    "/api/v1/pods", "/api/v1/namespaces/default/pods/web-1", "/apis/apps/v1/namespaces/x/deployments",
    "/api/v1/nodes/n1", "/apis/apps/v1/namespaces/d/deployments/web/scale",
])
def test_plain_api_paths_are_accepted(path: str) -> None:
    assert api_path(path) == path


@pytest.mark.parametrize("path", [
    "/", "/healthz", "/metrics", "/api/v1/namespaces/d/pods/p/log", "/api/v1/namespaces/d/pods/p/exec",
    "/api/v1/namespaces/d/services/s/proxy", "/api/v1/namespaces/d/pods/p/portforward", "/api/../etc",
    "/api/v1/pods?watch=1", "/api/v1//pods", "/api/v1/pods/", "api/v1/pods", "/apis/a b",
])
def test_streaming_and_foreign_paths_are_refused(path: str) -> None:
    assert api_path(path) is None


def test_names() -> None:
    assert valid_name("web-5bf75f74c5-whg7f") and valid_name("kube-system")
    assert not valid_name("") and not valid_name("../x") and not valid_name("A") and not valid_name("a/b")


def test_manifests_several_documents_and_lists() -> None:
    text = """
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: b}}
- {apiVersion: v1, kind: Service, metadata: {name: c}}
---
"""
    assert [o["metadata"]["name"] for o in parse_manifests(text)] == ["a", "b", "c"]


@pytest.mark.parametrize(("text", "message"), [
    ("kind: [", "invalid YAML: line"),
    ("metadata: {name: x}", "every object needs apiVersion and kind"),
    ("- a\n- b", "every object needs apiVersion and kind"),
    ("", "the manifest holds no object"),
])
def test_bad_manifests_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        parse_manifests(text)


def _rs(name: str, revision: str, owner: str, image: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "annotations": {"deployment.kubernetes.io/revision": revision},
                         "ownerReferences": [{"uid": owner}]},
            "spec": {"template": {"metadata": {"labels": {"app": "web", "pod-template-hash": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}}}


def test_undo_takes_the_newest_revision_before_the_current_one() -> None:
    d = {"metadata": {"uid": "d1", "annotations": {"deployment.kubernetes.io/revision": "3"}}}
    rss = [_rs("r1", "1", "d1", "v1"), _rs("r3", "3", "d1", "v3"), _rs("r2", "2", "d1", "v2"),
           _rs("other", "9", "someone-else", "v9")]
    template = previous_template(d, rss)
    assert template is not None
    assert template["spec"]["containers"][0]["image"] == "v2"
    assert template["metadata"]["labels"] == {"app": "web"}  # no pod-template-hash
    assert "pod-template-hash" in rss[2]["spec"]["template"]["metadata"]["labels"]  # the input is not changed


def test_undo_without_history() -> None:
    d = {"metadata": {"uid": "d1", "annotations": {"deployment.kubernetes.io/revision": "1"}}}
    assert previous_template(d, [_rs("r1", "1", "d1", "v1")]) is None


def test_exec_query_names_each_argument_and_the_streams() -> None:
    pairs = parse_qsl(exec_query("main", ["sh", "-c", "echo a&b"], tty=True))
    assert pairs == [("command", "sh"), ("command", "-c"), ("command", "echo a&b"), ("stdin", "true"),
                     ("stdout", "true"), ("stderr", "false"), ("tty", "true"), ("container", "main")]
    assert ("stderr", "true") in parse_qsl(exec_query("", ["ls"], tty=False))


def test_the_copy_to_edit_leaves_out_what_the_server_owns() -> None:
    from kubelite.dashboard.proxy import for_editing

    obj = {"apiVersion": "v1", "kind": "Service", "status": {"loadBalancer": {}},
           "metadata": {"name": "web", "namespace": "d", "uid": "u", "resourceVersion": "7", "generation": 2,
                        "creationTimestamp": "t", "managedFields": [{}], "labels": {"a": "b"},
                        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "keep": "me"}},
           "spec": {"ports": [{"port": 80}]}}
    assert for_editing(obj) == {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]},
                                "metadata": {"name": "web", "namespace": "d", "labels": {"a": "b"},
                                             "annotations": {"keep": "me"}}}
    assert obj["metadata"]["uid"] == "u" and "status" in obj  # the input is not changed
    last_applied = {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
    only_applied = {"metadata": {"name": "x", "annotations": last_applied}}
    assert for_editing(only_applied) == {"metadata": {"name": "x"}}

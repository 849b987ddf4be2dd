from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from kubelite.api.merge_patch import apply_merge_patch
from kubelite.api.patch_errors import PatchError
from kubelite.api.strategic import apply_strategic_patch

pytestmark = pytest.mark.unit


def deployment(containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"app": "x"}, "finalizers": ["a", "b"]},
        "spec": {"replicas": 1, "template": {"spec": {"containers": containers,
                                                      "tolerations": [{"key": "k1"}]}}},
    }


BASE = deployment([
    {"name": "x", "image": "nginx:1.25", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
     "ports": [{"containerPort": 80}, {"containerPort": 443}]},
    {"name": "side", "image": "busybox"},
])


def spec_patch(pod_spec: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": pod_spec}}}


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return result


def test_kubectl_set_image_merges_container_by_name() -> None:
    out = apply_strategic_patch(BASE, spec_patch({
        "$setElementOrder/containers": [{"name": "x"}, {"name": "side"}],
        "containers": [{"image": "nginx:1.27", "name": "x"}],
    }))
    assert [c["name"] for c in containers(out)] == ["x", "side"]
    assert containers(out)[0]["image"] == "nginx:1.27"
    assert containers(out)[0]["env"] == BASE["spec"]["template"]["spec"]["containers"][0]["env"]
    assert containers(BASE)[0]["image"] == "nginx:1.25"  # input untouched


def test_nested_merge_keys_env_and_ports() -> None:
    out = apply_strategic_patch(BASE, spec_patch({"containers": [{
        "name": "x",
        "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
        "ports": [{"containerPort": 8080}],
    }]}))
    c = containers(out)[0]
    assert c["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]
    # kube's mergeSortedSlice puts patch items it cannot place by server order before server-only ones
    assert [p["containerPort"] for p in c["ports"]] == [8080, 80, 443]


def test_new_container_and_delete_directive() -> None:
    out = apply_strategic_patch(BASE, spec_patch({"containers": [
        {"name": "side", "$patch": "delete"}, {"name": "new", "image": "redis"},
    ]}))
    assert [c["name"] for c in containers(out)] == ["new", "x"]
    ordered = apply_strategic_patch(BASE, spec_patch({
        "$setElementOrder/containers": [{"name": "x"}, {"name": "side"}, {"name": "new"}],
        "containers": [{"name": "new", "image": "redis"}],
    }))
    assert [c["name"] for c in containers(ordered)] == ["x", "side", "new"]


def test_replace_directive_on_list_and_map() -> None:
    out = apply_strategic_patch(BASE, spec_patch({"containers": [
        {"name": "only", "image": "i"}, {"$patch": "replace"},
    ]}))
    assert containers(out) == [{"name": "only", "image": "i"}]
    out2 = apply_strategic_patch(BASE, {"metadata": {"labels": {"$patch": "replace", "new": "1"}}})
    assert out2["metadata"]["labels"] == {"new": "1"}
    out3 = apply_strategic_patch(BASE, {"metadata": {"labels": {"$patch": "delete"}}})
    assert "labels" not in out3["metadata"]


def test_non_merge_lists_replace_and_null_deletes() -> None:
    out = apply_strategic_patch(BASE, spec_patch({"tolerations": [{"key": "k2"}]}))
    assert out["spec"]["template"]["spec"]["tolerations"] == [{"key": "k2"}]
    out = apply_strategic_patch(BASE, {"spec": {"replicas": None}, "metadata": {"labels": {"app": None}}})
    assert "replicas" not in out["spec"] and out["metadata"]["labels"] == {}


def test_primitive_merge_list_union_and_delete_from_primitive_list() -> None:
    out = apply_strategic_patch(BASE, {"metadata": {"finalizers": ["b", "c"]}})
    assert out["metadata"]["finalizers"] == ["a", "b", "c"]
    out = apply_strategic_patch(BASE, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert out["metadata"]["finalizers"] == ["b"]


def test_retain_keys_on_deployment_strategy() -> None:
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"strategy": {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    out = apply_strategic_patch(obj, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    with pytest.raises(PatchError, match="not in the \\$retainKeys list"):
        apply_strategic_patch(obj, {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}})


def test_set_element_order_reorders() -> None:
    out = apply_strategic_patch(BASE, spec_patch({
        "$setElementOrder/containers": [{"name": "side"}, {"name": "x"}],
    }))
    assert [c["name"] for c in containers(out)] == ["side", "x"]


def test_pod_level_merge_keys() -> None:
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "ownerReferences": [
            {"uid": "u1", "name": "a", "kind": "K", "apiVersion": "v1"}]},
        "spec": {
            "containers": [{"name": "c", "volumeMounts": [{"mountPath": "/a", "name": "v"}]}],
            "volumes": [{"name": "v", "emptyDir": {}}],
            "imagePullSecrets": [{"name": "s1"}],
            "hostAliases": [{"ip": "1.1.1.1", "hostnames": ["a"]}],
        },
        "status": {"conditions": [{"type": "Ready", "status": "False"},
                                  {"type": "Initialized", "status": "True"}]},
    }
    out = apply_strategic_patch(pod, {
        "metadata": {"ownerReferences": [{"uid": "u2", "name": "b", "kind": "K", "apiVersion": "v1"}]},
        "spec": {
            "containers": [{"name": "c", "volumeMounts": [{"mountPath": "/b", "name": "w"}]}],
            "volumes": [{"name": "v", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}],
            "imagePullSecrets": [{"name": "s2"}],
            "hostAliases": [{"ip": "1.1.1.1", "hostnames": ["b"]}],
        },
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    })
    assert [r["uid"] for r in out["metadata"]["ownerReferences"]] == ["u2", "u1"]
    assert [m["mountPath"] for m in out["spec"]["containers"][0]["volumeMounts"]] == ["/b", "/a"]
    assert out["spec"]["volumes"] == [{"name": "v", "hostPath": {"path": "/x"}}]
    assert [s["name"] for s in out["spec"]["imagePullSecrets"]] == ["s2", "s1"]
    assert out["spec"]["hostAliases"] == [{"ip": "1.1.1.1", "hostnames": ["b"]}]
    assert out["status"]["conditions"] == [{"type": "Ready", "status": "True"},
                                           {"type": "Initialized", "status": "True"}]


def test_service_ports_by_port_and_node_uncordon() -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}
    out = apply_strategic_patch(svc, {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443}]}})
    assert out["spec"]["ports"] == [{"port": 80, "targetPort": 8080, "name": "http"}, {"port": 443}]
    node = {"apiVersion": "v1", "kind": "Node", "spec": {"unschedulable": True}}
    assert apply_strategic_patch(node, {"spec": {"unschedulable": None}})["spec"] == {}


def test_missing_merge_key_is_an_error() -> None:
    with pytest.raises(PatchError, match="does not contain declared merge key: name"):
        apply_strategic_patch(BASE, spec_patch({"containers": [{"image": "x"}]}))


def test_unknown_kind_merges_maps_and_replaces_lists() -> None:
    obj = {"apiVersion": "x/v1", "kind": "Thing", "spec": {"a": [1, 2], "m": {"k": 1}}}
    out = apply_strategic_patch(obj, {"spec": {"a": [3], "m": {"j": 2}}})
    assert out["spec"] == {"a": [3], "m": {"k": 1, "j": 2}}


def test_client_side_apply_patch_shape() -> None:
    ann = "kubectl.kubernetes.io/last-applied-configuration"
    out = apply_strategic_patch(BASE, {
        "metadata": {"annotations": {ann: "{}\n"}},
        "spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "x"}, {"name": "side"}],
                                       "containers": [{"image": "nginx:1.27", "name": "x"}]}}},
    })
    assert out["metadata"]["annotations"] == {ann: "{}\n"}
    assert containers(out)[0]["image"] == "nginx:1.27"


_scalar = hs.one_of(hs.booleans(), hs.integers(-3, 3), hs.text(alphabet="abc", max_size=2))
_key = hs.text(alphabet="xyz", min_size=1, max_size=2)
_tree = hs.recursive(_scalar, lambda inner: hs.dictionaries(_key, inner, max_size=3), max_leaves=8)
_patch_tree = hs.recursive(hs.one_of(_scalar, hs.none()), lambda inner: hs.dictionaries(_key, inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=40, deadline=None)
@given(hs.dictionaries(_key, _tree, max_size=4), hs.dictionaries(_key, _patch_tree, max_size=4))
def test_without_lists_strategic_merge_equals_json_merge_patch(doc: dict[str, Any], patch: dict[str, Any]) -> None:
    unknown = {"apiVersion": "x.example/v1", "kind": "Thing"}
    assert apply_strategic_patch({**doc, **unknown}, patch) == apply_merge_patch({**doc, **unknown}, patch)
    once = apply_strategic_patch(doc, patch, "io.k8s.api.core.v1.ConfigMap")
    assert apply_strategic_patch(once, patch, "io.k8s.api.core.v1.ConfigMap") == once


@settings(max_examples=40, deadline=None)
@given(hs.lists(hs.sampled_from(["a", "b", "c", "d"]), unique=True, max_size=4),
       hs.lists(hs.sampled_from(["a", "b", "c", "e"]), unique=True, max_size=4))
def test_merging_containers_by_name_keeps_every_name_once(live: list[str], patched: list[str]) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": n, "image": "old"} for n in live]}}
    out = apply_strategic_patch(pod, {"spec": {"containers": [{"name": n, "image": "new"} for n in patched]}})
    names = [c["name"] for c in out["spec"]["containers"]]
    assert sorted(names) == sorted(set(live) | set(patched))
    assert all(c["image"] == ("new" if c["name"] in patched else "old") for c in out["spec"]["containers"])
    ordered = apply_strategic_patch(pod, {"spec": {"$setElementOrder/containers": [{"name": n} for n in patched],
                                                   "containers": [{"name": n, "image": "new"} for n in patched]}})
    in_patch = [c["name"] for c in ordered["spec"]["containers"] if c["name"] in patched]
    assert in_patch == patched

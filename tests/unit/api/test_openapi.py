import pytest

from kubelite.api.openapi import document_hash, gv_path, openapi_document, openapi_root
from kubelite.api.resources import REGISTRY

pytestmark = pytest.mark.unit


def test_root_lists_every_group_version_with_hash() -> None:
    root = openapi_root()
    assert set(root["paths"]) == {gv_path(g, v) for g, v in REGISTRY.group_versions()}
    assert root["paths"]["api/v1"]["serverRelativeURL"] == f"/openapi/v3/api/v1?hash={document_hash('', 'v1')}"
    assert gv_path("apps", "v1") == "apis/apps/v1"
    assert openapi_document("nope", "v1") is None


def test_every_kind_has_a_patch_with_gvk_and_field_validation() -> None:
    for group, version in REGISTRY.group_versions():
        doc = openapi_document(group, version)
        assert doc is not None
        patched = {
            (op["x-kubernetes-group-version-kind"]["kind"])
            for item in doc["paths"].values() for method, op in item.items()
            if method == "patch" and any(p["name"] == "fieldValidation" for p in op["parameters"])
        }
        kinds = {r.kind for r in REGISTRY.in_group_version(group, version)}
        assert kinds <= patched, (group, version, kinds - patched)


def test_component_schemas_are_named_like_kubernetes_and_closed_over_refs() -> None:
    doc = openapi_document("apps", "v1")
    assert doc is not None
    schemas = doc["components"]["schemas"]
    deploy = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deploy["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["type"] == "array"
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    ports = schemas["io.k8s.api.core.v1.Container"]["properties"]["ports"]
    assert ports["x-kubernetes-list-map-keys"] == ["containerPort", "protocol"]
    assert schemas["io.k8s.api.apps.v1.DeploymentSpec"]["required"] == ["selector", "template"]
    assert schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    assert "io.k8s.api.apps.v1.DeploymentList" in schemas
    assert "io.k8s.api.autoscaling.v1.Scale" in schemas
    refs: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"].rsplit("/", 1)[-1])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    assert refs <= set(schemas), refs - set(schemas)


def test_paths_cover_verbs_and_subresources() -> None:
    doc = openapi_document("", "v1")
    assert doc is not None
    paths = doc["paths"]
    pod = paths["/api/v1/namespaces/{namespace}/pods/{name}"]
    assert set(pod) >= {"get", "put", "patch", "delete", "parameters"}
    assert pod["get"]["operationId"] == "readCoreV1NamespacedPod"
    assert "/api/v1/pods" in paths and "/api/v1/namespaces/{namespace}/pods/{name}/status" in paths
    scale = paths["/api/v1/namespaces/{namespace}/replicationcontrollers/{name}/scale"]["patch"]
    assert scale["x-kubernetes-group-version-kind"] == {"group": "autoscaling", "kind": "Scale", "version": "v1"}
    assert "/api/v1/nodes/{name}" in paths and "delete" not in paths["/api/v1/namespaces"]

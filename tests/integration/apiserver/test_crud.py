"""CRUD semantics over real HTTPS against the in-process server: create, get, list, update with
optimistic concurrency, delete (graceful and finalizers), status and scale subresources."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytestmark = pytest.mark.integration

PODS = "/api/v1/namespaces/default/pods"


def pod(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


async def test_default_namespaces_exist(client: Any) -> None:
    code, body = await client.call("GET", "/api/v1/namespaces")
    assert code == 200
    names = {i["metadata"]["name"] for i in body["items"]}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    assert all(i["status"]["phase"] == "Active" for i in body["items"])


async def test_create_get_list_update_conflict(client: Any) -> None:
    code, created = await client.call("POST", PODS, pod("web"))
    assert code == 201, created
    meta = created["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and int(meta["resourceVersion"]) > 0
    assert created["status"]["phase"] == "Pending"
    code, again = await client.call("POST", PODS, pod("web"))
    assert code == 409 and again["reason"] == "AlreadyExists"
    code, got = await client.call("GET", f"{PODS}/web")
    assert code == 200 and got["metadata"]["uid"] == meta["uid"]
    code, listed = await client.call("GET", PODS)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["web"]
    assert listed["kind"] == "PodList"
    got["metadata"]["labels"]["tier"] = "front"
    code, updated = await client.call("PUT", f"{PODS}/web", got)
    assert code == 200 and updated["metadata"]["labels"]["tier"] == "front"
    assert int(updated["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    code, stale = await client.call("PUT", f"{PODS}/web", got)  # old resourceVersion
    assert code == 409 and stale["reason"] == "Conflict"


async def test_generate_name_and_missing_namespace(client: Any) -> None:
    body = {"metadata": {"generateName": "cm-"}, "data": {"a": "b"}}
    code, created = await client.call("POST", "/api/v1/namespaces/default/configmaps", body)
    name = created["metadata"]["name"]
    assert code == 201 and name.startswith("cm-") and len(name) == 8
    code, err = await client.call("POST", "/api/v1/namespaces/nope/configmaps", {"metadata": {"name": "x"}})
    assert code == 404 and err["message"] == 'namespaces "nope" not found'


async def test_graceful_pod_deletion(client: Any) -> None:
    await client.call("POST", PODS, pod("unbound"))
    code, _ = await client.call("DELETE", f"{PODS}/unbound")
    assert code == 200
    assert (await client.call("GET", f"{PODS}/unbound"))[0] == 404
    await client.call("POST", PODS, pod("bound", nodeName="node-1"))
    code, body = await client.call("DELETE", f"{PODS}/bound", {"propagationPolicy": "Background"})
    assert code == 202 and body["metadata"]["deletionTimestamp"]
    assert body["metadata"]["deletionGracePeriodSeconds"] == 30
    assert (await client.call("GET", f"{PODS}/bound"))[0] == 200
    code, _ = await client.call("DELETE", f"{PODS}/bound?gracePeriodSeconds=0")
    assert code == 200
    assert (await client.call("GET", f"{PODS}/bound"))[0] == 404


async def test_finalizers_hold_deletion(client: Any) -> None:
    cms = "/api/v1/namespaces/default/configmaps"
    await client.call("POST", cms, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    code, body = await client.call("DELETE", f"{cms}/held")
    assert code == 202 and body["metadata"]["deletionTimestamp"]
    code, held = await client.call("GET", f"{cms}/held")
    assert code == 200
    held["metadata"]["finalizers"] = ["example.com/other"]
    code, refused = await client.call("PUT", f"{cms}/held", held)
    assert code == 422, refused
    held["metadata"]["finalizers"] = []
    code, _ = await client.call("PUT", f"{cms}/held", held)
    assert code == 200
    assert (await client.call("GET", f"{cms}/held"))[0] == 404


async def test_status_subresource_is_apart_from_spec(client: Any) -> None:
    await client.call("POST", PODS, pod("st"))
    _, obj = await client.call("GET", f"{PODS}/st")
    obj["status"] = {"phase": "Running"}
    obj["spec"]["containers"][0]["image"] = "ignored:1"
    code, after = await client.call("PUT", f"{PODS}/st/status", obj)
    assert code == 200 and after["status"]["phase"] == "Running"
    assert after["spec"]["containers"][0]["image"] == "nginx"
    after["status"] = {"phase": "Failed"}
    code, main = await client.call("PUT", f"{PODS}/st", after)
    assert code == 200 and main["status"]["phase"] == "Running"


async def test_scale_subresource_and_generation(client: Any) -> None:
    deploys = "/apis/apps/v1/namespaces/default/deployments"
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}},
                     "template": {"metadata": {"labels": {"app": "d"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    code, created = await client.call("POST", deploys, body)
    assert code == 201 and created["metadata"]["generation"] == 1
    code, scale = await client.call("GET", f"{deploys}/d/scale")
    assert code == 200 and scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"]["replicas"] == 1 and scale["status"]["selector"] == "app=d"
    scale["spec"]["replicas"] = 3
    code, scaled = await client.call("PUT", f"{deploys}/d/scale", scale)
    assert code == 200 and scaled["spec"]["replicas"] == 3
    code, stale = await client.call("PUT", f"{deploys}/d/scale", scale)
    assert code == 409, stale
    _, d = await client.call("GET", f"{deploys}/d")
    assert d["spec"]["replicas"] == 3 and d["metadata"]["generation"] == 2
    d["status"] = {"replicas": 3}
    _, same = await client.call("PUT", f"{deploys}/d/status", d)
    assert same["metadata"]["generation"] == 2


async def test_pagination_and_selectors(client: Any) -> None:
    cms = "/api/v1/namespaces/default/configmaps"
    for i in range(7):
        await client.call("POST", cms, {"metadata": {"name": f"cm{i}", "labels": {"odd": str(i % 2)}}})
    names: list[str] = []
    token = ""
    pages = 0
    while True:
        code, page = await client.call("GET", f"{cms}?limit=3" + (f"&continue={token}" if token else ""))
        assert code == 200
        pages += 1
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert names == [f"cm{i}" for i in range(7)] and pages == 3
    code, odd = await client.call("GET", f"{cms}?labelSelector=odd%3D1")
    assert [i["metadata"]["name"] for i in odd["items"]] == ["cm1", "cm3", "cm5"]
    code, one = await client.call("GET", f"{cms}?fieldSelector=metadata.name%3Dcm4&resourceVersion=0")
    assert [i["metadata"]["name"] for i in one["items"]] == ["cm4"]
    code, gone = await client.call("DELETE", f"{cms}?labelSelector=odd%3D0")
    assert code == 200 and len(gone["items"]) == 4
    _, rest = await client.call("GET", cms)
    assert len(rest["items"]) == 3


async def test_table_for_get(client: Any) -> None:
    await client.call("POST", PODS, pod("tbl"))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    code, table = await client.call("GET", PODS, headers={"Accept": accept})
    assert code == 200 and table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["rows"][0]["cells"][0] == "tbl"
    assert table["rows"][0]["object"]["metadata"]["namespace"] == "default"
    code, single = await client.call("GET", f"{PODS}/tbl", headers={"Accept": accept})
    assert code == 200 and len(single["rows"]) == 1


async def test_binding_and_eviction(client: Any) -> None:
    await client.call("POST", PODS, pod("b"))
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "b"},
               "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"}}
    code, out = await client.call("POST", f"{PODS}/b/binding", binding)
    assert code == 201, out
    _, bound = await client.call("GET", f"{PODS}/b")
    assert bound["spec"]["nodeName"] == "n1"
    assert any(c["type"] == "PodScheduled" for c in bound["status"]["conditions"])
    code, again = await client.call("POST", f"{PODS}/b/binding", binding)
    assert code == 409 and again["reason"] == "Conflict"
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "b"},
                "deleteOptions": {"gracePeriodSeconds": 0}}
    code, _ = await client.call("POST", f"{PODS}/b/eviction", eviction)
    assert code == 201
    assert (await client.call("GET", f"{PODS}/b"))[0] == 404


async def test_namespace_deletion_waits_for_finalize(client: Any) -> None:
    await client.call("POST", "/api/v1/namespaces", {"metadata": {"name": "temp"}})
    code, ns = await client.call("DELETE", "/api/v1/namespaces/temp")
    assert code == 202 and ns["status"]["phase"] == "Terminating"
    # Namespace lifecycle reads the watch cache (as kube's admission reads its informer): poll briefly.
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        code, refused = await client.call("POST", "/api/v1/namespaces/temp/configmaps",
                                          {"metadata": {"name": "x"}})
        if code != 201 or asyncio.get_running_loop().time() > deadline:
            break
        await client.call("DELETE", "/api/v1/namespaces/temp/configmaps/x")
    assert code == 403, refused
    ns["spec"]["finalizers"] = []
    code, _ = await client.call("PUT", "/api/v1/namespaces/temp/finalize", ns)
    assert code == 200
    assert (await client.call("GET", "/api/v1/namespaces/temp"))[0] == 404


async def test_service_account_token_authenticates(client: Any) -> None:
    await client.call("POST", "/api/v1/namespaces/default/serviceaccounts", {"metadata": {"name": "robot"}})
    code, tr = await client.call("POST", "/api/v1/namespaces/default/serviceaccounts/robot/token",
                                 {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                  "spec": {"expirationSeconds": 3600}})
    assert code == 201, tr
    token = tr["status"]["token"]
    code, _ = await client.call("GET", "/api/v1/namespaces", headers={"Authorization": f"Bearer {token}"})
    assert code == 200
    code, denied = await client.call("GET", "/api/v1/namespaces", headers={"Authorization": "Bearer wrong"})
    assert code == 401 and denied["kind"] == "Status"


async def test_dry_run_stores_nothing(client: Any) -> None:
    code, body = await client.call("POST", f"{PODS}?dryRun=All", pod("dry"))
    assert code == 201 and body["metadata"]["uid"]
    assert (await client.call("GET", f"{PODS}/dry"))[0] == 404


async def test_services_get_cluster_ips_and_the_kubernetes_service_exists(client: Any) -> None:
    code, kube = await client.call("GET", "/api/v1/namespaces/default/services/kubernetes")
    assert code == 200 and kube["spec"]["clusterIP"] == "10.96.0.1"
    code, eps = await client.call("GET", "/api/v1/namespaces/default/endpoints/kubernetes")
    assert code == 200 and eps["subsets"][0]["ports"][0]["port"] == int(client.api.url.rsplit(":", 1)[1])
    svcs = "/api/v1/namespaces/default/services"
    body = {"metadata": {"name": "web"}, "spec": {"type": "NodePort", "selector": {"app": "web"},
                                                  "ports": [{"port": 80}]}}
    code, svc = await client.call("POST", svcs, body)
    assert code == 201, svc
    ip = svc["spec"]["clusterIP"]
    assert ip.startswith("10.") and ip != "10.96.0.1" and svc["spec"]["clusterIPs"] == [ip]
    assert 30000 <= svc["spec"]["ports"][0]["nodePort"] <= 32767
    assert svc["spec"]["ipFamilies"] == ["IPv4"]
    clash = {"metadata": {"name": "clash"}, "spec": {"clusterIP": ip, "ports": [{"port": 80}]}}
    code, err = await client.call("POST", svcs, clash)
    assert code == 422, err
    assert (await client.call("DELETE", f"{svcs}/web"))[0] == 200
    code, reuse = await client.call("POST", svcs, clash)
    assert code == 201 and reuse["spec"]["clusterIP"] == ip

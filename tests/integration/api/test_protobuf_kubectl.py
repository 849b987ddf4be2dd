"""Decode a protobuf body captured from the real kubectl (the 1.32 generators send protobuf)."""

import asyncio
import json
import shutil
import tempfile
from typing import Any

import pytest
from aiohttp import web

from kubelite.api.protobuf import decode_protobuf

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed"),
]

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


KINDS = {  # (group, version) -> [(plural, Kind, namespaced)]
    ("", "v1"): [("configmaps", "ConfigMap", True), ("secrets", "Secret", True), ("services", "Service", True),
                 ("namespaces", "Namespace", False), ("serviceaccounts", "ServiceAccount", True),
                 ("resourcequotas", "ResourceQuota", True), ("pods", "Pod", True)],
    ("apps", "v1"): [("deployments", "Deployment", True)],
    ("batch", "v1"): [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    ("rbac.authorization.k8s.io", "v1"): [("roles", "Role", True), ("rolebindings", "RoleBinding", True),
                                          ("clusterroles", "ClusterRole", False)],
    ("policy", "v1"): [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    ("scheduling.k8s.io", "v1"): [("priorityclasses", "PriorityClass", False)],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def _discovery(core: bool) -> dict[str, Any]:
    items = []
    for (group, version), kinds in KINDS.items():
        if (group == "") != core:
            continue
        resources = [{"resource": plural, "responseKind": {"group": group, "version": version, "kind": kind},
                      "scope": "Namespaced" if namespaced else "Cluster", "singularResource": kind.lower(),
                      "verbs": VERBS} for plural, kind, namespaced in kinds]
        items.append({"metadata": {"name": group} if group else {},
                      "versions": [{"version": version, "freshness": "Current", "resources": resources}]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": items}


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


async def _run_kubectl_against_recorder(*args: str) -> tuple[int, str, list[tuple[str, bytes]]]:
    posts: list[tuple[str, bytes]] = []

    async def version(_: web.Request) -> web.Response:
        return web.json_response({"major": "1", "minor": "32", "gitVersion": "v1.32.0", "platform": "linux/amd64"})

    async def api(_: web.Request) -> web.Response:
        return web.Response(text=json.dumps(_discovery(True)), headers={"Content-Type": AGGREGATED})

    async def apis(_: web.Request) -> web.Response:
        return web.Response(text=json.dumps(_discovery(False)), headers={"Content-Type": AGGREGATED})

    async def openapi_root(_: web.Request) -> web.Response:
        return web.json_response({"paths": {_gv_path(g, v): {"serverRelativeURL": f"/openapi/v3/{_gv_path(g, v)}"}
                                            for g, v in KINDS}})

    async def openapi_gv(request: web.Request) -> web.Response:
        paths = {}
        for (group, version), kinds in KINDS.items():
            if _gv_path(group, version) != request.match_info["gv"]:
                continue
            for plural, kind, namespaced in kinds:
                ns = "namespaces/{namespace}/" if namespaced else ""
                op = {"x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind},
                      "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
                      "responses": {"200": {"description": "OK"}}}
                paths[f"/{_gv_path(group, version)}/{ns}{plural}/{{name}}"] = {"patch": op}
        return web.json_response({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
                                  "components": {"schemas": {}}, "paths": paths})

    async def create(request: web.Request) -> web.Response:
        body = await request.read()
        posts.append((request.content_type, body))
        if request.content_type == "application/vnd.kubernetes.protobuf":
            obj = decode_protobuf(body)
        else:
            obj = json.loads(body)
        return web.json_response(obj, status=201)

    app = web.Application()
    app.router.add_get("/version", version)
    app.router.add_get("/api", api)
    app.router.add_get("/apis", apis)
    app.router.add_get("/openapi/v3", openapi_root)
    app.router.add_get("/openapi/v3/{gv:.*}", openapi_gv)
    app.router.add_post("/{tail:.*}", create)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with tempfile.TemporaryDirectory() as cache, tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
            cfg.write("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
            cfg.flush()
            proc = await asyncio.create_subprocess_exec(
                "kubectl", f"--kubeconfig={cfg.name}", f"--server=http://127.0.0.1:{port}",
                f"--cache-dir={cache}", *args,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
            return proc.returncode or 0, out.decode(), posts
    finally:
        await runner.cleanup()


async def test_real_kubectl_create_configmap_body_decodes() -> None:
    code, output, posts = await _run_kubectl_against_recorder(
        "create", "configmap", "x", "--from-literal=a=b", "--from-literal=k2=v 2")
    assert code == 0, output
    assert len(posts) == 1
    content_type, body = posts[0]
    assert content_type == "application/vnd.kubernetes.protobuf"
    obj = decode_protobuf(body)
    assert obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1"
    assert obj["metadata"]["name"] == "x"
    assert obj["data"] == {"a": "b", "k2": "v 2"}


async def _decoded(*args: str) -> dict[str, Any]:
    code, output, posts = await _run_kubectl_against_recorder(*args)
    assert code == 0, output
    assert [ct for ct, _ in posts] == ["application/vnd.kubernetes.protobuf"]
    return decode_protobuf(posts[0][1])


async def test_real_kubectl_create_deployment_secret_service_bodies_decode() -> None:
    d = await _decoded("create", "deployment", "web", "--image=nginx:1.25", "--port=80", "--replicas=2")
    assert d["metadata"] == {"name": "web", "labels": {"app": "web"}}
    assert d["spec"]["replicas"] == 2
    assert d["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    container = d["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"]) == ("nginx", "nginx:1.25")
    assert container["ports"] == [{"containerPort": 80}]
    s = await _decoded("create", "secret", "generic", "s", "--from-literal=pw=hunter2")
    assert s["data"] == {"pw": "aHVudGVyMg=="}
    svc = await _decoded("create", "service", "nodeport", "np", "--tcp=5678:8080", "--node-port=30080")
    assert svc["spec"]["type"] == "NodePort"
    assert svc["spec"]["ports"] == [{"name": "5678-8080", "protocol": "TCP", "port": 5678, "targetPort": 8080,
                                     "nodePort": 30080}]
    assert svc["spec"]["selector"] == {"app": "np"}


async def test_real_kubectl_create_job_cronjob_namespace_bodies_decode() -> None:
    cj = await _decoded("create", "cronjob", "cj", "--image=busybox", "--schedule=*/1 * * * *", "--", "date")
    assert cj["spec"]["schedule"] == "*/1 * * * *"
    pod_spec = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_spec["containers"][0]["command"] == ["date"]
    assert pod_spec["restartPolicy"] == "OnFailure"
    job = await _decoded("create", "job", "j", "--image=busybox", "--", "echo", "hi")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    ns = await _decoded("create", "namespace", "team-a")
    assert ns["kind"] == "Namespace" and ns["metadata"] == {"name": "team-a"}
    sa = await _decoded("create", "serviceaccount", "bot")
    assert sa["kind"] == "ServiceAccount" and sa["metadata"]["name"] == "bot"


async def test_real_kubectl_rbac_quota_pdb_priorityclass_bodies_decode() -> None:
    role = await _decoded("create", "role", "reader", "--verb=get,list", "--resource=pods")
    assert role["rules"] == [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}]
    rb = await _decoded("create", "rolebinding", "rb", "--role=reader", "--user=alice",
                        "--serviceaccount=default:bot")
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}
    assert {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"} in rb["subjects"]
    assert {"kind": "ServiceAccount", "name": "bot", "namespace": "default"} in rb["subjects"]
    quota = await _decoded("create", "quota", "q", "--hard=cpu=1,pods=5")
    assert quota["spec"]["hard"] == {"cpu": "1", "pods": "5"}
    pdb = await _decoded("create", "pdb", "p", "--selector=app=x", "--min-available=50%")
    assert pdb["spec"]["minAvailable"] == "50%"
    assert pdb["spec"]["selector"] == {"matchLabels": {"app": "x"}}
    pc = await _decoded("create", "priorityclass", "high", "--value=1000", "--description=top")
    assert (pc["value"], pc["description"]) == (1000, "top")

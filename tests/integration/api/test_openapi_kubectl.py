"""Real kubectl against a recorder serving our discovery data and OpenAPI documents: explain, create -f
with server-side (Strict) validation, and client-side apply computing its patch from our schemas."""

import asyncio
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from kubelite.api.defaults import apply_defaults
from kubelite.api.openapi import openapi_document, openapi_root
from kubelite.api.resources import REGISTRY
from kubelite.api.strategic import apply_strategic_patch
from kubelite.api.strict import strict_error, unknown_fields

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed"),
]

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _discovery(core: bool) -> dict[str, Any]:
    items = []
    for group, version in REGISTRY.group_versions():
        if (group == "") != core:
            continue
        resources = [{
            "resource": r.plural, "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
            "scope": r.scope, "singularResource": r.singular, "verbs": list(r.verbs),
            "shortNames": list(r.short_names), "categories": list(r.categories),
        } for r in REGISTRY.in_group_version(group, version)]
        items.append({"metadata": {"name": group} if group else {},
                      "versions": [{"version": version, "freshness": "Current", "resources": resources}]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": items}


class Recorder:
    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, str]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/version", self.version)
        app.router.add_get("/api", self.discovery)
        app.router.add_get("/apis", self.discovery)
        app.router.add_get("/openapi/v3", self.root)
        app.router.add_get("/openapi/v3/{gv:.*}", self.gv)
        app.router.add_route("*", "/{tail:.*}", self.objects)
        return app

    async def version(self, _: web.Request) -> web.Response:
        return web.json_response({"major": "1", "minor": "32", "gitVersion": "v1.32.0"})

    async def discovery(self, request: web.Request) -> web.Response:
        body = _discovery(request.path == "/api")
        return web.Response(text=json.dumps(body), headers={"Content-Type": AGGREGATED})

    async def root(self, _: web.Request) -> web.Response:
        return web.json_response(openapi_root())

    async def gv(self, request: web.Request) -> web.Response:
        parts = request.match_info["gv"].split("/")
        group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
        doc = openapi_document(group, version)
        return web.json_response(doc) if doc else web.Response(status=404)

    async def objects(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path, request.query_string))
        status_404 = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                      "message": "not found", "code": 404, "metadata": {}}
        if request.method == "GET":
            obj = self.store.get(request.path)
            return web.json_response(obj) if obj else web.json_response(status_404, status=404)
        body = json.loads(await request.read())
        if request.method == "POST":
            if request.query.get("fieldValidation") == "Strict":
                unknown = unknown_fields(body)
                if unknown:
                    err = strict_error(body, unknown)
                    return web.json_response(err.status, status=err.code)
            obj = apply_defaults(body)
            self.store[f"{request.path}/{obj['metadata']['name']}"] = obj
            return web.json_response(obj, status=201)
        if request.method == "PATCH":
            live = self.store[request.path]
            patched = apply_strategic_patch(live, body)
            self.store[request.path] = patched
            return web.json_response(patched)
        return web.Response(status=405)


async def _kubectl(recorder: Recorder, tmp: Path, *args: str) -> tuple[int, str, str]:
    runner = web.AppRunner(recorder.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    cfg = tmp / "config"
    cfg.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    try:
        proc = await asyncio.create_subprocess_exec(
            "kubectl", f"--kubeconfig={cfg}", f"--server=http://127.0.0.1:{port}", f"--cache-dir={tmp / 'cache'}",
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
        return proc.returncode or 0, out.decode(), err.decode()
    finally:
        await runner.cleanup()


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:IMAGE
        ports:
        - containerPort: 80
        env:
        - {name: A, value: "1"}
"""


async def test_kubectl_explain_uses_our_schemas() -> None:
    with tempfile.TemporaryDirectory() as d:
        code, out, err = await _kubectl(Recorder(), Path(d), "explain", "deployment.spec.strategy")
    assert code == 0, err
    assert "KIND:       Deployment" in out or "KIND:" in out
    assert "rollingUpdate" in out and "type" in out


async def test_create_validates_server_side_and_apply_patches_from_our_schema() -> None:
    recorder = Recorder()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        manifest = tmp / "d.yaml"
        manifest.write_text(DEPLOYMENT.replace("IMAGE", "1.25"))
        code, out, err = await _kubectl(recorder, tmp, "apply", "-f", str(manifest))
        assert code == 0, err
        assert "deployment.apps/web created" in out
        post = [r for r in recorder.requests if r[0] == "POST"]
        assert post and "fieldValidation=Strict" in post[0][2]
        manifest.write_text(DEPLOYMENT.replace("IMAGE", "1.27"))
        code, out, err = await _kubectl(recorder, tmp, "apply", "-f", str(manifest))
        assert code == 0, err
        assert "error calculating patch from openapi" not in err
        live = recorder.store["/apis/apps/v1/namespaces/default/deployments/web"]
        assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
        bad = tmp / "bad.yaml"
        bad.write_text(DEPLOYMENT.replace("IMAGE", "1").replace("name: web\nspec:", "name: bad\nspec:\n  foo: 1"))
        code, out, err = await _kubectl(recorder, tmp, "create", "-f", str(bad))
        assert code != 0
        assert 'strict decoding error: unknown field "spec.foo"' in err

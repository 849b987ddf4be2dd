"""The dashboard's backend in-process against a real API server over loopback: the login token rules,
reads and their Status errors, the writes as kubectl does them, the live event stream, and exec's error
frame when the API server refuses the session."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from kubelite.client.rest import Client
from kubelite.dashboard.app import make_app
from kubelite.dashboard.config import DashboardConfig
from kubelite.testing.apiserver import running_apiserver

pytestmark = pytest.mark.integration

TOKEN = "test-login-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: other}
data: {a: b}
"""


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[TestClient[Any, Any], Client]]:
    async with running_apiserver(tmp_path / "apiserver") as api, Client.from_kubeconfig(api.kubeconfig) as client:
        await client.resource("v1", "namespaces").create({"metadata": {"name": "other"}})
        app = make_app(DashboardConfig(token=TOKEN), client)
        async with TestClient(TestServer(app)) as http:
            yield http, client


async def test_without_the_token_everything_but_static_is_refused(env: tuple[TestClient[Any, Any], Client]) -> None:
    http, _ = env
    for path in ("/api/k8s/api/v1/namespaces", "/api/watch?path=/api/v1/pods", "/api/yaml/api/v1/namespaces/default"):
        resp = await http.get(path)
        assert resp.status == 401
        body = await resp.json()
        assert body["kind"] == "Status" and body["reason"] == "Unauthorized"
    assert (await http.post("/api/scale", json={})).status == 401
    assert (await http.get("/api/k8s/api/v1/namespaces", headers={"Authorization": "Bearer nope"})).status == 401
    page = await http.get("/")
    assert page.status == 401 and "Not logged in" in await page.text()
    assert (await http.get("/?token=nope")).status == 401
    assert (await http.get("/static/app.js")).status == 200  # the page's code holds no cluster data


async def test_the_url_token_becomes_an_httponly_strict_cookie(env: tuple[TestClient[Any, Any], Client]) -> None:
    http, _ = env
    resp = await http.get(f"/?token={TOKEN}", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert (await http.get("/api/k8s/api/v1/namespaces")).status == 200  # the cookie jar carries it now
    index = await http.get("/")
    assert index.status == 200 and "app.js" in await index.text()
    # A write or WebSocket started by another site's page is refused even with the cookie.
    assert (await http.post("/api/scale", json={}, headers={"Origin": "http://evil.example"})).status == 403


async def test_reads_and_their_errors(env: tuple[TestClient[Any, Any], Client]) -> None:
    http, _ = env
    resp = await http.get("/api/k8s/api/v1/namespaces", headers=AUTH)
    names = {n["metadata"]["name"] for n in (await resp.json())["items"]}
    assert {"default", "other"} <= names
    missing = await http.get("/api/k8s/api/v1/namespaces/default/pods/nope", headers=AUTH)
    assert missing.status == 404 and (await missing.json())["reason"] == "NotFound"
    for bad in ("/api/k8s/metrics", "/api/k8s/api/v1/namespaces/default/pods/p/exec",
                "/api/k8s/api/v1/namespaces/default/services/s/proxy"):
        resp = await http.get(bad, headers=AUTH)
        assert resp.status == 400 and (await resp.json())["reason"] == "BadRequest", bad
    assert (await http.get("/api/nothing-here", headers=AUTH)).status == 404
    yaml_text = await (await http.get("/api/yaml/api/v1/namespaces/default", headers=AUTH)).text()
    assert "kind: Namespace" in yaml_text and "managedFields" not in yaml_text


async def test_create_scale_restart_undo_delete(env: tuple[TestClient[Any, Any], Client]) -> None:
    http, client = env
    made = await http.post("/api/create?namespace=default", data=DEPLOYMENT, headers=AUTH)
    assert made.status == 200, await made.text()
    assert (await made.json())["created"] == ["deployment/web", "configmap/settings"]
    assert (await client.resource("v1", "configmaps").get("settings", "other"))["data"] == {"a": "b"}
    again = await http.post("/api/create", data=DEPLOYMENT, headers=AUTH)
    assert again.status == 409 and (await again.json())["reason"] == "AlreadyExists"
    bad = await http.post("/api/create", data="kind: [", headers=AUTH)
    assert bad.status == 400 and "invalid YAML: line 1" in (await bad.json())["message"]
    unknown = await http.post("/api/create", data="apiVersion: x/v1\nkind: Nope\nmetadata: {name: a}", headers=AUTH)
    assert unknown.status == 400 and 'no kind "Nope"' in (await unknown.json())["message"]

    deployments = client.resource("apps/v1", "deployments")
    # Edit: the YAML to edit leaves out what the server owns; applied back, the change lands.
    edit = await (await http.get("/api/yaml/apis/apps/v1/namespaces/default/deployments/web?for=edit",
                                 headers=AUTH)).text()
    assert "resourceVersion" not in edit and "uid:" not in edit and "status:" not in edit and "name: web" in edit
    applied = await http.post("/api/create?mode=apply", data=edit.replace("replicas: 1", "replicas: 2"), headers=AUTH)
    assert applied.status == 200 and (await applied.json()) == {"applied": ["deployment/web"]}
    assert (await deployments.get("web", "default"))["spec"]["replicas"] == 2
    bad_mode = await http.post("/api/create?mode=replace", data=edit, headers=AUTH)
    assert bad_mode.status == 400
    target = {"kind": "Deployment", "namespace": "default", "name": "web"}
    assert (await http.post("/api/scale", json={**target, "replicas": 3}, headers=AUTH)).status == 200
    assert (await deployments.get("web", "default"))["spec"]["replicas"] == 3
    for wrong in ({**target, "replicas": -1}, {**target, "replicas": "3"}, {**target, "kind": "Pod", "replicas": 1},
                  {**target, "name": "../x", "replicas": 1}):
        resp = await http.post("/api/scale", json=wrong, headers=AUTH)
        assert resp.status == 400, wrong
    assert (await http.post("/api/scale", data=b"not json", headers=AUTH)).status == 400

    assert (await http.post("/api/restart", json={"namespace": "default", "name": "web"}, headers=AUTH)).status == 200
    template = (await deployments.get("web", "default"))["spec"]["template"]
    assert template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].endswith("Z")
    # No controller runs here, so there is no ReplicaSet history to go back to: said plainly.
    undo = await http.post("/api/undo", json={"namespace": "default", "name": "web"}, headers=AUTH)
    assert undo.status == 400 and "no rollout history" in (await undo.json())["message"]

    gone = await http.delete("/api/k8s/apis/apps/v1/namespaces/default/deployments/web", headers=AUTH)
    assert gone.status == 200
    missing = await http.post("/api/restart", json={"namespace": "default", "name": "web"}, headers=AUTH)
    assert missing.status == 404


async def _events(resp: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    buf = b""
    async for chunk in resp.content.iter_any():
        buf += chunk
        while b"\n\n" in buf:
            block, buf = buf.split(b"\n\n", 1)
            if block.startswith(b"data: "):
                yield orjson.loads(block[len(b"data: "):])


async def test_watch_streams_events_of_several_paths(env: tuple[TestClient[Any, Any], Client]) -> None:
    http, client = env
    await client.resource("v1", "configmaps").create({"metadata": {"name": "before"}}, "default")
    paths = "path=/api/v1/namespaces/default/configmaps&path=/api/v1/namespaces/other/secrets"
    resp = await http.get(f"/api/watch?{paths}", headers=AUTH)
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
    seen: list[tuple[int, str, str]] = []
    created = False
    deadline = time.monotonic() + 30
    async with asyncio.timeout(60):
        async for event in _events(resp):
            name = (event.get("object") or {}).get("metadata", {}).get("name", "")
            seen.append((event["i"], event["type"], name))
            if (0, "SYNCED", "") in seen and (1, "SYNCED", "") in seen and not created:
                created = True
                await client.resource("v1", "configmaps").create({"metadata": {"name": "after"}}, "default")
                await client.resource("v1", "secrets").create({"metadata": {"name": "s"}}, "other")
            if (0, "ADDED", "after") in seen and (1, "ADDED", "s") in seen:
                break
            assert time.monotonic() < deadline, seen
    for index in (0, 1):  # each path's stream opens with a RESET, so a reconnecting page starts clean
        assert next(t for i, t, _ in seen if i == index) == "RESET"
    first = [(t, n) for i, t, n in seen if i == 0]
    # Listed objects, then SYNCED (the page holds the whole list), then what happens after.
    assert first.index(("ADDED", "before")) < first.index(("SYNCED", "")) < first.index(("ADDED", "after"))
    assert ("SYNCED", "") in [(t, n) for i, t, n in seen if i == 1]
    resp.close()
    for bad in ("", "?path=/metrics", "?" + "&".join(["path=/api/v1/pods"] * 9)):
        assert (await http.get(f"/api/watch{bad}", headers=AUTH)).status == 400


async def test_exec_refused_upstream_is_one_error_frame(env: tuple[TestClient[Any, Any], Client]) -> None:
    http, _ = env
    async with http.ws_connect("/api/exec?namespace=default&pod=nope&command=sh", headers=AUTH,
                               protocols=("v4.channel.k8s.io",)) as ws:
        msg = await ws.receive(timeout=30)
        assert msg.type == aiohttp.WSMsgType.TEXT
        assert "exec refused by the API server: 404" in orjson.loads(msg.data)["error"]
    logs = await http.get("/api/logs?namespace=default&pod=nope", headers=AUTH)
    assert logs.status == 404 and (await logs.json())["reason"] == "NotFound"
    assert (await http.get("/api/logs?namespace=default&pod=../x", headers=AUTH)).status == 400

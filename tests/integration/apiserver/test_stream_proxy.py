"""The API server's stream proxy against a stand-in kubelet on loopback (no containers): the kubelet is
found through the pod's node, authenticated by the cluster's client certificate, sent the kubelet's own
path and query; logs stream back; WebSocket and SPDY/3.1 upgrades are relayed byte for byte after the
kubelet's 101 (so the kubelet alone speaks them); refusals and bad requests come back as Kubernetes
answers them."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from kubelite.kubelet.server import ensure_serving_cert
from kubelite.testing.apiserver import RunningApiServer
from kubelite.webio.upgrade import take_over, wants_upgrade
from tests.integration.apiserver.conftest import Client

pytestmark = pytest.mark.integration


@dataclass
class FakeKubelet:
    port: int
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path_qs, client cert CN)


def _peer_cn(request: web.Request) -> str:
    cert = request.transport.get_extra_info("peercert") if request.transport else None
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return ""


@pytest.fixture
async def kubelet(api: RunningApiServer, tmp_path: Path) -> AsyncIterator[FakeKubelet]:
    cert, key = ensure_serving_cert(str(tmp_path / "kubelet"), ["127.0.0.1"])
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    assert api.ca_file is not None
    ctx.load_verify_locations(cafile=str(api.ca_file))
    ctx.verify_mode = ssl.CERT_REQUIRED  # only the cluster's client certificates get in
    state = FakeKubelet(0)

    async def logs(request: web.Request) -> web.StreamResponse:
        state.seen.append((request.method, request.path_qs, _peer_cn(request)))
        if request.match_info["container"] == "gone":
            raise web.HTTPBadRequest(text='previous terminated container "gone" in pod "p" not found')
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await resp.prepare(request)
        for i in range(3):
            await resp.write(f"line {i}\n".encode())
        return resp

    async def exec_(request: web.Request) -> web.StreamResponse:
        state.seen.append((request.method, request.path_qs, _peer_cn(request)))
        if request.match_info["pod"] == "elsewhere":
            raise web.HTTPNotFound(text='pod "elsewhere" not found on this node')
        if wants_upgrade(request, "SPDY/3.1"):
            resp, conn = await take_over(request, {"Connection": "Upgrade", "Upgrade": "SPDY/3.1",
                                                   "X-Stream-Protocol-Version": "v4.channel.k8s.io"})
            conn.write(b"\x80\x03\x00\x04hello")  # speaks first, right after the 101
            while data := await conn.read():
                conn.write(data.upper())
                await conn.drain()
            conn.close()
            return resp
        ws = web.WebSocketResponse(protocols=("v5.channel.k8s.io",))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(b"\x01" + msg.data[1:].upper())
                if msg.data[1:] == b"bye":
                    await ws.send_bytes(b'\x03{"metadata":{},"status":"Success"}')
                    await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", logs)
    app.router.add_route("*", "/exec/{namespace}/{pod}/{container}", exec_)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    state.port = runner.addresses[0][1]
    try:
        yield state
    finally:
        await runner.cleanup()


async def _node_and_pods(client: Client, kubelet_port: int) -> None:
    status, _ = await client.call("POST", "/api/v1/nodes", {"metadata": {"name": "n1"}})
    assert status == 201
    status, node = await client.call("GET", "/api/v1/nodes/n1")
    node["status"] = {"addresses": [{"type": "Hostname", "address": "n1.invalid"},
                                    {"type": "InternalIP", "address": "127.0.0.1"}],
                      "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}}}
    status, _ = await client.call("PUT", "/api/v1/nodes/n1/status", node)
    assert status == 200
    for name, node_name, containers in (("p", "n1", ["app", "side"]), ("elsewhere", "n1", ["app"]),
                                        ("pending", "", ["app"])):
        spec: dict[str, Any] = {"containers": [{"name": c, "image": "busybox"} for c in containers]}
        if node_name:
            spec["nodeName"] = node_name
        meta = {"name": name, "annotations": {"kubectl.kubernetes.io/default-container": "side"}}
        status, body = await client.call("POST", "/api/v1/namespaces/default/pods", {"metadata": meta, "spec": spec})
        assert status == 201, body


async def test_logs_reach_the_kubelet_with_its_path_query_and_credentials(client: Client,
                                                                         kubelet: FakeKubelet) -> None:
    await _node_and_pods(client, kubelet.port)
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/p/log?container=app&follow=true"
                                            "&tailLines=2&timestamps=true&sinceSeconds=5&limitBytes=9&bogus=1")
    assert (status, body) == (200, "line 0\nline 1\nline 2\n")
    assert kubelet.seen[-1] == ("GET", "/containerLogs/default/p/app?follow=true&timestamps=true&sinceSeconds=5"
                                       "&tailLines=2&limitBytes=9", "admin")
    # No container named: the default-container annotation picks one.
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/p/log")
    assert status == 200 and kubelet.seen[-1][1] == "/containerLogs/default/p/side"
    # The kubelet's 400 is a BadRequest Status with its text.
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/p/log?container=gone&previous=1")
    assert status == 400
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/p/log?container=nope")
    assert (status, body["reason"], body["message"]) == (400, "BadRequest", "container nope is not valid for pod p")
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/p/log?tailLines=x")
    assert status == 400
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/pending/log")
    assert (status, body) == (200, "")  # not on a node: an empty log, as kube
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/ghost/log")
    assert (status, body["reason"]) == (404, "NotFound")


async def test_websocket_exec_is_relayed(client: Client, kubelet: FakeKubelet, api: RunningApiServer) -> None:
    await _node_and_pods(client, kubelet.port)
    url = api.url + "/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&command=x&stdin=true" \
                    "&stdout=true&tty=false&container=app"
    got: list[bytes] = []
    async with client.session.ws_connect(url, ssl=client.ssl, protocols=("v5.channel.k8s.io",)) as ws:
        assert ws.protocol == "v5.channel.k8s.io"  # the kubelet's choice reached us
        await ws.send_bytes(b"\x00hi there")
        await ws.send_bytes(b"\x00bye")
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.BINARY:
                break
            got.append(msg.data)
    assert got == [b"\x01HI THERE", b"\x01BYE", b'\x03{"metadata":{},"status":"Success"}']
    method, path_qs, cn = kubelet.seen[-1]
    assert (method, cn) == ("GET", "admin")
    assert path_qs == "/exec/default/p/app?stdin=1&stdout=1&command=sh&command=-c&command=x"


async def _raw_upgrade(api: RunningApiServer, ssl_ctx: ssl.SSLContext, path: str
                       ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
    host, port = api.url.removeprefix("https://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port), ssl=ssl_ctx)
    writer.write((f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {api.token}\r\n"
                  "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
                  "X-Stream-Protocol-Version: channel.k8s.io\r\nContent-Length: 0\r\n\r\n").encode())
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)).decode()
    return reader, writer, head


async def test_spdy_upgrade_is_relayed_byte_for_byte(client: Client, kubelet: FakeKubelet,
                                                     api: RunningApiServer) -> None:
    await _node_and_pods(client, kubelet.port)
    reader, writer, head = await _raw_upgrade(api, client.ssl, "/api/v1/namespaces/default/pods/p/exec"
                                                               "?command=ls&stdout=true&container=app")
    lines = head.split("\r\n")
    assert lines[0] == "HTTP/1.1 101 Switching Protocols", head
    assert "X-Stream-Protocol-Version: v4.channel.k8s.io" in lines
    assert await asyncio.wait_for(reader.readexactly(9), 30) == b"\x80\x03\x00\x04hello"
    writer.write(b"GET / HTTP/1.1\r\n\r\n")  # not HTTP any more on either side
    assert await asyncio.wait_for(reader.readexactly(18), 30) == b"GET / HTTP/1.1\r\n\r\n"
    writer.write(b"abc" * 50000)  # larger than one read: backpressure and chunking keep the bytes in order
    assert await asyncio.wait_for(reader.readexactly(150000), 30) == b"ABC" * 50000
    writer.close()
    assert kubelet.seen[-1][0] == "POST"


async def test_refusals_and_bad_requests(client: Client, kubelet: FakeKubelet, api: RunningApiServer) -> None:
    await _node_and_pods(client, kubelet.port)
    # The kubelet's refusal is copied back as it is.
    _, writer, head = await _raw_upgrade(api, client.ssl, "/api/v1/namespaces/default/pods/elsewhere/exec"
                                                          "?command=ls&stdout=true")
    writer.close()
    assert head.startswith("HTTP/1.1 404"), head
    # Checked by the API server itself, before any kubelet is dialled.
    for path, message in (
        ("pending/exec?command=ls&stdout=true", "pod pending does not have a host assigned"),
        ("p/exec?command=ls&stdout=true&container=nope", "container nope is not valid for pod p"),
        ("p/attach?stdout=true&container=nope", "container nope is not valid for pod p"),
        ("pending/portforward", "pod pending does not have a host assigned"),
    ):
        reader, writer, head = await _raw_upgrade(api, client.ssl, f"/api/v1/namespaces/default/pods/{path}")
        length = next(int(h.split(":", 1)[1]) for h in head.split("\r\n") if h.lower().startswith("content-length"))
        body = json.loads(await asyncio.wait_for(reader.readexactly(length), 30))
        writer.close()
        assert head.startswith("HTTP/1.1 400") and body["message"] == message, (path, head, body)
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/p/exec?command=ls")
    assert (status, body["message"]) == (400, "Upgrade request required")
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/pending/exec?command=ls",
                                     headers={"Connection": "Upgrade", "Upgrade": "websocket"})
    assert body["message"] == "pod pending does not have a host assigned"


async def test_an_unreachable_kubelet_is_an_error_not_a_hang(client: Client, api: RunningApiServer) -> None:
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await _node_and_pods(client, port)
    status, body = await client.call("GET", "/api/v1/namespaces/default/pods/p/log?container=app")
    assert (status, body["reason"]) == (500, "InternalError") and "127.0.0.1" in body["message"], body
    _, writer, head = await _raw_upgrade(api, client.ssl, "/api/v1/namespaces/default/pods/p/exec"
                                                          "?command=ls&stdout=true&container=app")
    writer.close()
    assert head.startswith("HTTP/1.1 500"), head

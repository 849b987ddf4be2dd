"""The two streams of a pod: its log (``GET /api/logs``, followed while the browser reads; ``previous``
and ``timestamps`` as ``kubectl logs`` has them) and an exec
session (``GET /api/exec``, a WebSocket).

Exec relays the Kubernetes channel protocol (``v4.channel.k8s.io``: one leading byte per frame naming
stdin 0, stdout 1, stderr 2, the status 3 and terminal resize 4) between the browser and the API
server's ``pods/exec``, frame for frame, so the browser speaks what ``kubectl exec`` speaks and the
dashboard adds only the credentials. A failure to open the upstream session is sent to the browser as
one text frame ``{"error": ...}`` before closing, since a WebSocket handshake cannot carry a Status.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson
from aiohttp import web

from kubelite.client.rest import Client
from kubelite.dashboard.errors import bad_request
from kubelite.dashboard.paths import valid_name
from kubelite.dashboard.proxy import CLIENT

CHANNEL_PROTOCOL = "v4.channel.k8s.io"
IDLE_CHECK_SECONDS = 10.0


def _pod_target(request: web.Request) -> tuple[str, str, str] | None:
    ns, pod = request.query.get("namespace", ""), request.query.get("pod", "")
    container = request.query.get("container", "")
    if not valid_name(ns) or not valid_name(pod) or (container and not valid_name(container)):
        return None
    return ns, pod, container


async def logs(request: web.Request) -> web.StreamResponse:
    target = _pod_target(request)
    if target is None:
        return bad_request("logs need namespace, pod and optionally container")
    ns, pod, container = target
    follow = request.query.get("follow") in ("1", "true")
    tail = request.query.get("tailLines", "")
    flags = {name: request.query.get(name) in ("1", "true") for name in ("previous", "timestamps")}
    params: dict[str, str | int | bool | None] = {
        "container": container or None, "follow": follow or None, "tailLines": int(tail) if tail.isdigit() else None,
        "previous": flags["previous"] or None, "timestamps": flags["timestamps"] or None}
    client = request.app[CLIENT]
    async with client.stream("GET", f"/api/v1/namespaces/{ns}/pods/{pod}/log", params=params) as upstream:
        resp = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(upstream.content.readany(), IDLE_CHECK_SECONDS)
                except TimeoutError:
                    # A quiet log: a browser that left would otherwise hold the upstream stream open
                    # until the container writes again.
                    if request.transport is None or request.transport.is_closing():
                        break
                    continue
                if not chunk:
                    break
                await resp.write(chunk)
        except (ConnectionResetError, aiohttp.ClientPayloadError, aiohttp.ClientConnectionError):
            pass  # the browser left, or the log ended with the container
    return resp


def _auth_headers(client: Client) -> dict[str, str]:
    """The bearer token of the kubeconfig, as the client sends it (client certificates and basic auth
    travel with the client's session itself)."""
    token = client.config.token
    if client.config.token_file:
        with contextlib.suppress(OSError):
            token = Path(client.config.token_file).read_text().strip() or token
    return {"Authorization": f"Bearer {token}"} if token else {}


def exec_query(container: str, command: list[str], tty: bool) -> str:
    items: list[tuple[str, str]] = [("command", c) for c in command]
    items += [("stdin", "true"), ("stdout", "true"), ("stderr", "true" if not tty else "false"),
              ("tty", "true" if tty else "false")]
    if container:
        items.append(("container", container))
    return urlencode(items)


async def _relay_browser(browser: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse) -> None:
    async for msg in browser:
        if msg.type == aiohttp.WSMsgType.BINARY:
            await upstream.send_bytes(msg.data)
        elif msg.type == aiohttp.WSMsgType.TEXT:  # plain text from the page is stdin
            await upstream.send_bytes(b"\x00" + msg.data.encode())


async def _relay_upstream(upstream: aiohttp.ClientWebSocketResponse, browser: web.WebSocketResponse) -> None:
    async for msg in upstream:
        if msg.type == aiohttp.WSMsgType.BINARY:
            await browser.send_bytes(msg.data)
        elif msg.type == aiohttp.WSMsgType.TEXT:
            await browser.send_bytes(msg.data.encode())


async def exec_(request: web.Request) -> web.StreamResponse:
    target = _pod_target(request)
    if target is None:
        return bad_request("exec needs namespace, pod and optionally container")
    ns, pod, container = target
    command = request.query.getall("command", []) or ["sh"]
    tty = request.query.get("tty", "1") in ("1", "true")
    browser = web.WebSocketResponse(protocols=(CHANNEL_PROTOCOL,), heartbeat=30)
    await browser.prepare(request)
    client = request.app[CLIENT]
    url = f"{client.config.server}/api/v1/namespaces/{ns}/pods/{pod}/exec?{exec_query(container, command, tty)}"
    kwargs: dict[str, Any] = {"headers": _auth_headers(client), "protocols": (CHANNEL_PROTOCOL,)}
    if client.config.tls_server_name:
        kwargs["server_hostname"] = client.config.tls_server_name
    try:
        upstream_cm = client.session.ws_connect(url, **kwargs)
        upstream = await upstream_cm
    except aiohttp.WSServerHandshakeError as err:
        await browser.send_str(orjson.dumps({"error": f"exec refused by the API server: {err.status} "
                                                      f"{err.message}"}).decode())
        await browser.close()
        return browser
    except (aiohttp.ClientError, OSError) as err:
        await browser.send_str(orjson.dumps({"error": f"the API server could not be reached: {err}"}).decode())
        await browser.close()
        return browser
    try:
        tasks = [asyncio.create_task(_relay_browser(browser, upstream)),
                 asyncio.create_task(_relay_upstream(upstream, browser))]
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, ConnectionResetError, aiohttp.ClientError):
                await task
    finally:
        await upstream.close()
        await browser.close()
    return browser

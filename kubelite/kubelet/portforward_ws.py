"""Port-forward over the WebSocket channel protocol: what the official Kubernetes clients (Python, and
client-go's older websocket path) use instead of SPDY.

``/portforward/{ns}/{pod}?port=80,8080`` (or ``port`` repeated; the API server passes the client's
``ports`` on as ``port``) upgraded to a WebSocket with subprotocol ``v4.channel.k8s.io`` (or the
unversioned ``channel.k8s.io``). Every message is binary, a channel byte then payload. The i-th port
has two channels: ``2i`` for data and ``2i+1`` for errors. The first message we send on each channel is
the port number as two little-endian bytes, as the kubelet does, so the client can check the mapping.
Then pod bytes go out on the data channel and the client's data channel messages go to the pod; a
failure to connect is text on the error channel. One TCP connection per port for the whole WebSocket,
which ends when every port's connection has ended or the client leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from aiohttp import WSMsgType, web

from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.runtime.container_errors import ContainerError

CHANNEL_PROTOCOLS = ("v4.channel.k8s.io", "channel.k8s.io")
CHUNK = 32 * 1024


def requested_ports(request: web.Request) -> list[int]:
    """The ``port`` (or ``ports``) query values, comma-separated or repeated; 400 if none or invalid."""
    raw = [p for v in request.query.getall("port", []) + request.query.getall("ports", []) for p in v.split(",")]
    ports: list[int] = []
    for text in raw:
        try:
            port = int(text)
        except ValueError:
            raise web.HTTPBadRequest(text=f'invalid port "{text}"') from None
        if not 0 < port < 65536 or port in ports:
            raise web.HTTPBadRequest(text=f'invalid port "{text}": 1-65535, each once')
        ports.append(port)
    if not ports:
        raise web.HTTPBadRequest(text='query parameter "port" is required')
    return ports


async def serve_channels(ws: web.WebSocketResponse, calls: RuntimeCalls, sandbox_id: str, pod: str,
                         ports: list[int]) -> None:
    """Run the forwarding for ``ports`` over an accepted channel WebSocket until it ends."""
    socks: dict[int, socket.socket] = {}
    for index, port in enumerate(ports):
        for channel in (2 * index, 2 * index + 1):
            await ws.send_bytes(bytes([channel]) + port.to_bytes(2, "little"))
    for index, port in enumerate(ports):
        try:
            sock = await asyncio.to_thread(calls.runtime.port_forward, sandbox_id, port)
        except ContainerError as err:
            message = f"error forwarding port {port} to pod {pod}: {err}"
            await ws.send_bytes(bytes([2 * index + 1]) + message.encode())
            continue
        sock.setblocking(False)
        socks[index] = sock
    pumps = [asyncio.create_task(_pod_to_client(ws, sock, 2 * index)) for index, sock in socks.items()]
    reader = asyncio.create_task(_client_to_pod(ws, socks))
    try:
        if pumps:  # until every pod connection ended, or the client left
            all_pumps: asyncio.Future[list[None]] = asyncio.gather(*pumps)
            waited: set[asyncio.Future[Any]] = {reader, all_pumps}
            await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in [reader, *pumps]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, ConnectionError):
                await task
        for sock in socks.values():
            sock.close()
        with contextlib.suppress(ConnectionError):
            await ws.close()


async def _pod_to_client(ws: web.WebSocketResponse, sock: socket.socket, channel: int) -> None:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(OSError):
        while data := await loop.sock_recv(sock, CHUNK):
            await ws.send_bytes(bytes([channel]) + data)


async def _client_to_pod(ws: web.WebSocketResponse, socks: dict[int, socket.socket]) -> None:
    loop = asyncio.get_running_loop()
    async for msg in ws:
        if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            return
        if msg.type != WSMsgType.BINARY or len(msg.data) < 2 or msg.data[0] % 2:
            continue
        sock = socks.get(msg.data[0] // 2)
        if sock is not None:
            with contextlib.suppress(OSError):
                await loop.sock_sendall(sock, msg.data[1:])

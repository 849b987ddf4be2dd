"""``kubectl port-forward`` on the kubelet's endpoint: SPDY streams in pairs, each pair one TCP connection
to a port on the pod's own loopback.

``/portforward/{namespace}/{pod}`` (also the real kubelet's ``/portForward/...``) comes in two transports,
both carrying the same SPDY/3.1 session (:mod:`kubelite.kubelet.spdysession`):

* a WebSocket with subprotocol ``SPDY/3.1+portforward.k8s.io`` (kubectl >= 1.31): the binary messages'
  payloads, concatenated, are the SPDY byte stream;
* ``POST`` with ``Upgrade: SPDY/3.1`` and ``X-Stream-Protocol-Version: portforward.k8s.io`` (older
  kubectl, and the fallback of newer ones): SPDY on the raw connection.

(A WebSocket asking for ``v4.channel.k8s.io`` instead, as the official Python client does, gets the
channel protocol of :mod:`kubelite.kubelet.portforward_ws`.)

For every local connection kubectl accepts it opens two streams with the same ``requestid`` header and the
remote ``port``: ``streamtype: error`` (which it half-closes at once) and ``streamtype: data``. Once both
exist we connect to ``127.0.0.1:port`` in the pod's network namespace (the runtime's ``port_forward``)
and copy bytes both ways: the data stream's FIN half-closes the TCP connection, the pod's EOF is our FIN
on the data stream. A failure (nothing listens, no such port) is written as text on the error stream, as
the kubelet does; kubectl prints it and keeps forwarding other connections. Then the error stream is
closed. Pairs are independent: one session serves any number of connections until kubectl hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kubelite.kubelet.portforward_ws import CHANNEL_PROTOCOLS, requested_ports, serve_channels
from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.kubelet.spdyexec import SPDY, negotiate, upgrade
from kubelite.kubelet.spdysession import Session, Stream, WebSocketBytes
from kubelite.runtime.container_errors import ContainerError
from kubelite.runtime.cri import SANDBOX_READY
from kubelite.webio.upgrade import wants_upgrade

log = logging.getLogger(__name__)
WEBSOCKET_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
SPDY_PROTOCOL = "portforward.k8s.io"
PAIR_WAIT = 30.0  # seconds for the second stream of a pair to arrive
CHUNK = 32 * 1024


@dataclass
class _Pair:
    request_id: str
    error: Stream | None = None
    data: Stream | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)


async def _sandbox(calls: RuntimeCalls, namespace: str, pod: str) -> str:
    rt = calls.runtime
    sandboxes = await calls.call(rt.list_pod_sandboxes, {"io.kubernetes.pod.namespace": namespace,
                                                         "io.kubernetes.pod.name": pod})
    for sb in sandboxes:
        if sb.state == SANDBOX_READY:
            return sb.id
    raise web.HTTPNotFound(text=f'pod "{pod}" is not running on this node')


async def handle_port_forward(request: web.Request, calls: RuntimeCalls) -> web.StreamResponse:
    m = request.match_info
    forwarder = PortForwarder(calls, await _sandbox(calls, m["namespace"], m["pod"]), f"{m['namespace']}/{m['pod']}")
    if wants_upgrade(request, SPDY):
        response, session = await upgrade(request, negotiate(request, (SPDY_PROTOCOL,)))
        await forwarder.serve(session)
        return response
    ws = web.WebSocketResponse(protocols=(WEBSOCKET_PROTOCOL, *CHANNEL_PROTOCOLS))
    ready = ws.can_prepare(request)
    if not ready.ok:
        raise web.HTTPBadRequest(text="port-forward needs an upgrade: a WebSocket with subprotocol "
                                      f"{WEBSOCKET_PROTOCOL} or {CHANNEL_PROTOCOLS[0]}, or {SPDY} with "
                                      f"{SPDY_PROTOCOL}")
    channels = ready.protocol != WEBSOCKET_PROTOCOL  # the channel protocol (also when none was asked for)
    ports = requested_ports(request) if channels else []  # a bad query is a 400, before the upgrade
    await ws.prepare(request)
    try:
        if channels:
            await serve_channels(ws, calls, forwarder.sandbox_id, forwarder.pod, ports)
        else:
            await forwarder.serve(Session(WebSocketBytes(ws)))
    finally:
        await ws.close()
    return ws


class PortForwarder:
    """One port-forward session for one pod sandbox."""

    def __init__(self, calls: RuntimeCalls, sandbox_id: str, pod: str) -> None:
        self.calls = calls
        self.sandbox_id = sandbox_id
        self.pod = pod
        self.pairs: dict[str, _Pair] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    async def serve(self, session: Session) -> None:
        reader = asyncio.create_task(session.run())
        try:
            while (stream := await session.accept()) is not None:
                self._add(stream)
        finally:
            for task in list(self.tasks):
                task.cancel()
            for task in list(self.tasks):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await session.close()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    def _add(self, stream: Stream) -> None:
        kind = stream.headers.get("streamtype", "")
        request_id = stream.headers.get("requestid")
        if request_id is None:  # clients before requestid: the data stream follows its error stream
            request_id = str(stream.id if kind == "error" else stream.id - 2)
        pair = self.pairs.get(request_id)
        if pair is None:
            pair = self.pairs[request_id] = _Pair(request_id)
            self._spawn(self._forward(pair))
        if kind == "error":
            pair.error = stream
        elif kind == "data":
            pair.data = stream
        else:
            self._spawn(stream.abort())
            return
        if pair.error is not None and pair.data is not None:
            pair.ready.set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _forward(self, pair: _Pair) -> None:
        try:
            await asyncio.wait_for(pair.ready.wait(), PAIR_WAIT)
        except TimeoutError:
            stream = pair.error or pair.data
            if stream is not None:
                await self._fail(pair, f"timed out waiting for the other stream of request {pair.request_id}")
            self.pairs.pop(pair.request_id, None)
            return
        assert pair.data is not None and pair.error is not None
        port_text = pair.data.headers.get("port", "")
        try:
            port = int(port_text)
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            await self._fail(pair, f'invalid port "{port_text}" in the data stream of request {pair.request_id}')
            return
        try:
            sock = await asyncio.to_thread(self.calls.runtime.port_forward, self.sandbox_id, port)
        except ContainerError as err:
            await self._fail(pair, f"error forwarding port {port} to pod {self.pod}: {err}")
            return
        try:
            await _copy(sock, pair.data)
        finally:
            sock.close()
            await pair.error.close()
            self.pairs.pop(pair.request_id, None)

    async def _fail(self, pair: _Pair, message: str) -> None:
        log.info("port-forward failed", extra={"pod": self.pod, "error": message})
        if pair.error is not None:
            await pair.error.write(message.encode())
            await pair.error.close()
        if pair.data is not None:
            await pair.data.close()
        self.pairs.pop(pair.request_id, None)


async def _copy(sock: socket.socket, stream: Stream) -> None:
    """Bytes both ways until both directions ended (or the stream was reset)."""
    sock.setblocking(False)
    loop = asyncio.get_running_loop()

    async def upstream() -> None:  # client -> pod
        try:
            while data := await stream.read():
                await loop.sock_sendall(sock, data)
        except OSError:  # the pod stopped reading: drop the rest rather than stall the session
            stream.discard()
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)

    async def downstream() -> None:  # pod -> client
        with contextlib.suppress(OSError):
            while data := await loop.sock_recv(sock, CHUNK):
                await stream.write(data)
        await stream.close()

    up, down = asyncio.create_task(upstream()), asyncio.create_task(downstream())
    reset = asyncio.create_task(stream.aborted.wait())
    pending: set[asyncio.Task[Any]] = {up, down}
    try:
        while pending and not stream.reset:  # a reset (or the session's end) stops both directions
            _done, pending = await asyncio.wait(pending | {reset}, return_when=asyncio.FIRST_COMPLETED)
            pending.discard(reset)
    finally:
        stream.discard()  # done with this connection: whatever the client still sends goes nowhere
        for task in (up, down, reset):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, ConnectionError):
                await task

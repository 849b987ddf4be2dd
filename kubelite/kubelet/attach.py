"""``kubectl attach`` on the kubelet's endpoint: the container's own stdio, over the channel protocol.

``GET /attach/{namespace}/{pod}/{container}?stdin=1&stdout=1&stderr=1&tty=1`` upgraded to a WebSocket
(``v5.channel.k8s.io`` / ``v4.channel.k8s.io``), the same channels as exec (:mod:`streaming`): 0 stdin,
1 stdout, 2 stderr, 3 the final Status, 4 resize, 255 close (v5).

Unlike exec nothing is spawned: we connect to the runtime's attach socket for the running container
(conmon's, the one ``kubelite attach`` uses: :mod:`kubelite.runtime.attach`) and relay. conmon sends
packets of one stream byte (2 stdout, 3 stderr) and data; what we send it is written to the container's
stdin. A tty container's output is all stdout. Resize messages go to the runtime's ``resize_tty``.

Ending: when the container exits conmon closes the socket and we send ``Success`` on channel 3 (as the
real kubelet does after a clean attach); when the client leaves we close the socket. Whether the
container's stdin survives the client is the pod's ``stdinOnce``: the runtime starts conmon with
``--leave-stdin-open`` unless it is set, so by default a shell stays alive for the next attach. A client
closing its stdin (v5 ``[255, 0]``) half-closes the socket, which ends the container's stdin only for a
``stdinOnce`` container.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.kubelet.streaming import (
    CLOSE,
    ERROR,
    PROTOCOLS,
    RESIZE,
    STDERR,
    STDIN,
    STDOUT,
    Channels,
    WebSocketChannels,
    exit_status,
    running_container,
)
from kubelite.runtime.attach import PACKET, STDERR_PIPE, connect
from kubelite.runtime.container_errors import ContainerError

STDIN_PACKET = 8192  # conmon reads one packet into a 32 KiB buffer; stay well below it
TRUTHY = ("1", "true")


def attach_request(request: web.Request) -> tuple[bool, bool, bool, bool]:
    """(stdin, stdout, stderr, tty) from the query; at least one stream is required, as kube's."""
    q = request.query
    stdin, stdout, stderr, tty = (q.get(p) in TRUTHY for p in ("stdin", "stdout", "stderr", "tty"))
    if not (stdin or stdout or stderr):
        raise web.HTTPBadRequest(text="you must specify at least 1 of stdin, stdout, stderr")
    return stdin, stdout, stderr, tty


def attach_handler(calls: RuntimeCalls) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler for the attach route (WebSocket transport)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        stdin, stdout, stderr, tty = attach_request(request)
        m = request.match_info
        cid = await running_container(calls, m["namespace"], m["pod"], m["container"])
        sock = await open_attach(calls, cid)
        ws = web.WebSocketResponse(protocols=PROTOCOLS)
        try:
            await ws.prepare(request)
        except BaseException:
            sock.close()
            raise
        await run_attach(WebSocketChannels(ws), calls, cid, sock, stdin=stdin, stdout=stdout, stderr=stderr,
                         tty=tty)
        return ws

    return handle


async def open_attach(calls: RuntimeCalls, cid: str) -> socket.socket:
    """A non-blocking connection to the container's attach socket (before answering the upgrade, so
    a failure is an HTTP error the client can print)."""
    try:
        path = await calls.call(calls.runtime.attach_socket, cid)
        sock = await asyncio.to_thread(connect, path)
    except (ContainerError, OSError) as err:
        raise web.HTTPInternalServerError(text=f"cannot attach to the container: {err}") from None
    sock.setblocking(False)
    return sock


async def run_attach(channels: Channels, calls: RuntimeCalls, cid: str, sock: socket.socket, *, stdin: bool,
                     stdout: bool, stderr: bool, tty: bool) -> None:
    """Relay the container's stdio over ``channels`` until it exits or the client leaves; then close."""
    output = asyncio.create_task(_output(sock, channels, stdout=stdout, stderr=stderr, tty=tty))
    inputs = asyncio.create_task(_input(channels, calls, cid, sock, stdin=stdin))
    try:
        done, _ = await asyncio.wait({output, inputs}, return_when=asyncio.FIRST_COMPLETED)
        if output in done and not output.cancelled() and output.exception() is None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await channels.send(ERROR, json.dumps(exit_status(0)).encode())
    finally:
        for task in (output, inputs):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        sock.close()
        with contextlib.suppress(ConnectionError, RuntimeError):
            await channels.close()


async def _output(sock: socket.socket, channels: Channels, *, stdout: bool, stderr: bool, tty: bool) -> None:
    """conmon's packets to channels 1/2 until it closes the socket (the container ended)."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            packet = await loop.sock_recv(sock, PACKET)
        except OSError:
            return
        if not packet:
            return
        if len(packet) < 2:
            continue
        channel = STDERR if packet[0] == STDERR_PIPE and not tty else STDOUT
        if (channel == STDOUT and stdout) or (channel == STDERR and stderr):
            await channels.send(channel, packet[1:])


async def _input(channels: Channels, calls: RuntimeCalls, cid: str, sock: socket.socket, *, stdin: bool) -> None:
    """Client messages: stdin into the socket, resizes to the runtime, stdin's close as a half-close.
    Returns when the client goes away."""
    loop = asyncio.get_running_loop()
    async for channel, payload in channels.incoming():
        if channel == STDIN and stdin and payload:
            for start in range(0, len(payload), STDIN_PACKET):
                await loop.sock_sendall(sock, payload[start:start + STDIN_PACKET])
        elif channel == RESIZE:
            size = _size(payload)
            if size is not None:
                with contextlib.suppress(ContainerError):
                    await calls.call(calls.runtime.resize_tty, cid, *size)
        elif channel == CLOSE and payload[:1] == bytes([STDIN]) and stdin:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)


def _size(payload: bytes) -> tuple[int, int] | None:
    """(rows, cols) from ``{"Width": w, "Height": h}``."""
    try:
        size = json.loads(payload)
        rows, cols = int(size.get("Height", 0)), int(size.get("Width", 0))
    except (ValueError, TypeError, AttributeError):
        return None
    return (rows, cols) if rows > 0 and cols > 0 else None

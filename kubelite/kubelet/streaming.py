"""``kubectl exec`` on the kubelet's endpoint: the WebSocket channel protocol.

``GET /exec/{namespace}/{pod}/{container}?command=...&command=...&stdin=1&stdout=1&stderr=1`` upgraded
to a WebSocket with subprotocol ``v5.channel.k8s.io`` or ``v4.channel.k8s.io`` (what kubectl >= 1.30
asks for through the API server). Every binary message starts with a channel byte: 0 stdin (client to
us), 1 stdout, 2 stderr, 3 the final ``Status`` as JSON, 4 terminal resize (ignored: no tty here), and
in v5 255 "close channel" (``[255, 0]``: stdin ended).

The command runs as ``runc exec`` (the runtime's :meth:`exec_argv`) in a child process whose pipes are
relayed to and from the channels. The final Status is ``Success``, or ``Failure`` with reason
``NonZeroExitCode`` and the exit code as cause ``ExitCode``, which kubectl turns into its own exit code.
With ``tty=1`` the command gets a terminal: ``runc exec -t`` runs on a pty we allocate (its
controlling terminal, so runc relays it to the container's console and follows its size); channel 0
writes to the pty, its output comes back on channel 1, and channel 4 messages (``{"Width": w,
"Height": h}``) resize it.

A command that leaves a process behind keeps the pipes open: once the command itself exited, output
still buffered is relayed for up to a second, then the stream ends.

The process, pty and relaying know only :class:`Channels` (numbered channels as above), so the same
plumbing serves the WebSocket transport here and SPDY/3.1 (``spdyexec.py``, kubectl <= 1.29).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import struct
import termios
from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.runtime.container_errors import ContainerError
from kubelite.runtime.cri import CONTAINER_RUNNING

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
DRAIN_AFTER_EXIT = 1.0


def exit_status(code: int) -> dict[str, Any]:
    """The Status a kubelet sends on channel 3 when the command ends."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
            "message": f"command terminated with non-zero exit code: error executing command, exit status {code}",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def failure_status(message: str) -> dict[str, Any]:
    return {"metadata": {}, "status": "Failure", "reason": "InternalError", "message": message}


class Channels(Protocol):
    """One exec/attach session's transport, in the WebSocket protocol's channel numbers."""

    async def send(self, channel: int, data: bytes) -> None:
        """Output to the client on STDOUT, STDERR or ERROR."""

    def incoming(self) -> AsyncIterator[tuple[int, bytes]]:
        """Client input: (STDIN, bytes), (RESIZE, JSON), (CLOSE, b"\\x00") once stdin ended; ends when the
        client goes away."""
        ...

    async def close(self) -> None:
        """End the session (after the status was sent on ERROR)."""


class WebSocketChannels:
    """:class:`Channels` over a v4/v5 channel WebSocket: one binary message per chunk, channel byte first."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws

    async def send(self, channel: int, data: bytes) -> None:
        await self.ws.send_bytes(bytes([channel]) + data)

    async def incoming(self) -> AsyncIterator[tuple[int, bytes]]:
        async for msg in self.ws:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                return
            if msg.type == WSMsgType.BINARY and msg.data:
                yield msg.data[0], msg.data[1:]

    async def close(self) -> None:
        await self.ws.close()


async def running_container(calls: RuntimeCalls, namespace: str, pod: str, container: str) -> str:
    rt = calls.runtime
    sandboxes = await calls.call(rt.list_pod_sandboxes, {"io.kubernetes.pod.namespace": namespace,
                                                         "io.kubernetes.pod.name": pod})
    for sb in sandboxes:
        for c in await calls.call(rt.list_containers, sb.id, None):
            if c.name == container and c.state == CONTAINER_RUNNING:
                return c.id
    raise web.HTTPNotFound(text=f'container "{container}" of pod "{pod}" is not running on this node')


async def _pump(stream: asyncio.StreamReader | None, out: Channels, channel: int) -> None:
    if stream is None:
        return
    while chunk := await stream.read(32 * 1024):
        await out.send(channel, chunk)


class _Pty:
    """The terminal side of a tty exec: a pty whose slave is the command's stdio."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, data)

    def resize(self, payload: bytes) -> None:
        try:
            size = json.loads(payload)
            packed = struct.pack("HHHH", int(size.get("Height", 0)), int(size.get("Width", 0)), 0, 0)
        except (ValueError, TypeError, AttributeError):
            return
        with contextlib.suppress(OSError):
            fcntl.ioctl(self.master, termios.TIOCSWINSZ, packed)

    async def pump(self, out: Channels) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                chunk = await loop.run_in_executor(None, os.read, self.master, 32 * 1024)
            except OSError:  # EIO: every slave descriptor is closed, the command is gone
                return
            if not chunk:
                return
            await out.send(STDOUT, chunk)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def _controlling_terminal() -> None:
    """In the child (a new session): make stdin, the pty slave, its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


async def _feed_stdin(channels: Channels, proc: asyncio.subprocess.Process, pty: _Pty | None) -> None:
    """Relay channel 0 into the process (or its pty) until the client closes stdin (v5) or the socket;
    channel 4 resizes the pty."""
    async for channel, payload in channels.incoming():
        if channel == RESIZE and pty is not None:
            pty.resize(payload)
        elif channel == STDIN and pty is not None:
            pty.write(payload)
        elif channel == STDIN and proc.stdin is not None:
            proc.stdin.write(payload)
            with contextlib.suppress(ConnectionError):
                await proc.stdin.drain()
        elif channel == CLOSE and payload[:1] == bytes([STDIN]) and proc.stdin is not None:
            proc.stdin.close()
    if proc.stdin is not None and not proc.stdin.is_closing():
        proc.stdin.close()


async def _spawn(argv: list[str], *, stdin: bool, pty: _Pty | None) -> asyncio.subprocess.Process:
    if pty is not None:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=pty.slave, stdout=pty.slave, stderr=pty.slave, start_new_session=True,
            preexec_fn=_controlling_terminal)
        os.close(pty.slave)
        pty.slave = -1
        return proc
    return await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


def exec_request(request: web.Request) -> tuple[list[str], bool, bool]:
    """(command, stdin, tty) from the query; 400 without a command."""
    q = request.query
    truthy = ("1", "true")
    command = q.getall("command", [])
    if not command:
        raise web.HTTPBadRequest(text="you must specify at least 1 command")
    return command, q.get("stdin") in truthy, q.get("tty") in truthy


async def handle_exec(request: web.Request, calls: RuntimeCalls) -> web.StreamResponse:
    command, want_stdin, tty = exec_request(request)
    m = request.match_info
    cid = await running_container(calls, m["namespace"], m["pod"], m["container"])
    ws = web.WebSocketResponse(protocols=PROTOCOLS)
    await ws.prepare(request)
    await run_exec(WebSocketChannels(ws), calls, cid, command, stdin=want_stdin, tty=tty)
    return ws


async def run_exec(channels: Channels, calls: RuntimeCalls, cid: str, command: list[str], *, stdin: bool,
                   tty: bool) -> None:
    """Run ``command`` in container ``cid`` relayed over ``channels``; send the final Status; close."""
    try:
        argv = await calls.call(lambda: calls.runtime.exec_argv(cid, command, tty=tty))
    except ContainerError as err:
        await channels.send(ERROR, json.dumps(failure_status(str(err))).encode())
        await channels.close()
        return
    pty = _Pty() if tty else None
    proc = await _spawn(argv, stdin=stdin, pty=pty)
    feeder = asyncio.create_task(_feed_stdin(channels, proc, pty)) if stdin or tty else None
    pumps = [asyncio.create_task(pty.pump(channels))] if pty is not None else [
        asyncio.create_task(_pump(proc.stdout, channels, STDOUT)),
        asyncio.create_task(_pump(proc.stderr, channels, STDERR))]
    try:
        code = await proc.wait()
        _done, pending = await asyncio.wait(pumps, timeout=DRAIN_AFTER_EXIT)
        for task in pending:
            task.cancel()
        await channels.send(ERROR, json.dumps(exit_status(code)).encode())
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        for task in [*pumps, *([feeder] if feeder else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if pty is not None:
            pty.close()
        await channels.close()

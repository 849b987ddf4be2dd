"""``kubectl exec`` without a terminal, on the kubelet's endpoint: the WebSocket channel protocol.

``GET /exec/{namespace}/{pod}/{container}?command=...&command=...&stdin=1&stdout=1&stderr=1`` upgraded
to a WebSocket with subprotocol ``v5.channel.k8s.io`` or ``v4.channel.k8s.io`` (what kubectl >= 1.30
asks for through the API server). Every binary message starts with a channel byte: 0 stdin (client to
us), 1 stdout, 2 stderr, 3 the final ``Status`` as JSON, 4 terminal resize (ignored: no tty here), and
in v5 255 "close channel" (``[255, 0]``: stdin ended).

The command runs as ``runc exec`` (the runtime's :meth:`exec_argv`) in a child process whose pipes are
relayed to and from the channels. The final Status is ``Success``, or ``Failure`` with reason
``NonZeroExitCode`` and the exit code as cause ``ExitCode``, which kubectl turns into its own exit code.
A terminal (``tty=1``) is refused with 400: that needs a pty and resize handling, not done yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType, web

from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.runtime.container_errors import ContainerError
from kubelite.runtime.cri import CONTAINER_RUNNING

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def exit_status(code: int) -> dict[str, Any]:
    """The Status a kubelet sends on channel 3 when the command ends."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
            "message": f"command terminated with non-zero exit code: error executing command, exit status {code}",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def failure_status(message: str) -> dict[str, Any]:
    return {"metadata": {}, "status": "Failure", "reason": "InternalError", "message": message}


async def _running_container(calls: RuntimeCalls, namespace: str, pod: str, container: str) -> str:
    rt = calls.runtime
    sandboxes = await calls.call(rt.list_pod_sandboxes, {"io.kubernetes.pod.namespace": namespace,
                                                         "io.kubernetes.pod.name": pod})
    for sb in sandboxes:
        for c in await calls.call(rt.list_containers, sb.id, None):
            if c.name == container and c.state == CONTAINER_RUNNING:
                return c.id
    raise web.HTTPNotFound(text=f'container "{container}" of pod "{pod}" is not running on this node')


async def _pump(stream: asyncio.StreamReader | None, ws: web.WebSocketResponse, channel: int) -> None:
    if stream is None:
        return
    while chunk := await stream.read(32 * 1024):
        await ws.send_bytes(bytes([channel]) + chunk)


async def _feed_stdin(ws: web.WebSocketResponse, proc: asyncio.subprocess.Process) -> None:
    """Relay channel 0 into the process until the client closes stdin (v5) or the socket."""
    async for msg in ws:
        if msg.type != WSMsgType.BINARY or not msg.data:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
            continue
        channel, payload = msg.data[0], msg.data[1:]
        if channel == STDIN and proc.stdin is not None:
            proc.stdin.write(payload)
            with contextlib.suppress(ConnectionError):
                await proc.stdin.drain()
        elif channel == CLOSE and payload[:1] == bytes([STDIN]) and proc.stdin is not None:
            proc.stdin.close()
    if proc.stdin is not None and not proc.stdin.is_closing():
        proc.stdin.close()


async def handle_exec(request: web.Request, calls: RuntimeCalls) -> web.StreamResponse:
    q = request.query
    truthy = ("1", "true")
    command = q.getall("command", [])
    if not command:
        raise web.HTTPBadRequest(text="you must specify at least 1 command")
    if q.get("tty") in truthy:
        raise web.HTTPBadRequest(text="a terminal (tty) is not supported by this kubelet yet")
    m = request.match_info
    cid = await _running_container(calls, m["namespace"], m["pod"], m["container"])
    ws = web.WebSocketResponse(protocols=PROTOCOLS)
    await ws.prepare(request)
    try:
        argv = await calls.call(lambda: calls.runtime.exec_argv(cid, command, tty=False))
    except ContainerError as err:
        await ws.send_bytes(bytes([ERROR]) + json.dumps(failure_status(str(err))).encode())
        await ws.close()
        return ws
    want_stdin = q.get("stdin") in truthy
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE if want_stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    feeder = asyncio.create_task(_feed_stdin(ws, proc)) if want_stdin else None
    try:
        await asyncio.gather(_pump(proc.stdout, ws, STDOUT), _pump(proc.stderr, ws, STDERR))
        code = await proc.wait()
        await ws.send_bytes(bytes([ERROR]) + json.dumps(exit_status(code)).encode())
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        if feeder is not None:
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeder
        await ws.close()
    return ws

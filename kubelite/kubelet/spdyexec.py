"""``kubectl exec`` and ``kubectl attach`` over SPDY/3.1: what kubectl <= 1.29 speaks, and newer ones when
told to (``KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false``) or when the WebSocket upgrade fails.

The request is ``POST /exec/...`` with ``Connection: Upgrade``, ``Upgrade: SPDY/3.1`` and one
``X-Stream-Protocol-Version`` header per protocol the client knows, best first. We pick the first one we
speak (``v5.channel.k8s.io`` or ``v4.channel.k8s.io``, which over SPDY are the same: the final Status as
JSON on the error stream), answer 101 naming it, and take the connection over. The client then opens one
stream per channel, each named by its ``streamtype`` header: ``error``, and ``stdin``, ``stdout``,
``stderr``, ``resize`` as the query asks (no ``stderr`` with a tty; ``resize`` only with one). Once all
expected streams exist the command runs through the same plumbing as the WebSocket transport
(:func:`kubelite.kubelet.streaming.run_exec`, or :func:`kubelite.kubelet.attach.run_attach` for attach)
with :class:`SpdyChannels` mapping channel numbers to streams; stdin ends with the stdin stream's FIN,
and each resize is a JSON ``{"Width", "Height"}`` object on the resize stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from kubelite.kubelet.attach import attach_request, open_attach, run_attach
from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.kubelet.spdysession import RawBytes, Session, Stream
from kubelite.kubelet.streaming import (
    CLOSE,
    ERROR,
    RESIZE,
    STDERR,
    STDIN,
    STDOUT,
    exec_request,
    run_exec,
    running_container,
)
from kubelite.webio.upgrade import take_over

SPDY = "SPDY/3.1"
EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STREAM_WAIT = 30.0  # seconds the client has to open every stream it asked for (the kubelet's default)
LINGER = 10.0  # seconds we wait, after our last FIN, for the client to hang up


def negotiate(request: web.Request, supported: tuple[str, ...]) -> str:
    """The first protocol the client offers that we speak; 403 as the kubelet answers otherwise."""
    offered = [p.strip() for h in request.headers.getall("X-Stream-Protocol-Version", []) for p in h.split(",")]
    for proto in offered:
        if proto in supported:
            return proto
    raise web.HTTPForbidden(text=f"unable to upgrade: unable to negotiate protocol: client supports {offered}, "
                                 f"server supports {list(supported)}")


async def upgrade(request: web.Request, protocol: str) -> tuple[web.StreamResponse, Session]:
    """Answer 101 for SPDY/3.1 with ``protocol`` and return a server session over the connection."""
    response, conn = await take_over(request, {"Connection": "Upgrade", "Upgrade": SPDY,
                                               "X-Stream-Protocol-Version": protocol})
    return response, Session(RawBytes(conn))


def expected_streams(*, stdin: bool, stdout: bool, stderr: bool, tty: bool) -> set[str]:
    wanted = {"error"}
    wanted |= {"stdin"} if stdin else set()
    wanted |= {"stdout"} if stdout else set()
    wanted |= {"stderr"} if stderr and not tty else set()
    wanted |= {"resize"} if tty else set()
    return wanted


async def collect_streams(session: Session, wanted: set[str]) -> dict[str, Stream]:
    """Accept streams until one of each wanted type exists (TimeoutError after STREAM_WAIT)."""
    got: dict[str, Stream] = {}

    async def gather() -> None:
        while not wanted <= got.keys():
            stream = await session.accept()
            if stream is None:
                raise ConnectionResetError("the client went away before opening its streams")
            got[stream.headers.get("streamtype", "")] = stream

    await asyncio.wait_for(gather(), STREAM_WAIT)
    return got


class SpdyChannels:
    """:class:`kubelite.kubelet.streaming.Channels` over one SPDY stream per channel."""

    def __init__(self, session: Session, streams: dict[str, Stream]) -> None:
        self.session = session
        self.streams = streams
        self._out = {STDOUT: streams.get("stdout"), STDERR: streams.get("stderr"), ERROR: streams.get("error")}

    async def send(self, channel: int, data: bytes) -> None:
        stream = self._out.get(channel)
        if stream is not None:
            await stream.write(data)

    async def incoming(self) -> AsyncIterator[tuple[int, bytes]]:
        """Input until the client goes away (as with the WebSocket: stdin's end is a CLOSE item, and an
        attach session goes on after it)."""
        queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        tasks = [asyncio.create_task(self._until_gone(queue))]
        if (stdin := self.streams.get("stdin")) is not None:
            tasks.append(asyncio.create_task(_read_stdin(stdin, queue.put_nowait)))
        if (resize := self.streams.get("resize")) is not None:
            tasks.append(asyncio.create_task(_read_resizes(resize, queue.put_nowait)))
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            for task in tasks:
                task.cancel()

    async def _until_gone(self, queue: asyncio.Queue[tuple[int, bytes] | None]) -> None:
        await _until_closed(self.session)
        queue.put_nowait(None)

    async def close(self) -> None:
        if (stdin := self.streams.get("stdin")) is not None:
            stdin.discard()  # the command is over: input it did not read must not stall the connection
        for name in ("stdout", "stderr", "error"):
            if (stream := self.streams.get(name)) is not None:
                await stream.close()
        await finish(self.session)


async def finish(session: Session) -> None:
    """Give the client up to LINGER seconds to read what we sent and hang up, then end the session."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_until_closed(session), LINGER)
    await session.close()


async def _until_closed(session: Session) -> None:
    while await session.accept() is not None:
        pass


async def _read_stdin(stream: Stream, put: Callable[[tuple[int, bytes]], None]) -> None:
    while data := await stream.read():
        put((STDIN, data))
    put((CLOSE, bytes([STDIN])))


async def _read_resizes(stream: Stream, put: Callable[[tuple[int, bytes]], None]) -> None:
    """Go's json.Encoder writes one object after another: split them however the bytes arrive."""
    decoder = json.JSONDecoder()
    buffer = ""
    while data := await stream.read():
        buffer += data.decode(errors="replace")
        while buffer.strip():
            try:
                obj, end = decoder.raw_decode(buffer.lstrip())
            except ValueError:
                break
            buffer = buffer.lstrip()[end:]
            put((RESIZE, json.dumps(obj).encode()))


async def serve_spdy(request: web.Request, supported: tuple[str, ...], wanted: set[str],
                     run: Callable[[SpdyChannels], Awaitable[None]]) -> web.StreamResponse:
    """Negotiate, upgrade, wait for the streams, then ``run`` the session's work over them."""
    protocol = negotiate(request, supported)
    response, session = await upgrade(request, protocol)
    reader = asyncio.create_task(session.run())
    try:
        try:
            streams = await collect_streams(session, wanted)
        except (TimeoutError, ConnectionResetError):
            await session.close()
            return response
        await run(SpdyChannels(session, streams))
    finally:
        await session.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return response


async def handle_spdy_exec(request: web.Request, calls: RuntimeCalls) -> web.StreamResponse:
    """``/exec/{namespace}/{pod}/{container}`` upgraded to SPDY/3.1."""
    command, stdin, tty = exec_request(request)
    truthy = ("1", "true")
    stdout, stderr = request.query.get("stdout") in truthy, request.query.get("stderr") in truthy
    m = request.match_info
    cid = await running_container(calls, m["namespace"], m["pod"], m["container"])
    wanted = expected_streams(stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)

    async def run(channels: SpdyChannels) -> None:
        await run_exec(channels, calls, cid, command, stdin=stdin, tty=tty)

    return await serve_spdy(request, EXEC_PROTOCOLS, wanted, run)


async def handle_spdy_attach(request: web.Request, calls: RuntimeCalls) -> web.StreamResponse:
    """``/attach/{namespace}/{pod}/{container}`` upgraded to SPDY/3.1: the container's own stdio
    (:mod:`kubelite.kubelet.attach`) over the same streams as exec."""
    stdin, stdout, stderr, tty = attach_request(request)
    m = request.match_info
    cid = await running_container(calls, m["namespace"], m["pod"], m["container"])
    sock = await open_attach(calls, cid)

    async def run(channels: SpdyChannels) -> None:
        await run_attach(channels, calls, cid, sock, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)

    try:
        return await serve_spdy(request, EXEC_PROTOCOLS, expected_streams(stdin=stdin, stdout=stdout,
                                                                          stderr=stderr, tty=tty), run)
    finally:
        sock.close()

"""An asyncio SPDY/3.1 session over any byte transport, on top of the sans-I/O :mod:`kubelite.kubelet.spdy`.

Kubernetes uses SPDY only as a stream multiplexer: the client opens streams (SYN_STREAM) whose headers say
what each one carries (``streamtype: stdout``, or ``port``/``requestid`` for port-forward), the server
accepts every one (SYN_REPLY with no headers), and bytes flow as DATA frames until each side sends FIN.
:class:`Session` does that: :meth:`Session.accept` yields the streams the peer opened (already replied to
when ``auto_reply``), :meth:`Session.open` opens one (the client side, used by our tests), PINGs are
echoed, and the end of the transport ends every stream. Flow-control windows are not enforced in either
direction: Kubernetes' Go implementation (spdystream) does not enforce them either. Instead, when more than
STREAM_BUFFER bytes of one stream wait to be read, the session stops reading the transport until they are
(TCP's own window then slows the sender), so a fast uploader cannot fill our memory.

The transport is anything with async ``read() -> bytes`` (``b""`` at the end), async ``write(bytes)``
and ``close()``: the raw upgraded connection for plain SPDY, or WebSocket binary messages for
port-forward's ``SPDY/3.1+portforward.k8s.io`` (see :class:`WebSocketBytes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from aiohttp import WSMsgType, web

from kubelite.kubelet import spdy
from kubelite.webio.upgrade import RawConnection

log = logging.getLogger(__name__)
CHUNK = 32 * 1024  # bytes per DATA frame we send
STREAM_BUFFER = 1 << 20  # bytes received on one stream and not yet read before we stop reading the transport


class ByteTransport(Protocol):
    async def read(self) -> bytes: ...
    async def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class RawBytes:
    """:class:`ByteTransport` over a connection taken over after ``101`` (plain SPDY)."""

    def __init__(self, conn: RawConnection) -> None:
        self.conn = conn

    async def read(self) -> bytes:
        return await self.conn.read()

    async def write(self, data: bytes) -> None:
        self.conn.write(data)
        await self.conn.drain()

    def close(self) -> None:
        self.conn.close()


class WebSocketBytes:
    """:class:`ByteTransport` over binary WebSocket messages whose payloads, concatenated, are the byte
    stream (kubectl >= 1.31's SPDY tunnel: message boundaries fall anywhere)."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws

    async def read(self) -> bytes:
        while True:
            msg = await self.ws.receive()
            if msg.type in (WSMsgType.BINARY, WSMsgType.TEXT):
                data = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
                if data:
                    return data
                continue
            if msg.type in (WSMsgType.PING, WSMsgType.PONG):
                continue
            return b""  # CLOSE, CLOSING, CLOSED, ERROR

    async def write(self, data: bytes) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError):
                await self.ws.send_bytes(data)

    def close(self) -> None:
        pass  # the handler closes the WebSocket when the session ends


class Stream:
    """One SPDY stream: ``headers`` as opened, bytes in with :meth:`read`, out with :meth:`write`."""

    def __init__(self, session: Session, stream_id: int, headers: spdy.Headers) -> None:
        self.session = session
        self.id = stream_id
        self.headers = headers
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self.remote_closed = False  # the peer sent FIN (or RST, or went away)
        self.local_closed = False  # we sent FIN
        self.reset = False
        self.aborted = asyncio.Event()  # set on RST from either side, or when the session ends
        self.replied = asyncio.Event()
        self.buffered = 0
        self.discarding = False
        self.room = asyncio.Event()  # clear while more than STREAM_BUFFER bytes wait to be read
        self.room.set()

    def _feed(self, data: bytes, fin: bool) -> None:
        if self.remote_closed or self.discarding:
            return
        if data:
            self._chunks.put_nowait(data)
            self.buffered += len(data)
            if self.buffered > STREAM_BUFFER:
                self.room.clear()
        if fin:
            self.remote_closed = True
            self._chunks.put_nowait(b"")

    def _abort(self) -> None:
        self.reset = True
        self.aborted.set()
        self.room.set()
        self.local_closed = True
        self.replied.set()
        self._feed(b"", True)

    def discard(self) -> None:
        """We will not read this stream again: drop what waits and whatever still comes (so a peer still
        sending cannot hold up the connection)."""
        self.discarding = True
        while not self._chunks.empty():
            self._chunks.get_nowait()
        self._chunks.put_nowait(b"")
        self.buffered = 0
        self.room.set()

    async def read(self) -> bytes:
        """The next bytes the peer sent; ``b""`` once it finished (FIN), reset the stream or went away."""
        if self.remote_closed and self._chunks.empty():
            return b""
        data = await self._chunks.get()
        if not data:
            self._chunks.put_nowait(b"")  # later reads see the end too
        self.buffered -= len(data)
        if self.buffered <= STREAM_BUFFER:
            self.room.set()
        return data

    async def write(self, data: bytes) -> None:
        for start in range(0, len(data), CHUNK):
            if self.local_closed:
                return
            await self.session.send(spdy.DataFrame(self.id, data[start:start + CHUNK]))

    async def close(self) -> None:
        """Half-close: FIN on our side (the peer may still send)."""
        if not self.local_closed:
            self.local_closed = True
            await self.session.send(spdy.DataFrame(self.id, b"", fin=True))

    async def abort(self, status: int = spdy.CANCEL) -> None:
        if not self.reset:
            self._abort()
            await self.session.send(spdy.RstStream(self.id, status))


class Session:
    """Both ends of a SPDY connection: run :meth:`run` (the reader) while using the streams."""

    def __init__(self, transport: ByteTransport, *, server: bool = True, auto_reply: bool = True) -> None:
        self.transport = transport
        self.codec = spdy.FrameCodec()
        self.streams: dict[int, Stream] = {}
        self._incoming: asyncio.Queue[Stream | None] = asyncio.Queue()
        self._lock = asyncio.Lock()  # one frame at a time: header compression state is shared and ordered
        self._next_id = 2 if server else 1
        self.auto_reply = auto_reply
        self.closed = False
        self.goaway = False

    async def send(self, frame: spdy.Frame) -> None:
        if self.closed:
            return
        async with self._lock:
            try:
                await self.transport.write(self.codec.encode(frame))
            except ConnectionError:
                self.closed = True

    async def accept(self) -> Stream | None:
        """The next stream the peer opened; ``None`` once the session is over."""
        if self.closed and self._incoming.empty():
            return None
        stream = await self._incoming.get()
        if stream is None:
            self._incoming.put_nowait(None)
        return stream

    async def open(self, headers: spdy.Headers, *, wait_reply: bool = True) -> Stream:
        stream = Stream(self, self._next_id, headers)
        self._next_id += 2
        self.streams[stream.id] = stream
        await self.send(spdy.SynStream(stream.id, headers))
        if wait_reply:
            await stream.replied.wait()
        return stream

    async def run(self) -> None:
        """Read frames until the transport ends; then every stream ends too."""
        try:
            while data := await self.transport.read():
                for frame in self.codec.feed(data):
                    await self._handle(frame)
        except spdy.ProtocolError as err:
            log.info("spdy protocol error", extra={"error": str(err)})
            await self.send(spdy.GoAway(0, spdy.PROTOCOL_ERROR))
        finally:
            self._finish()

    def _finish(self) -> None:
        self.closed = True
        for stream in self.streams.values():
            stream._abort()
        self._incoming.put_nowait(None)

    async def close(self) -> None:
        """Say GOAWAY and end the transport."""
        if not self.closed:
            await self.send(spdy.GoAway(max([i for i in self.streams if i % 2 != self._next_id % 2], default=0)))
        self._finish()
        self.transport.close()

    async def _handle(self, frame: spdy.Frame) -> None:
        if isinstance(frame, spdy.DataFrame):
            stream = self.streams.get(frame.stream_id)
            if stream is None:
                await self.send(spdy.RstStream(frame.stream_id, spdy.INVALID_STREAM))
            else:
                stream._feed(frame.data, frame.fin)
                await stream.room.wait()  # backpressure: a reader that falls behind pauses the connection
        elif isinstance(frame, spdy.SynStream):
            if frame.stream_id in self.streams or self.goaway:
                await self.send(spdy.RstStream(frame.stream_id, spdy.PROTOCOL_ERROR if not self.goaway
                                               else spdy.REFUSED_STREAM))
                return
            stream = Stream(self, frame.stream_id, frame.headers)
            self.streams[stream.id] = stream
            if frame.fin:
                stream._feed(b"", True)
            if self.auto_reply:
                await self.send(spdy.SynReply(stream.id))
                stream.replied.set()
            self._incoming.put_nowait(stream)
        elif isinstance(frame, spdy.SynReply):
            stream = self.streams.get(frame.stream_id)
            if stream is not None:
                stream.replied.set()
                if frame.fin:
                    stream._feed(b"", True)
        elif isinstance(frame, spdy.RstStream):
            stream = self.streams.get(frame.stream_id)
            if stream is not None:
                stream._abort()
        elif isinstance(frame, spdy.Ping):
            if frame.ping_id % 2 != self._next_id % 2:  # the peer's ping: echo it; ours come back as answers
                await self.send(frame)
        elif isinstance(frame, spdy.GoAway):
            self.goaway = True
        elif isinstance(frame, spdy.HeadersFrame) and frame.fin:
            stream = self.streams.get(frame.stream_id)
            if stream is not None:
                stream._feed(b"", True)
        # SETTINGS and WINDOW_UPDATE: nothing to do (no flow control, see the module docstring)

"""The asyncio SPDY session over an in-memory byte pipe (no sockets): stream opening and replies, data and
half-closes both ways, PING echo by parity, resets, what ends a session, and backpressure from a slow
reader."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator

import pytest

from kubelite.kubelet import spdy
from kubelite.kubelet.spdysession import STREAM_BUFFER, Session

pytestmark = pytest.mark.unit
WITHIN = 30.0
CUT = 997  # bytes per piece on the pipe: frame boundaries fall anywhere


class Pipe:
    """One direction each way: what one end writes the other reads, cut into pieces."""

    def __init__(self, inbox: asyncio.Queue[bytes], outbox: asyncio.Queue[bytes]) -> None:
        self.inbox, self.outbox = inbox, outbox

    async def read(self) -> bytes:
        return await self.inbox.get()

    async def write(self, data: bytes) -> None:
        for i in range(0, len(data), CUT):
            self.outbox.put_nowait(data[i:i + CUT])

    def close(self) -> None:
        self.outbox.put_nowait(b"")


def pipes() -> tuple[Pipe, Pipe]:
    a: asyncio.Queue[bytes] = asyncio.Queue()
    b: asyncio.Queue[bytes] = asyncio.Queue()
    return Pipe(a, b), Pipe(b, a)


@contextlib.asynccontextmanager
async def running(session: Session) -> AsyncIterator[Session]:
    task = asyncio.create_task(session.run())
    try:
        yield session
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_streams_carry_bytes_both_ways_with_half_closes() -> None:
    client_end, server_end = pipes()
    async with running(Session(server_end)) as server, running(
            Session(client_end, server=False, auto_reply=False)) as client:
        stream = await asyncio.wait_for(client.open({"streamtype": "data", "port": "80"}), WITHIN)
        accepted = await asyncio.wait_for(server.accept(), WITHIN)
        assert accepted is not None and accepted.id == 1 and accepted.headers == {"streamtype": "data", "port": "80"}
        await stream.write(b"ping " * 10_000)  # several DATA frames
        await stream.close()
        got = b""
        while chunk := await asyncio.wait_for(accepted.read(), WITHIN):
            got += chunk
        assert got == b"ping " * 10_000
        await accepted.write(b"pong")  # the other half is still open
        await accepted.close()
        assert await asyncio.wait_for(stream.read(), WITHIN) == b"pong"
        assert await asyncio.wait_for(stream.read(), WITHIN) == b""
        assert await stream.read() == b""  # the end stays the end
        second = await client.open({"streamtype": "error"})
        assert second.id == 3


async def test_peer_pings_are_echoed_and_answers_are_not() -> None:
    client_end, server_end = pipes()
    codec = spdy.FrameCodec()
    async with running(Session(server_end)):
        await client_end.write(codec.encode(spdy.Ping(7)) + codec.encode(spdy.Ping(8)) + codec.encode(spdy.Ping(9)))
        got: list[spdy.Frame] = []
        while spdy.Ping(9) not in got:  # frames are handled in order: 8 was seen before 9 came back
            got += codec.feed(await asyncio.wait_for(client_end.read(), WITHIN))
        assert got == [spdy.Ping(7), spdy.Ping(9)]  # 8 is even: an answer to a ping of the server's


async def test_resets_unknown_streams_duplicates_and_peer_rst() -> None:
    client_end, server_end = pipes()
    codec = spdy.FrameCodec()

    async def frames(count: int) -> list[spdy.Frame]:
        out: list[spdy.Frame] = []
        while len(out) < count:
            out += codec.feed(await asyncio.wait_for(client_end.read(), WITHIN))
        return out

    async with running(Session(server_end)) as server:
        await client_end.write(codec.encode(spdy.DataFrame(9, b"who?")))
        assert await frames(1) == [spdy.RstStream(9, spdy.INVALID_STREAM)]
        await client_end.write(codec.encode(spdy.SynStream(1, {"streamtype": "data"})))
        assert await frames(1) == [spdy.SynReply(1, {})]
        stream = await server.accept()
        assert stream is not None
        await client_end.write(codec.encode(spdy.SynStream(1, {"streamtype": "data"})))
        assert await frames(1) == [spdy.RstStream(1, spdy.PROTOCOL_ERROR)]
        await client_end.write(codec.encode(spdy.RstStream(1, spdy.CANCEL)))
        assert await asyncio.wait_for(stream.read(), WITHIN) == b""
        assert stream.aborted.is_set() and stream.reset
        await stream.write(b"dropped")  # writing to a reset stream sends nothing
        await client_end.write(codec.encode(spdy.GoAway(0)) + codec.encode(spdy.SynStream(3, {})))
        assert await frames(1) == [spdy.RstStream(3, spdy.REFUSED_STREAM)]


async def test_the_transports_end_ends_every_stream_and_accept() -> None:
    client_end, server_end = pipes()
    async with running(Session(server_end)) as server, running(
            Session(client_end, server=False, auto_reply=False)) as client:
        await client.open({"streamtype": "stdout"})
        stream = await server.accept()
        assert stream is not None
        client_end.close()  # the peer hangs up
        assert await asyncio.wait_for(stream.read(), WITHIN) == b""
        assert await asyncio.wait_for(server.accept(), WITHIN) is None
        assert await server.accept() is None


async def test_garbage_is_answered_with_goaway_and_ends_the_session() -> None:
    client_end, server_end = pipes()
    server = Session(server_end)
    task = asyncio.create_task(server.run())
    await client_end.write(struct.pack(">HHI", 0x8002, 1, 0))  # SPDY/2
    await asyncio.wait_for(task, WITHIN)
    got = spdy.FrameCodec().feed(b"".join([client_end.inbox.get_nowait() for _ in range(client_end.inbox.qsize())]))
    assert got == [spdy.GoAway(0, spdy.PROTOCOL_ERROR)]
    assert await server.accept() is None


async def test_a_reader_that_falls_behind_pauses_the_connection() -> None:
    client_end, server_end = pipes()
    codec = spdy.FrameCodec()
    async with running(Session(server_end)) as server:
        await client_end.write(codec.encode(spdy.SynStream(1, {"streamtype": "stdin"})))
        stream = await asyncio.wait_for(server.accept(), WITHIN)
        assert stream is not None
        chunk = b"x" * 30_000
        wire = b"".join(codec.encode(spdy.DataFrame(1, chunk)) for _ in range(70))  # ~2 MB, nobody reading
        await client_end.write(wire + codec.encode(spdy.Ping(5)))
        steps = 0
        while stream.room.is_set():  # scheduling steps, not time: the session reads until the buffer is full
            await asyncio.sleep(0)
            steps += 1
            assert steps < 100_000
        for _ in range(200):  # every chance to read further, which it must not take
            await asyncio.sleep(0)
        assert STREAM_BUFFER < stream.buffered <= STREAM_BUFFER + len(chunk)
        assert server_end.inbox.qsize() > 0  # the rest, and the PING, still wait in the pipe
        got = bytearray()
        while len(got) < 70 * len(chunk):  # reading lets the session go on
            got += await asyncio.wait_for(stream.read(), WITHIN)
        assert bytes(got) == chunk * 70
        frames: list[spdy.Frame] = []
        while spdy.Ping(5) not in frames:
            frames += codec.feed(await asyncio.wait_for(client_end.read(), WITHIN))


async def test_a_discarded_stream_no_longer_holds_the_connection() -> None:
    client_end, server_end = pipes()
    codec = spdy.FrameCodec()
    async with running(Session(server_end)) as server:
        await client_end.write(codec.encode(spdy.SynStream(1, {"streamtype": "stdin"})))
        stream = await asyncio.wait_for(server.accept(), WITHIN)
        assert stream is not None
        wire = b"".join(codec.encode(spdy.DataFrame(1, b"y" * 30_000)) for _ in range(70))
        await client_end.write(wire + codec.encode(spdy.Ping(11)))
        steps = 0
        while stream.room.is_set():
            await asyncio.sleep(0)
            steps += 1
            assert steps < 100_000
        stream.discard()  # e.g. the command ended without reading its stdin
        frames: list[spdy.Frame] = []
        while spdy.Ping(11) not in frames:
            frames += codec.feed(await asyncio.wait_for(client_end.read(), WITHIN))
        assert stream.buffered == 0 and await stream.read() == b""

"""Shared etcd watch feeds, driven by a scripted stream instead of etcd (no I/O)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kubelite.storage.etcd.feeds import Feeds
from kubelite.storage.interface import CompactedError, Event, EventType, KeyValue

pytestmark = pytest.mark.unit


def ev(rev: int, key: str = "/p/a") -> Event:
    return Event(EventType.CREATE, KeyValue(key, b"", rev, rev), None)


class Script:
    """A fake etcd: every opened stream gets the events pushed after it opened (rev > its start)."""

    def __init__(self) -> None:
        self.opened: list[int] = []
        self.open_now = 0
        self.log: list[Event] = []
        self.changed = asyncio.Event()
        self.fail: Exception | None = None

    def push(self, *revs: int) -> None:
        self.log.extend(ev(r) for r in revs)
        self.changed.set()

    async def stream(self, prefix: str, start: int) -> AsyncIterator[Event]:
        self.opened.append(start)
        self.open_now += 1
        sent = start
        try:
            while True:
                for e in self.log:
                    if e.revision > sent:
                        yield e
                        sent = e.revision
                if self.fail is not None:
                    raise self.fail
                self.changed.clear()
                await self.changed.wait()
        finally:
            self.open_now -= 1


async def take(it: AsyncIterator[Event], n: int) -> list[int]:
    out = []
    async with asyncio.timeout(5):
        async for e in it:
            out.append(e.revision)
            if len(out) == n:
                break
    return out


async def test_watchers_on_one_prefix_share_one_stream() -> None:
    script = Script()
    feeds = Feeds(script.stream)
    a, b = feeds.watch("/p/", 0), feeds.watch("/p/", 0)
    ta, tb = asyncio.ensure_future(take(a, 3)), asyncio.ensure_future(take(b, 3))
    await asyncio.sleep(0)
    script.push(1, 2, 3)
    assert await ta == [1, 2, 3] and await tb == [1, 2, 3]
    assert script.opened == [0]
    await a.aclose()  # type: ignore[attr-defined]
    await b.aclose()  # type: ignore[attr-defined]
    await asyncio.sleep(0)
    assert len(feeds) == 0 and script.open_now == 0  # last watcher gone: stream closed


async def test_joiner_inside_the_ring_replays_then_follows() -> None:
    script = Script()
    feeds = Feeds(script.stream, ring_size=10)
    first = feeds.watch("/p/", 0)
    t1 = asyncio.ensure_future(take(first, 4))
    await asyncio.sleep(0)
    script.push(1, 2, 3, 4)
    assert await t1 == [1, 2, 3, 4]  # the feed has 1..4 in its ring
    late = feeds.watch("/p/", 2)
    t2 = asyncio.ensure_future(take(late, 4))
    t3 = asyncio.ensure_future(take(first, 2))
    await asyncio.sleep(0)
    script.push(5, 6)
    assert await t2 == [3, 4, 5, 6]
    assert await t3 == [5, 6]
    assert script.opened == [0]


async def test_joiner_older_than_the_ring_gets_its_own_stream() -> None:
    script = Script()
    feeds = Feeds(script.stream, ring_size=2)
    first = feeds.watch("/p/", 0)
    t1 = asyncio.ensure_future(take(first, 4))
    await asyncio.sleep(0)
    script.push(1, 2, 3, 4)
    assert await t1 == [1, 2, 3, 4]  # ring now holds 3, 4: floor is 2
    old = feeds.watch("/p/", 1)
    assert await take(old, 3) == [2, 3, 4]
    assert script.opened == [0, 1]


async def test_a_failing_feed_fails_every_watcher_and_is_replaced() -> None:
    script = Script()
    feeds = Feeds(script.stream)
    ws = [feeds.watch("/p/", 0) for _ in range(3)]
    tasks = [asyncio.ensure_future(take(w, 5)) for w in ws]
    await asyncio.sleep(0)
    script.fail = CompactedError(0, 7)
    script.push(1)
    for t in tasks:
        with pytest.raises(CompactedError):
            await t
    script.fail = None
    again = feeds.watch("/p/", 1)
    t = asyncio.ensure_future(take(again, 1))
    await asyncio.sleep(0)
    script.push(2)
    assert await t == [2]
    assert script.opened == [0, 1]


async def test_a_watcher_behind_its_buffer_and_the_ring_moves_to_its_own_stream() -> None:
    script = Script()
    feeds = Feeds(script.stream, ring_size=3, max_buffer=2)
    slow = feeds.watch("/p/", 0)
    first = asyncio.ensure_future(take(slow, 1))
    await asyncio.sleep(0)
    script.push(1)
    assert await first == [1]
    script.push(*range(2, 12))  # overflows the 2-event buffer and pushes the ring past revision 1
    assert await take(slow, 10) == list(range(2, 12))
    assert script.opened == [0, 1]  # the shared stream, then one of its own from revision 1

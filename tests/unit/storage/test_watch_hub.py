"""The in-process watch fan-out and the gap-free join of history and live events (no I/O)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelite.storage.interface import Event, EventType, KeyValue, UnavailableError
from kubelite.storage.watch import WatchHub, watch_from

pytestmark = pytest.mark.unit


def ev(key: str, rev: int) -> Event:
    return Event(EventType.CREATE, KeyValue(key, b"", rev, rev), None)


async def test_publish_reaches_only_matching_prefixes() -> None:
    hub = WatchHub()
    pods = hub.subscribe("/pods/")
    nodes = hub.subscribe("/nodes/")
    hub.publish([ev("/pods/a", 1), ev("/nodes/n", 2), ev("/podsx", 3)])
    assert [e.revision for e in await pods.next_batch()] == [1]
    assert [e.revision for e in await nodes.next_batch()] == [2]
    hub.unsubscribe(pods)
    assert len(hub) == 1


async def test_history_and_live_join_without_gaps_or_duplicates() -> None:
    hub = WatchHub()
    history = [ev("/k", r) for r in range(1, 6)]
    calls = 0

    async def read(prefix: str, after: int) -> Sequence[Event]:
        nonlocal calls
        calls += 1
        if calls == 1:
            # A commit lands while history is being read: it is in both history and the live feed.
            hub.publish([ev("/k", 4), ev("/k", 5), ev("/k", 6)])
        return [e for e in history if e.revision > after][:2]

    it = watch_from(hub, "/", 1, read)
    got = []
    async with asyncio.timeout(5):
        async for e in it:
            got.append(e.revision)
            if len(got) == 5:
                break
    assert got == [2, 3, 4, 5, 6]


async def test_close_ends_watches_with_unavailable() -> None:
    hub = WatchHub()

    async def read(prefix: str, after: int) -> Sequence[Event]:
        return []

    it = watch_from(hub, "/", 0, read)
    task = asyncio.ensure_future(it.__anext__())
    await asyncio.sleep(0)
    hub.close()
    with pytest.raises(UnavailableError):
        await task


async def test_a_watcher_that_overflows_catches_up_from_history_without_gaps() -> None:
    hub = WatchHub(max_buffer=3)
    log: list[Event] = []
    reads = 0

    async def read(prefix: str, after: int) -> Sequence[Event]:
        nonlocal reads
        reads += 1
        return [e for e in log if e.revision > after][:4]

    def commit(rev: int) -> None:
        log.append(ev("/k", rev))
        hub.publish([log[-1]])

    it = watch_from(hub, "/", 0, read)
    first = asyncio.ensure_future(it.__anext__())
    await asyncio.sleep(0)
    commit(1)
    assert (await first).revision == 1
    for rev in range(2, 21):  # nobody reads: the 3-event buffer overflows
        commit(rev)
    got = []
    async with asyncio.timeout(5):
        async for e in it:
            got.append(e.revision)
            if e.revision == 20:
                break
    assert got == list(range(2, 21))
    assert reads > 2  # went back to history after the overflow
    assert len(hub) == 1  # and re-joined the live feed


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.integers(1, 12)), min_size=1, max_size=25),
       max_buffer=st.integers(1, 6), page=st.integers(1, 5))
def test_any_interleaving_of_commits_and_reads_is_gap_free(
        steps: list[tuple[bool, int]], max_buffer: int, page: int) -> None:
    """Commits and reads in any order, with tiny buffers and history pages: the watcher sees every
    revision exactly once, in order."""

    async def run() -> None:
        hub = WatchHub(max_buffer=max_buffer)
        log: list[Event] = []

        async def read(prefix: str, after: int) -> Sequence[Event]:
            return [e for e in log if e.revision > after][:page]

        it = watch_from(hub, "/", 0, read)
        seen: list[int] = []
        for is_commit, n in steps:
            if is_commit:
                for _ in range(n):
                    log.append(ev("/k", len(log) + 1))
                    hub.publish([log[-1]])
            else:
                for _ in range(min(n, len(log) - len(seen))):
                    async with asyncio.timeout(5):
                        seen.append((await it.__anext__()).revision)
        while len(seen) < len(log):
            async with asyncio.timeout(5):
                seen.append((await it.__anext__()).revision)
        assert seen == list(range(1, len(log) + 1))
        await it.aclose()  # type: ignore[attr-defined]

    asyncio.run(run())

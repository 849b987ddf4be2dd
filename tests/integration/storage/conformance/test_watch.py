"""Conformance: watch from a revision, gap-free, with prefixes, history replay and compaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kubelite.storage.interface import CompactedError, Event, EventType
from tests.integration.storage.conftest import Harness

pytestmark = pytest.mark.integration


async def take(it: AsyncIterator[Event], n: int, within: float = 10.0) -> list[Event]:
    out: list[Event] = []
    async with asyncio.timeout(within):
        async for ev in it:
            out.append(ev)
            if len(out) == n:
                break
    return out


async def test_watch_sees_create_update_delete_with_prev(harness: Harness) -> None:
    s, k = harness.store, harness.k
    rev0 = await s.current_revision()
    w = s.watch(harness.prefix, rev0)
    kv = await s.create(k("a"), b"1")
    kv2 = await s.update(k("a"), b"2", expected_revision=kv.mod_revision)
    gone = await s.delete(k("a"))
    evs = await take(w, 3)
    await w.aclose()  # type: ignore[attr-defined]
    assert [e.type for e in evs] == [EventType.CREATE, EventType.UPDATE, EventType.DELETE]
    assert [e.revision for e in evs] == [kv.mod_revision, kv2.mod_revision, gone.mod_revision]
    assert evs[0].prev is None and evs[0].kv.value == b"1"
    assert evs[1].prev is not None and evs[1].prev.value == b"1" and evs[1].kv.value == b"2"
    assert evs[1].prev.mod_revision == kv.mod_revision
    assert evs[2].kv.value == b"2" and evs[2].kv.mod_revision == gone.mod_revision
    assert evs[2].prev is not None and evs[2].prev.value == b"2"


async def test_watch_filters_by_prefix(harness: Harness) -> None:
    s, k = harness.store, harness.k
    w = s.watch(k("pods/"), await s.current_revision())
    await s.create(k("podsx"), b"no")
    await s.create(k("other/a"), b"no")
    await s.create(k("pods/a"), b"yes")
    evs = await take(w, 1)
    await w.aclose()  # type: ignore[attr-defined]
    assert evs[0].kv.key == k("pods/a")


async def test_watch_from_past_revision_replays_then_follows(harness: Harness) -> None:
    s, k = harness.store, harness.k
    rev0 = await s.current_revision()
    for i in range(5):
        await s.create(k(f"h{i}"), b"old")
    w = s.watch(harness.prefix, rev0 + 2)  # skip the first two
    got: list[Event] = []

    async def consume() -> None:
        got.extend(await take(w, 3 + 20))

    task = asyncio.create_task(consume())
    # Writes racing with the watch's start must appear exactly once, in order.
    for i in range(20):
        await s.create(k(f"n{i:02}"), b"new")
    await task
    await w.aclose()  # type: ignore[attr-defined]
    assert [e.revision for e in got] == list(range(rev0 + 3, rev0 + 26))
    assert [e.kv.key for e in got[:3]] == [k("h2"), k("h3"), k("h4")]


async def test_watch_many_concurrent_writers_gap_free(harness: Harness) -> None:
    s, k = harness.store, harness.k
    rev0 = await s.current_revision()
    w = s.watch(harness.prefix, rev0)
    await asyncio.gather(*(s.create(k(f"c{i:03}"), b"x") for i in range(100)))
    evs = await take(w, 100)
    await w.aclose()  # type: ignore[attr-defined]
    assert [e.revision for e in evs] == list(range(rev0 + 1, rev0 + 101))


async def test_many_watchers_each_get_everything(harness: Harness) -> None:
    s, k = harness.store, harness.k
    rev0 = await s.current_revision()
    watchers = [s.watch(harness.prefix, rev0) for _ in range(50)]
    for i in range(5):
        await s.create(k(f"m{i}"), b"x")
    results = await asyncio.gather(*(take(w, 5) for w in watchers))
    for w in watchers:
        await w.aclose()  # type: ignore[attr-defined]
    for evs in results:
        assert [e.revision for e in evs] == list(range(rev0 + 1, rev0 + 6))


async def test_watch_from_compacted_revision_fails(harness: Harness) -> None:
    s, k = harness.store, harness.k
    kv = await s.create(k("a"), b"1")
    for i in range(3):
        kv = await s.update(k("a"), str(i).encode(), expected_revision=kv.mod_revision)
    await s.compact(kv.mod_revision - 1)
    with pytest.raises(CompactedError):
        await take(s.watch(harness.prefix, kv.mod_revision - 3), 1)
    # From the compacted revision itself, what follows is still there.
    evs = await take(s.watch(harness.prefix, kv.mod_revision - 1), 1)
    assert evs[0].revision == kv.mod_revision and evs[0].kv.value == b"2"
    assert evs[0].prev is not None and evs[0].prev.value == b"1"


async def test_ttl_expiry_is_a_delete_event(harness: Harness) -> None:
    s, k = harness.store, harness.k
    w = s.watch(harness.prefix, await s.current_revision())
    kv = await s.create(k("ev"), b"e", ttl=1)
    first = await take(w, 1)
    assert first[0].type is EventType.CREATE
    await harness.pass_time(2)
    evs = await take(w, 1)
    await w.aclose()  # type: ignore[attr-defined]
    assert evs[0].type is EventType.DELETE and evs[0].kv.key == kv.key


async def test_close_ends_open_watches_with_unavailable(harness: Harness) -> None:
    from kubelite.storage.interface import UnavailableError

    s, k = harness.store, harness.k
    w = s.watch(harness.prefix, await s.current_revision())
    await s.create(k("a"), b"1")
    assert len(await take(w, 1)) == 1
    pending = asyncio.ensure_future(w.__anext__())
    await s.close()
    with pytest.raises(UnavailableError):
        async with asyncio.timeout(10):
            await pending


async def test_a_watcher_far_behind_still_gets_every_event(harness: Harness) -> None:
    """More writes than the watcher's buffer while it reads nothing: it catches up gap-free."""
    s, k = harness.store, harness.k
    rev0 = await s.current_revision()
    w = s.watch(harness.prefix, rev0)
    await s.create(k("first"), b"x")
    assert [e.revision for e in await take(w, 1)] == [rev0 + 1]
    await asyncio.gather(*(s.create(k(f"f{i:03}"), b"x") for i in range(200)))
    evs = await take(w, 200)
    await w.aclose()  # type: ignore[attr-defined]
    assert [e.revision for e in evs] == list(range(rev0 + 2, rev0 + 202))

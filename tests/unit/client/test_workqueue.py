"""The workqueue's client-go semantics, driven by a FakeClock (no real time passes)."""

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelite.base.clock import FakeClock
from kubelite.client.ratelimit import ItemExponentialFailureRateLimiter
from kubelite.client.workqueue import ShutDownError, WorkQueue

pytestmark = pytest.mark.unit


async def settle() -> None:
    """Let every ready task run (no time passes on the FakeClock)."""
    for _ in range(20):
        await asyncio.sleep(0)


def make_queue() -> tuple[WorkQueue, FakeClock]:
    clock = FakeClock()
    return WorkQueue("test", clock=clock), clock


async def test_duplicate_adds_collapse_and_order_is_fifo() -> None:
    q, _ = make_queue()
    for key in ("a", "b", "a", "c", "b"):
        q.add(key)
    assert len(q) == 3
    assert [await q.get() for _ in range(3)] == ["a", "b", "c"]
    assert len(q) == 0


async def test_key_never_handed_to_two_workers_and_readded_on_done() -> None:
    q, _ = make_queue()
    q.add("a")
    assert await q.get() == "a"
    q.add("a")  # changed while processing: marked dirty, not queued
    q.add("a")
    assert len(q) == 0
    second = asyncio.create_task(q.get())
    await settle()
    assert not second.done(), "a second worker must not get a key already processing"
    q.done("a")
    assert await asyncio.wait_for(second, 1) == "a"
    q.done("a")
    assert len(q) == 0 and q.processing == frozenset()


async def test_done_without_readd_does_not_requeue() -> None:
    q, _ = make_queue()
    q.add("a")
    key = await q.get()
    q.done(key)
    assert len(q) == 0


async def test_get_blocks_until_add() -> None:
    q, _ = make_queue()
    getter = asyncio.create_task(q.get())
    await settle()
    assert not getter.done()
    q.add("x")
    assert await asyncio.wait_for(getter, 1) == "x"


async def test_cancelled_getter_passes_wakeup_on() -> None:
    q, _ = make_queue()
    first = asyncio.create_task(q.get())
    second = asyncio.create_task(q.get())
    await settle()
    first.cancel()
    q.add("x")
    await settle()
    assert first.cancelled()
    assert await asyncio.wait_for(second, 1) == "x"


async def test_shutdown_returns_remaining_items_then_raises_and_ignores_adds() -> None:
    q, _ = make_queue()
    q.add("a")
    q.shut_down()
    q.add("b")
    assert await q.get() == "a"
    with pytest.raises(ShutDownError):
        await q.get()


async def test_shutdown_wakes_blocked_workers() -> None:
    q, _ = make_queue()
    workers = [asyncio.create_task(q.get()) for _ in range(3)]
    await settle()
    q.shut_down()
    for w in workers:
        with pytest.raises(ShutDownError):
            await asyncio.wait_for(w, 1)


async def test_shutdown_with_drain_waits_for_processing() -> None:
    q, _ = make_queue()
    q.add("a")
    key = await q.get()
    drain = asyncio.create_task(q.shut_down_with_drain())
    await settle()
    assert not drain.done()
    q.done(key)
    await asyncio.wait_for(drain, 1)


async def test_add_after_waits_on_the_clock() -> None:
    q, clock = make_queue()
    q.add_after("a", 2.0)
    q.add_after("b", 1.0)
    await settle()
    assert len(q) == 0 and q.parked == 2
    await clock.advance(0.5)
    await settle()
    assert len(q) == 0
    await clock.advance(0.5)
    await settle()
    assert list(q._queue) == ["b"]
    await clock.advance(1.0)
    await settle()
    assert list(q._queue) == ["b", "a"]
    assert q.parked == 0


async def test_add_after_keeps_the_earlier_deadline() -> None:
    q, clock = make_queue()
    q.add_after("a", 10.0)
    await settle()
    q.add_after("a", 1.0)  # earlier: re-plans the wait
    q.add_after("a", 5.0)  # later: ignored
    await settle()
    await clock.advance(1.0)
    await settle()
    assert len(q) == 1
    assert await q.get() == "a"
    q.done("a")
    await clock.advance(10.0)
    await settle()
    assert len(q) == 0, "the superseded deadlines must not add the key again"


async def test_add_after_zero_adds_now_and_shutdown_drops_parked() -> None:
    q, clock = make_queue()
    q.add_after("now", 0)
    assert len(q) == 1
    q.add_after("later", 3)
    await settle()
    q.shut_down()
    await clock.advance(5)
    await settle()
    assert q.parked == 0
    assert await q.get() == "now"


async def test_rate_limited_requeues_back_off_exponentially_and_forget_resets() -> None:
    clock = FakeClock()
    q = WorkQueue("rl", clock=clock, rate_limiter=ItemExponentialFailureRateLimiter(1.0, 8.0))
    delays = []
    for _ in range(5):
        start = clock.monotonic()
        q.add_rate_limited("k")
        await settle()
        while len(q) == 0:
            await clock.advance(0.5)
            await settle()
        key = await q.get()
        delays.append(clock.monotonic() - start)
        q.done(key)
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert q.num_requeues("k") == 5
    q.forget("k")
    assert q.num_requeues("k") == 0


async def test_default_limiter_first_retry_is_five_ms() -> None:
    q, clock = make_queue()
    q.add_rate_limited("k")
    await settle()
    await clock.advance(0.004)
    await settle()
    assert len(q) == 0
    await clock.advance(0.001)
    await settle()
    assert len(q) == 1


async def test_many_workers_process_each_key_exclusively() -> None:
    q, _ = make_queue()
    active: set[str] = set()
    overlaps: list[str] = []
    processed: list[str] = []

    async def worker() -> None:
        while True:
            try:
                key = await q.get()
            except ShutDownError:
                return
            if key in active:
                overlaps.append(key)
            active.add(key)
            await asyncio.sleep(0)
            q.add(key) if len(processed) < 30 else None  # churn: re-add while processing
            await asyncio.sleep(0)
            active.discard(key)
            processed.append(key)
            q.done(key)

    for i in range(10):
        q.add(f"k{i % 4}")
    workers = [asyncio.create_task(worker()) for _ in range(4)]
    for _ in range(200):
        await asyncio.sleep(0)
        if len(processed) >= 30 and len(q) == 0 and not q.processing:
            break
    await q.shut_down_with_drain()
    await asyncio.wait_for(asyncio.gather(*workers), 1)
    assert overlaps == []
    assert len(processed) >= 30

_OPS = st.lists(st.one_of(
    st.tuples(st.just("add"), st.sampled_from("abcd")),
    st.tuples(st.just("get"), st.just("")),
    st.tuples(st.just("done"), st.just("")),
), max_size=80)


@settings(deadline=None, max_examples=60)
@given(_OPS)
def test_random_interleavings_keep_the_guarantees(ops: list[tuple[str, str]]) -> None:
    """No key is handed out while it is processing, nothing waits twice in the queue, and every add is
    followed by a get of that key once everything in flight is done (no change is lost)."""

    async def scenario() -> None:
        q, _ = make_queue()
        in_hand: list[str] = []
        owed: set[str] = set()  # keys added since their last hand-out
        for op, key in ops:
            if op == "add":
                q.add(key)
                owed.add(key)
            elif op == "get" and len(q):
                got = await q.get()
                assert got not in in_hand, "a key was handed to two workers"
                in_hand.append(got)
                owed.discard(got)
            elif op == "done" and in_hand:
                q.done(in_hand.pop(0))
            assert len(set(q._queue)) == len(q._queue), "a key waits twice"
        for key in in_hand:
            q.done(key)
        while len(q):
            got = await q.get()
            owed.discard(got)
            q.done(got)
        assert owed == set(), f"changes lost for {sorted(owed)}"

    asyncio.run(scenario())

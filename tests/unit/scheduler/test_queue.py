import asyncio

import pytest

from kubelite.base.clock import FakeClock
from kubelite.scheduler.queue import SchedulingQueue

pytestmark = pytest.mark.unit


async def test_priority_then_age_and_duplicates_collapse() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock)
    q.add("default/old")
    await clock.advance(1)
    q.add("default/new")
    q.add("default/urgent", priority=1000)
    q.add("default/old")  # already queued: collapses
    assert len(q) == 3
    assert [await q.pop() for _ in range(3)] == ["default/urgent", "default/old", "default/new"]


async def test_failed_pod_backs_off_with_doubling_delay() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock, initial_backoff=1, max_backoff=4)
    assert [q.backoff_for(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 4, 4]
    q.add("ns/p")
    key = await q.pop()
    q.failed(key, unschedulable=False)
    assert q.state(key) == "backoff"
    popper = asyncio.create_task(q.pop())
    await asyncio.sleep(0)
    assert not popper.done()
    await clock.advance(0.5)
    q.flush()
    assert q.state(key) == "backoff"
    await clock.advance(0.6)
    q.flush()
    assert await asyncio.wait_for(popper, 1) == key


async def test_unschedulable_pods_wait_for_a_cluster_event() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock, initial_backoff=1, max_unschedulable=300)
    q.add("ns/p")
    key = await q.pop()
    q.failed(key, unschedulable=True)
    await clock.advance(20)
    q.flush()
    assert q.state(key) == "unschedulable"  # backoff alone does not bring it back
    q.move_all()  # e.g. a node was added
    assert q.state(key) == "active"
    assert await q.pop() == key


async def test_unschedulable_pods_are_retried_after_the_maximum_wait() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock, max_unschedulable=60)
    q.add("ns/p")
    q.failed(await q.pop(), unschedulable=True)
    await clock.advance(61)
    q.flush()
    assert q.state("ns/p") == "active"


async def test_an_event_during_the_cycle_sends_the_failure_to_backoff_not_unschedulable() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock)
    q.add("ns/p")
    key = await q.pop()
    q.move_all()  # a node arrived while the pod was being scheduled
    q.failed(key, unschedulable=True)
    assert q.state(key) == "backoff"


async def test_deleted_pods_are_dropped_even_from_the_heap_and_in_flight() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock)
    q.add("ns/a")
    q.add("ns/b")
    q.delete("ns/a")
    assert await q.pop() == "ns/b"
    q.delete("ns/b")
    q.failed("ns/b", unschedulable=True)  # deleted while in flight: nothing to requeue
    assert q.state("ns/b") == "absent" and len(q) == 0


async def test_update_of_an_unschedulable_pod_retries_it_and_close_ends_pop() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock)
    q.add("ns/p")
    q.failed(await q.pop(), unschedulable=True)
    q.update("ns/p")
    assert await q.pop() == "ns/p"
    q.done("ns/p")
    waiter = asyncio.create_task(q.pop())
    await asyncio.sleep(0)
    q.close()
    with pytest.raises(asyncio.CancelledError):
        await waiter

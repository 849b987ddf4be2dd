"""The reconciler framework's worker semantics, with a FakeClock and no API server."""

import asyncio
import contextlib

import pytest

from kubelite.base.clock import FakeClock
from kubelite.client.reconciler import PermanentError, Reconciler, object_key
from kubelite.client.store import DeletedFinalStateUnknown

pytestmark = pytest.mark.unit


async def settle() -> None:
    for _ in range(30):
        await asyncio.sleep(0)


async def test_transient_failures_back_off_permanent_ones_are_dropped() -> None:
    clock = FakeClock()
    calls: list[str] = []
    fail = {"flaky": 2, "broken": 1}

    async def sync(key: str) -> None:
        calls.append(key)
        if key == "broken":
            raise PermanentError("invalid spec")
        if fail.get(key, 0) > 0:
            fail[key] -= 1
            raise RuntimeError("api unavailable")

    r = Reconciler("test", sync, workers=2, clock=clock)
    task = asyncio.create_task(r.run())
    r.enqueue_key("flaky")
    r.enqueue_key("broken")
    await settle()
    assert calls.count("flaky") == 1 and calls.count("broken") == 1
    assert r.queue.num_requeues("flaky") == 1
    await clock.advance(0.005)  # first retry after 5 ms
    await settle()
    assert calls.count("flaky") == 2
    await clock.advance(0.005)
    await settle()
    assert calls.count("flaky") == 2, "the second retry waits 10 ms"
    await clock.advance(0.005)
    await settle()
    assert calls.count("flaky") == 3
    assert r.queue.num_requeues("flaky") == 0, "success forgets the backoff"
    await clock.advance(10)
    await settle()
    assert calls.count("broken") == 1, "permanent failures are not retried"
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert r.queue.shutting_down


async def test_one_key_is_never_synced_concurrently() -> None:
    clock = FakeClock()
    running: set[str] = set()
    overlap: list[str] = []
    gate = asyncio.Event()

    async def sync(key: str) -> None:
        if key in running:
            overlap.append(key)
        running.add(key)
        await gate.wait()
        running.discard(key)

    r = Reconciler("test", sync, workers=4, clock=clock)
    task = asyncio.create_task(r.run())
    for _ in range(5):
        r.enqueue_key("k")
    await settle()
    r.enqueue_key("k")  # arrives mid-sync: one more sync afterwards, not a parallel one
    await settle()
    gate.set()
    await settle()
    assert overlap == []
    assert r.syncs == 2
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def test_object_key_handles_tombstones() -> None:
    assert object_key({"metadata": {"name": "a", "namespace": "ns"}}) == "ns/a"
    assert object_key(DeletedFinalStateUnknown("ns/b", {})) == "ns/b"

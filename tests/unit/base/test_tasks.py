import asyncio
from collections.abc import Awaitable, Callable

import pytest

from kubelite.base.backoff import Backoff
from kubelite.base.clock import FakeClock
from kubelite.base.tasks import (
    ChildFailedError,
    NotReadyError,
    Ready,
    RestartPolicy,
    Supervisor,
    wait_ready,
)

pytestmark = pytest.mark.unit


async def test_readiness_orders_startup_without_sleeping() -> None:
    storage, api = Ready("storage"), Ready("apiserver")
    order: list[str] = []

    async def start_storage() -> None:
        order.append("storage")
        storage.set()

    async def start_api() -> None:
        await storage.wait()
        order.append("apiserver")
        api.set()

    async with Supervisor("server") as sup:
        sup.start("apiserver", start_api, forever=False)
        sup.start("storage", start_storage, forever=False)
        await wait_ready([storage, api], timeout=5)
    assert order == ["storage", "apiserver"]


async def test_wait_ready_names_what_is_pending() -> None:
    a, b = Ready("a"), Ready("b")
    a.set()
    with pytest.raises(NotReadyError) as info:
        await wait_ready([a, b], timeout=0.01)
    assert info.value.pending == ["b"]
    assert "b" in str(info.value)


async def test_a_failing_child_cancels_siblings_and_fails_loudly() -> None:
    cancelled = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def broken() -> None:
        raise OSError("port taken")

    with pytest.raises(ChildFailedError) as info:
        async with Supervisor("agent") as sup:
            sup.start("proxy", forever)
            sup.start("kubelet", broken)
    assert info.value.child == "kubelet"
    assert "port taken" in str(info.value)
    assert cancelled.is_set()


async def test_a_service_that_returns_counts_as_failed() -> None:
    async def quits() -> None:
        return None

    with pytest.raises(ChildFailedError, match="returned"):
        async with Supervisor("server") as sup:
            sup.start("scheduler", quits)


async def test_restart_policy_restarts_with_backoff_then_gives_up() -> None:
    clock = FakeClock()
    attempts = 0

    async def flaky() -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError(f"attempt {attempts}")

    policy = RestartPolicy(max_restarts=3, backoff=Backoff(initial=1, maximum=4))

    async def drive() -> None:
        while True:
            await asyncio.sleep(0)
            await clock.advance(1)

    driver = asyncio.create_task(drive())
    try:
        with pytest.raises(ChildFailedError, match="attempt 4"):
            async with Supervisor("agent", clock=clock) as sup:
                sup.start("kubelet", flaky, restart=policy)
    finally:
        driver.cancel()
    assert attempts == 4  # the first run plus three restarts
    assert clock.monotonic() >= 1 + 2 + 4  # backoff slept 1, 2, 4 fake seconds


async def test_restart_recovers_when_child_then_succeeds() -> None:
    clock = FakeClock()
    attempts = 0
    done = Ready("done")

    async def recovers() -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise RuntimeError("not yet")
        done.set()

    async with Supervisor("agent", clock=clock) as sup:
        sup.start("proxy", recovers, restart=RestartPolicy(backoff=Backoff(initial=1)), forever=False)
        while not done.is_set():
            await asyncio.sleep(0)
            await clock.advance(1)
    assert attempts == 3


async def test_stop_cancels_children_cleanly() -> None:
    started = Ready("started")

    async def service() -> None:
        started.set()
        await asyncio.Event().wait()

    async with Supervisor("server") as sup:
        sup.start("apiserver", service)
        await started.wait()
        assert sup.children == ["apiserver"]
        sup.stop()
    assert sup.children == []


async def test_stop_all_but_stops_dependents_before_the_rest() -> None:
    order: list[str] = []
    both = [Ready("a"), Ready("b")]

    def service(name: str, ready: Ready) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            ready.set()
            try:
                await asyncio.Event().wait()
            finally:
                # The API server must still be running when a dependent unwinds.
                order.append(f"{name} saw {sup.children}")
        return run

    async with Supervisor("server") as sup:
        sup.start("apiserver", service("apiserver", both[0]))
        sup.start("scheduler", service("scheduler", both[1]))
        for r in both:
            await r.wait()
        await sup.stop_all_but("apiserver")
    assert order[0] == "scheduler saw ['apiserver', 'scheduler']"
    assert order[1].startswith("apiserver saw")
    assert sup.children == []

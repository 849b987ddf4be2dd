import asyncio

import pytest

from kubelite.base.clock import FakeClock, RealClock

pytestmark = pytest.mark.unit


async def test_fake_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = FakeClock()
    woken: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woken.append(f"{name}@{clock.monotonic():g}")

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("c", 3), ("a", 1), ("b", 2))]
    await asyncio.sleep(0)
    assert clock.sleepers == 3
    await clock.advance(1.5)
    assert woken == ["a@1"]
    await clock.advance(10)
    assert woken == ["a@1", "b@2", "c@3"]
    assert clock.monotonic() == 11.5
    await asyncio.gather(*tasks)


async def test_fake_clock_wall_time_follows_monotonic() -> None:
    clock = FakeClock()
    start = clock.now()
    await clock.advance(90)
    assert (clock.now() - start).total_seconds() == 90
    assert start.tzinfo is not None


async def test_cancelled_sleeper_is_not_counted_and_does_not_break_advance() -> None:
    clock = FakeClock()
    task = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.sleepers == 0
    await clock.advance(10)
    assert clock.monotonic() == 10


async def test_real_clock_is_monotonic_and_aware() -> None:
    clock = RealClock()
    a = clock.monotonic()
    await clock.sleep(0)
    assert clock.monotonic() >= a
    assert clock.now().tzinfo is not None

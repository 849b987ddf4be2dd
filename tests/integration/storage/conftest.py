"""The storage conformance fixture: one ``harness`` per backend, every conformance test runs on each.

Tests address keys under ``h.prefix`` (unique per test) so the etcd backend can share one etcd per
session; revision assertions are relative to the revision a test starts at for the same reason.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubelite.base.clock import FakeClock
from kubelite.storage.etcd import EtcdConfig, EtcdStorage
from kubelite.storage.interface import Storage
from kubelite.storage.memory import MemoryConfig, MemoryStorage
from kubelite.storage.sqlite import SQLiteConfig, SQLiteStorage
from kubelite.testing.etcd import EtcdCluster

BACKENDS = ["memory", "sqlite", "etcd"]
WATCH_BUFFER = 50  # small, so slow-watcher catch-up paths run in the suite


@dataclass
class Harness:
    store: Storage
    prefix: str
    backend: str
    clock: FakeClock | None  # None: the backend keeps real time (etcd leases)

    def k(self, name: str) -> str:
        return self.prefix + name

    async def pass_time(self, seconds: float) -> None:
        """Move the backend's clock on (fake clocks only; real-time backends are polled instead)."""
        if self.clock is not None:
            await self.clock.advance(seconds)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll ``check`` until true or fail after ``within`` seconds (never a fixed sleep)."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within}s")
        await asyncio.sleep(0.02)


@pytest.fixture(scope="session")
def etcd_cluster() -> Iterator[EtcdCluster]:
    """One real single-member etcd for the session; tests keep apart by key prefix."""
    with EtcdCluster(1) as cluster:
        yield cluster


@pytest.fixture(params=BACKENDS)
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    backend: str = request.param
    prefix = f"/t-{uuid.uuid4().hex[:8]}/"
    clock = FakeClock()
    store: Storage
    if backend == "memory":
        store = MemoryStorage(MemoryConfig(watch_buffer=WATCH_BUFFER), clock=clock)
    elif backend == "sqlite":
        store = SQLiteStorage(SQLiteConfig(str(tmp_path / "db" / "state.db"), watch_buffer=WATCH_BUFFER),
                              clock=clock)
    else:
        cluster: EtcdCluster = request.getfixturevalue("etcd_cluster")
        store = EtcdStorage(EtcdConfig(endpoints=tuple(cluster.endpoints), watch_buffer=WATCH_BUFFER))
    await store.start()
    try:
        yield Harness(store, prefix, backend, None if backend == "etcd" else clock)
    finally:
        await store.close()

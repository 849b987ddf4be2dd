"""TTL expiry for the backends without leases of their own (memory, SQLite).

A key written with ``ttl`` seconds gets a deadline on the clock's monotonic scale. :class:`ExpiryQueue`
is the pure part (a heap of deadlines); :func:`run_expiry` sleeps until the earliest one and deletes
due keys with ``expected_revision`` set to the revision that carried the TTL, so a key rewritten in the
meantime (new TTL or none) is left alone: the stale entry just loses the compare-and-swap.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from kubelite.base.clock import Clock
from kubelite.storage.interface import StorageError

log = logging.getLogger(__name__)


class ExpiryQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[float, str, int]] = []
        self.changed = asyncio.Event()  # set when a sooner deadline may have arrived

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, deadline: float, key: str, revision: int) -> None:
        heapq.heappush(self._heap, (deadline, key, revision))
        self.changed.set()

    def next_deadline(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> list[tuple[str, int]]:
        due = []
        while self._heap and self._heap[0][0] <= now:
            _, key, rev = heapq.heappop(self._heap)
            due.append((key, rev))
        return due


async def run_expiry(queue: ExpiryQueue, clock: Clock,
                     delete: Callable[[str, int], Awaitable[object]]) -> None:
    """Delete keys as their deadlines pass; runs until cancelled."""
    while True:
        for key, rev in queue.pop_due(clock.monotonic()):
            try:
                await delete(key, rev)
            except StorageError:
                pass  # rewritten or already gone: the newer write owns the key now
        deadline = queue.next_deadline()
        queue.changed.clear()
        waits: set[asyncio.Future[Any]] = {asyncio.ensure_future(queue.changed.wait())}
        if deadline is not None:
            waits.add(asyncio.ensure_future(clock.sleep(deadline - clock.monotonic())))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in waits:
                fut.cancel()

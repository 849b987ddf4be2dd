"""The scheduling queue, as kube-scheduler's: active pods, pods backing off, and unschedulable pods.

- ``active``: pods ready to be tried, highest priority first, then oldest.
- ``backoff``: pods that failed recently, waiting ``initial * 2**(attempts-1)`` (1 s doubling to 10 s).
- ``unschedulable``: pods no node fits. They wait for a cluster event that could change that (a node
  added or updated, a pod deleted) and then go back through backoff; failing that, they are retried
  after ``max_unschedulable`` seconds anyway.

A pod that fails while a move event happened during its own cycle goes to backoff rather than
unschedulable, so that an event racing with a cycle is never lost (kube's moveRequestCycle). The
queue holds keys only: the scheduler re-reads the pod from its informer when it pops one.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass

from kubelite.base.clock import Clock


@dataclass
class _Entry:
    key: str
    priority: int
    added: float
    attempts: int = 0
    unschedulable_since: float = 0.0
    backoff_until: float = 0.0


class SchedulingQueue:
    def __init__(self, clock: Clock, *, initial_backoff: float = 1.0, max_backoff: float = 10.0,
                 max_unschedulable: float = 300.0) -> None:
        self._clock = clock
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_unschedulable = max_unschedulable
        self._entries: dict[str, _Entry] = {}
        self._active: list[tuple[int, float, int, str]] = []
        self._in_active: set[str] = set()
        self._backoff: set[str] = set()
        self._unschedulable: set[str] = set()
        self._in_flight: dict[str, int] = {}  # key -> cycle it was popped in
        self._seq = itertools.count()
        self._cycle = 0
        self._move_request_cycle = -1
        self._wakeup = asyncio.Event()
        self._closed = False

    # ---------------------------------------------------------------- informer side

    def add(self, key: str, priority: int = 0) -> None:
        """A new pending pod, or one seen again (a no-op if already queued or in flight)."""
        if key in self._entries or key in self._in_flight:
            return
        self._entries[key] = _Entry(key, priority, self._clock.monotonic())
        self._push_active(key)

    def update(self, key: str) -> None:
        """The pod changed: an unschedulable pod may fit now, so it is tried again."""
        if key in self._unschedulable:
            self._unschedulable.discard(key)
            self._push_active(key)

    def delete(self, key: str) -> None:
        self._entries.pop(key, None)
        self._in_active.discard(key)  # the heap entry is skipped lazily on pop
        self._backoff.discard(key)
        self._unschedulable.discard(key)

    def move_all(self) -> None:
        """A cluster event that may make unschedulable pods fit: send them through backoff."""
        self._move_request_cycle = self._cycle
        now = self._clock.monotonic()
        for key in list(self._unschedulable):
            self._unschedulable.discard(key)
            entry = self._entries[key]
            if entry.backoff_until <= now:
                self._push_active(key)
            else:
                self._backoff.add(key)

    # ---------------------------------------------------------------- scheduler side

    async def pop(self) -> str:
        """The next pod key to schedule; waits until there is one. Raises CancelledError on close."""
        while True:
            self.flush()
            while self._active:
                _, _, _, key = heapq.heappop(self._active)
                if key not in self._in_active:
                    continue  # deleted or re-pushed since
                self._in_active.discard(key)
                self._cycle += 1
                self._in_flight[key] = self._cycle
                return key
            if self._closed:
                raise asyncio.CancelledError("scheduling queue closed")
            self._wakeup.clear()
            await self._wakeup.wait()

    def done(self, key: str) -> None:
        """Scheduling of ``key`` succeeded (or the pod is gone): forget it."""
        self._in_flight.pop(key, None)
        self._entries.pop(key, None)

    def failed(self, key: str, *, unschedulable: bool) -> None:
        """Scheduling of ``key`` failed: back off, or wait for an event if no node fits."""
        cycle = self._in_flight.pop(key, None)
        entry = self._entries.get(key)
        if entry is None:
            return  # deleted while in flight
        entry.attempts += 1
        now = self._clock.monotonic()
        entry.backoff_until = now + self.backoff_for(entry.attempts)
        if unschedulable and (cycle is None or self._move_request_cycle < cycle):
            entry.unschedulable_since = now
            self._unschedulable.add(key)
        else:
            self._backoff.add(key)

    def backoff_for(self, attempts: int) -> float:
        return min(self.max_backoff, self.initial_backoff * float(2 ** max(0, attempts - 1)))

    def flush(self) -> None:
        """Move pods whose backoff expired to active, and long-unschedulable pods to a retry."""
        now = self._clock.monotonic()
        for key in [k for k in self._backoff if self._entries[k].backoff_until <= now]:
            self._backoff.discard(key)
            self._push_active(key)
        for key in [k for k in self._unschedulable
                    if now - self._entries[k].unschedulable_since >= self.max_unschedulable]:
            self._unschedulable.discard(key)
            self._push_active(key)

    async def run_flusher(self, interval: float = 1.0) -> None:
        """Wake ``pop`` when backoffs expire: kube-scheduler flushes every second too."""
        while not self._closed:
            await self._clock.sleep(interval)
            if self._backoff or self._unschedulable:
                self.flush()
                if self._active:
                    self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    # ---------------------------------------------------------------- introspection

    def __len__(self) -> int:
        return len(self._entries)

    def state(self, key: str) -> str:
        if key in self._in_flight:
            return "in-flight"
        if key in self._in_active:
            return "active"
        if key in self._backoff:
            return "backoff"
        if key in self._unschedulable:
            return "unschedulable"
        return "absent"

    def _push_active(self, key: str) -> None:
        entry = self._entries[key]
        self._in_active.add(key)
        heapq.heappush(self._active, (-entry.priority, entry.added, next(self._seq), key))
        self._wakeup.set()

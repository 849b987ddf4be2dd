"""The controller workqueue, with client-go's exact semantics (``workqueue.RateLimitingInterface``).

Terms: a *key* (usually ``namespace/name``) is *dirty* when it needs processing, *processing* between
:meth:`WorkQueue.get` and :meth:`WorkQueue.done`. The rules that make level-triggered controllers safe:

1. Adding a key that is already dirty does nothing: a burst of events becomes one sync.
2. A key is never handed to two workers at once: while it is processing, an add only marks it dirty.
3. A key re-added while processing is queued again when :meth:`done` is called, so the change that
   arrived mid-sync is never lost.
4. Failed keys come back after :meth:`add_rate_limited`'s delay (per-key exponential 5 ms .. 1000 s,
   combined with a 10 qps / 100 burst bucket); :meth:`forget` resets a key after success.
5. :meth:`add_after` parks a key on the injectable :class:`~kubelite.base.clock.Clock`; parking a key
   that is already parked keeps the earlier deadline.
6. After :meth:`shut_down`, adds are ignored, :meth:`get` keeps returning what is queued and then raises
   :class:`ShutDownError`; :meth:`shut_down_with_drain` also waits for keys being processed to be done.

The usual worker::

    while True:
        try:
            key = await queue.get()
        except ShutDownError:
            return
        try:
            await sync(key)
        except Exception:
            queue.add_rate_limited(key)      # transient: retry with backoff
        else:
            queue.forget(key)                # success: reset the key's backoff
        finally:
            queue.done(key)
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections import deque

from kubelite.base.clock import Clock, RealClock
from kubelite.client.ratelimit import RateLimiter, default_controller_rate_limiter


class ShutDownError(Exception):
    """The queue is shut down and empty: the worker should return."""


class WorkQueue:
    """A deduplicating, delaying, rate-limited queue of string keys. See the module docstring."""

    def __init__(self, name: str = "", *, clock: Clock | None = None,
                 rate_limiter: RateLimiter | None = None) -> None:
        self.name = name
        self.clock: Clock = clock or RealClock()
        self.rate_limiter: RateLimiter = rate_limiter or default_controller_rate_limiter(self.clock.monotonic)
        self._queue: deque[str] = deque()
        self._dirty: set[str] = set()
        self._processing: set[str] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._shutting_down = False
        self._idle: asyncio.Event | None = None
        # add_after: a heap of (ready_at, seq, key) with lazy deletion; _parked holds each key's deadline.
        self._heap: list[tuple[float, int, str]] = []
        self._parked: dict[str, float] = {}
        self._seq = itertools.count()
        self._waiter_task: asyncio.Task[None] | None = None
        self._nap: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------------------- basic queue

    def add(self, key: str) -> None:
        """Mark ``key`` dirty; queue it unless it is already queued or being processed."""
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return
        self._queue.append(key)
        self._wake_getter()

    async def get(self) -> str:
        """The next key to process; the caller must call :meth:`done` with it. Raises
        :class:`ShutDownError` once the queue is shut down and empty."""
        loop = asyncio.get_running_loop()
        while not self._queue and not self._shutting_down:
            fut: asyncio.Future[None] = loop.create_future()
            self._getters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self._wake_getter()  # pass the wake-up we consumed on to another worker
                raise
        if not self._queue:
            raise ShutDownError(self.name)
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: str) -> None:
        """``key`` is no longer being processed; re-queue it if it was added meanwhile."""
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._wake_getter()
        elif not self._processing and self._idle is not None:
            self._idle.set()

    def __len__(self) -> int:
        """Keys waiting to be handed out (not those processing or parked)."""
        return len(self._queue)

    @property
    def processing(self) -> frozenset[str]:
        return frozenset(self._processing)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def _wake_getter(self) -> None:
        while self._getters:
            fut = self._getters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    # ---------------------------------------------------------------------------------- shutdown

    def shut_down(self) -> None:
        """Stop accepting keys and wake every waiting worker; parked keys are dropped."""
        self._shutting_down = True
        while self._getters:
            fut = self._getters.popleft()
            if not fut.done():
                fut.set_result(None)
        self._heap.clear()
        self._parked.clear()
        if self._nap is not None and not self._nap.done():
            self._nap.cancel()
        if self._waiter_task is not None:
            self._waiter_task.cancel()

    async def shut_down_with_drain(self) -> None:
        """Shut down, then wait until every key handed out has been marked done."""
        self.shut_down()
        if self._waiter_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._waiter_task
        while self._processing:
            self._idle = asyncio.Event()
            await self._idle.wait()

    # ------------------------------------------------------------------------------ delayed adds

    def add_after(self, key: str, delay: float) -> None:
        """Add ``key`` once ``delay`` seconds of the queue's clock have passed."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        ready_at = self.clock.monotonic() + delay
        current = self._parked.get(key)
        if current is not None and current <= ready_at:
            return
        self._parked[key] = ready_at
        heapq.heappush(self._heap, (ready_at, next(self._seq), key))
        if self._waiter_task is None or self._waiter_task.done():
            self._waiter_task = asyncio.get_running_loop().create_task(
                self._waiting_loop(), name=f"workqueue-{self.name}-delay")
        elif self._heap[0][2] == key and self._nap is not None and not self._nap.done():
            self._nap.cancel()  # a new earliest deadline: re-plan the nap

    @property
    def parked(self) -> int:
        """Keys waiting on :meth:`add_after`."""
        return len(self._parked)

    async def _waiting_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._shutting_down:
            now = self.clock.monotonic()
            while self._heap and self._heap[0][0] <= now:
                ready_at, _, key = heapq.heappop(self._heap)
                if self._parked.get(key) == ready_at:
                    del self._parked[key]
                    self.add(key)
            if self._heap:
                nap: asyncio.Future[None] = loop.create_task(self.clock.sleep(self._heap[0][0] - now))
            else:
                nap = loop.create_future()
            self._nap = nap
            try:
                await asyncio.wait({nap})
            finally:
                nap.cancel()

    # ------------------------------------------------------------------------- rate-limited adds

    def add_rate_limited(self, key: str) -> None:
        """Re-add ``key`` after the rate limiter's delay (records one more failure)."""
        if self._shutting_down:
            return
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: str) -> None:
        """``key`` succeeded: its next failure starts the backoff from the beginning."""
        self.rate_limiter.forget(key)

    def num_requeues(self, key: str) -> int:
        return self.rate_limiter.num_requeues(key)

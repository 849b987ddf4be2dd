"""Retry rate limiters for the workqueue, with client-go's semantics and defaults.

A limiter answers "how long before this key may be retried" (:meth:`RateLimiter.when`, which also
records the failure), forgets a key once it succeeds, and counts requeues. Pure: time comes from a
``now()`` callable (a :class:`~kubelite.base.clock.Clock`'s ``monotonic``), so tests drive it.

:func:`default_controller_rate_limiter` is client-go's ``DefaultControllerRateLimiter``: the larger of a
per-key exponential backoff (5 ms doubling to 1000 s) and an overall token bucket (10 qps, burst 100)
that keeps a mass failure from hammering the API server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    def when(self, key: str) -> float:
        """Record a failure of ``key`` and return the delay before its retry, in seconds."""
        ...

    def forget(self, key: str) -> None:
        """``key`` succeeded: drop its failure history."""
        ...

    def num_requeues(self, key: str) -> int:
        """How many failures of ``key`` are on record."""
        ...


class ItemExponentialFailureRateLimiter:
    """``base * 2**failures`` per key, capped at ``maximum`` (client-go's exponential limiter)."""

    def __init__(self, base: float = 0.005, maximum: float = 1000.0) -> None:
        self.base = base
        self.maximum = maximum
        self._failures: dict[str, int] = {}

    def when(self, key: str) -> float:
        exp = self._failures.get(key, 0)
        self._failures[key] = exp + 1
        if exp > 62:  # 2**63 overflows the Go int64 client-go uses; the cap applies long before
            return self.maximum
        return min(self.maximum, self.base * (2.0**exp))

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: str) -> int:
        return self._failures.get(key, 0)


class BucketRateLimiter:
    """A token bucket shared by all keys (``golang.org/x/time/rate`` reservations): ``burst`` retries
    go at once, then one every ``1/qps`` seconds. It keeps no per-key state."""

    def __init__(self, qps: float, burst: int, now: Callable[[], float]) -> None:
        self.qps = qps
        self.burst = burst
        self._now = now
        self._tokens = float(burst)
        self._last = now()

    def when(self, key: str) -> float:
        del key
        now = self._now()
        if now > self._last:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
            self._last = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.qps

    def forget(self, key: str) -> None:
        del key

    def num_requeues(self, key: str) -> int:
        del key
        return 0


class MaxOfRateLimiter:
    """The longest delay of several limiters (each still records the failure)."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, key: str) -> float:
        return max(limiter.when(key) for limiter in self.limiters)

    def forget(self, key: str) -> None:
        for limiter in self.limiters:
            limiter.forget(key)

    def num_requeues(self, key: str) -> int:
        return max(limiter.num_requeues(key) for limiter in self.limiters)


def default_controller_rate_limiter(now: Callable[[], float]) -> MaxOfRateLimiter:
    """client-go's default: max(per-key 5 ms..1000 s exponential, 10 qps / 100 burst bucket)."""
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0),
                            BucketRateLimiter(10.0, 100, now))

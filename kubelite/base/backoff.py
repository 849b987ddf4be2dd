"""Exponential backoff, plain and per key.

:class:`Backoff` is one retry sequence (initial, doubling, capped, optional jitter). :class:`KeyedBackoff`
keeps one sequence per key with a reset after a quiet period, which is what Kubernetes uses for
CrashLoopBackOff (10 s doubling to 5 min, reset after 10 min of running) and for workqueue retries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial: float = 0.005
    maximum: float = 1000.0
    factor: float = 2.0
    jitter: float = 0.0  # fraction of the delay added at random, 0.1 = up to +10%
    attempts: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        """The delay before the next retry; each call moves one step along the sequence."""
        delay = min(self.maximum, self.initial * (self.factor**self.attempts))
        self.attempts += 1
        if self.jitter:
            delay += delay * self.jitter * self.rng.random()
        return delay

    def reset(self) -> None:
        self.attempts = 0


@dataclass
class _Entry:
    delay: float
    last_update: float


class KeyedBackoff:
    """Per-key backoff with a reset after ``reset_after`` seconds without a failure.

    Times are passed in by the caller (monotonic seconds from its clock) so the class stays pure.
    """

    def __init__(self, initial: float, maximum: float, reset_after: float | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self.reset_after = reset_after if reset_after is not None else 2 * maximum
        self._entries: dict[str, _Entry] = {}

    def next(self, key: str, now: float) -> float:
        """Record a failure of ``key`` at ``now`` and return how long to wait before retrying it."""
        entry = self._entries.get(key)
        if entry is None or now - entry.last_update > self.reset_after:
            entry = _Entry(delay=self.initial, last_update=now)
        else:
            entry = _Entry(delay=min(self.maximum, entry.delay * 2), last_update=now)
        self._entries[key] = entry
        return entry.delay

    def current(self, key: str) -> float:
        """The delay last handed out for ``key``, or 0 if none is pending."""
        entry = self._entries.get(key)
        return entry.delay if entry else 0.0

    def in_backoff(self, key: str, now: float) -> bool:
        """Whether ``key`` failed less than its current delay ago."""
        entry = self._entries.get(key)
        return entry is not None and now - entry.last_update < entry.delay

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def gc(self, now: float) -> None:
        """Drop entries idle for longer than ``reset_after``; they would restart at ``initial`` anyway."""
        for key in [k for k, e in self._entries.items() if now - e.last_update > self.reset_after]:
            del self._entries[key]

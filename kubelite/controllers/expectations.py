"""Controller expectations (``ControllerExpectations`` / ``UIDTrackingControllerExpectations``), pure.

Why: a controller that creates 3 pods will not see them in its informer cache until their watch events
arrive. A sync in between would count 0 pods and create 3 more. So before acting, a controller records
what it expects to observe (``expect_creations(key, 3)``); informer handlers lower the count as the
events arrive (``creation_observed``); ``sync`` only manages replicas when :meth:`satisfied` is true. If
events never arrive (a create failed without an error reaching us), expectations expire after
``ttl`` seconds so the controller cannot wedge.

Deletions are tracked by pod key, so a pod whose delete is observed twice (a DELETED event and a relist
tombstone) lowers the count once.

Times are monotonic seconds passed in by the caller (its Clock), keeping this class pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXPECTATIONS_TTL = 300.0


@dataclass
class _Expected:
    adds: int
    deletes: set[str] = field(default_factory=set)
    timestamp: float = 0.0


class Expectations:
    def __init__(self, ttl: float = EXPECTATIONS_TTL) -> None:
        self.ttl = ttl
        self._items: dict[str, _Expected] = {}

    def satisfied(self, key: str, now: float) -> bool:
        """Whether ``key`` may act: nothing pending, nothing recorded, or the record expired."""
        exp = self._items.get(key)
        if exp is None:
            return True
        if exp.adds <= 0 and not exp.deletes:
            return True
        return now - exp.timestamp > self.ttl

    def expect_creations(self, key: str, count: int, now: float) -> None:
        self._items[key] = _Expected(adds=count, timestamp=now)

    def expect_deletions(self, key: str, pod_keys: list[str], now: float) -> None:
        self._items[key] = _Expected(adds=0, deletes=set(pod_keys), timestamp=now)

    def creation_observed(self, key: str) -> None:
        exp = self._items.get(key)
        if exp is not None and exp.adds > 0:
            exp.adds -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        exp = self._items.get(key)
        if exp is not None:
            exp.deletes.discard(pod_key)

    def lower_creations(self, key: str, count: int) -> None:
        """``count`` planned creations will never be observed (they failed or were skipped)."""
        exp = self._items.get(key)
        if exp is not None:
            exp.adds = max(0, exp.adds - count)

    def pending(self, key: str) -> tuple[int, int]:
        """(creations, deletions) still expected for ``key``."""
        exp = self._items.get(key)
        return (exp.adds, len(exp.deletes)) if exp is not None else (0, 0)

    def delete(self, key: str) -> None:
        self._items.pop(key, None)

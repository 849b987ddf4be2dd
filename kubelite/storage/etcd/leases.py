"""TTLs as etcd leases, with the TTL encoded in the lease ID and leases shared between writes.

etcd's ``KeyValue.lease`` is a lease ID, while our :class:`KeyValue.lease` is the TTL in seconds.
Choosing the ID ourselves as ``random << 20 | ttl`` lets any reader recover the TTL without asking
etcd. As kube-apiserver does, writes with the same TTL within a short window share one lease granted
for ``ttl + window`` seconds, so a burst of Events costs one LeaseGrant, not one per Event, and each
key still lives at least ``ttl`` seconds.
"""

from __future__ import annotations

import secrets
import time

_TTL_BITS = 20
_TTL_MASK = (1 << _TTL_BITS) - 1


def lease_id(ttl: int) -> int:
    """A fresh positive int64 lease ID carrying ``ttl``."""
    if not 0 < ttl <= _TTL_MASK:
        raise ValueError(f"ttl out of range: {ttl}")
    return (secrets.randbits(62 - _TTL_BITS) + 1) << _TTL_BITS | ttl


def ttl_of(lease: int) -> int:
    """The TTL a lease ID carries (0 for no lease)."""
    return lease & _TTL_MASK if lease > 0 else 0


def reuse_window(ttl: int) -> int:
    """Seconds a granted lease may be shared: 5% of the TTL, at most a minute."""
    return min(60, ttl // 20)


class LeaseCache:
    """Which granted lease a new write with ``ttl`` may reuse (pure; time passed in)."""

    def __init__(self) -> None:
        self._leases: dict[int, tuple[int, float]] = {}  # ttl -> (lease id, granted at)

    def get(self, ttl: int, now: float | None = None) -> int | None:
        entry = self._leases.get(ttl)
        if entry is None:
            return None
        now = time.monotonic() if now is None else now
        lid, granted = entry
        return lid if now - granted < reuse_window(ttl) else None

    def put(self, ttl: int, lid: int, now: float | None = None) -> None:
        self._leases[ttl] = (lid, time.monotonic() if now is None else now)

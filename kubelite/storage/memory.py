"""The memory backend: the whole contract in dicts, for tests and for one-process experiments.

It is a verified fake: the conformance suite that SQLite and etcd pass runs against it too. Nothing is
durable ("acknowledged" means "in this process's memory").

State: ``_versions[key]`` is the key's history as ``(revision, kv | None)`` (None marks a delete),
``_current`` the live keys, ``_keys`` every key with history in sorted order (for ranges at a past
revision), and ``_log`` one event per revision after the compacted one (so revision ``r`` is at index
``r - _compacted - 1``: revisions are gap-free).
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from kubelite.base.clock import Clock, RealClock
from kubelite.storage.compactor import CompactionConfig, run_compactor
from kubelite.storage.expiry import ExpiryQueue, run_expiry
from kubelite.storage.interface import (
    CompactedError,
    ConflictError,
    Event,
    EventType,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    ListResult,
    UnavailableError,
)
from kubelite.storage.keys import prefix_end
from kubelite.storage.watch import MAX_BUFFER, WatchHub, watch_from

_HISTORY_PAGE = 1000


@dataclass(frozen=True)
class MemoryConfig:
    compaction: CompactionConfig = field(default_factory=CompactionConfig)  # on, as for SQLite
    watch_buffer: int = MAX_BUFFER  # events a watcher may lag before it re-reads history instead


class MemoryStorage:
    def __init__(self, config: MemoryConfig | None = None, *, clock: Clock | None = None) -> None:
        self._config = config or MemoryConfig()
        self._clock = clock or RealClock()
        self._rev = 0
        self._compacted = 0
        self._versions: dict[str, list[tuple[int, KeyValue | None]]] = {}
        self._current: dict[str, KeyValue] = {}
        self._keys: list[str] = []
        self._log: list[Event] = []
        self._hub = WatchHub(self._config.watch_buffer)
        self._expiry = ExpiryQueue()
        self._tasks: list[asyncio.Task[None]] = []
        self._open = False

    async def start(self) -> None:
        self._open = True
        self._tasks.append(asyncio.create_task(run_expiry(self._expiry, self._clock, self._expire)))
        if self._config.compaction.interval > 0:
            self._tasks.append(asyncio.create_task(run_compactor(self, self._clock, self._config.compaction)))

    async def close(self) -> None:
        self._open = False
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._hub.close()

    def _check_open(self) -> None:
        if not self._open:
            raise UnavailableError("storage is not open")

    async def current_revision(self) -> int:
        self._check_open()
        return self._rev

    async def compacted_revision(self) -> int:
        self._check_open()
        return self._compacted

    # -- writes ------------------------------------------------------------------------------------

    def _commit(self, type_: EventType, kv: KeyValue, prev: KeyValue | None, ttl: int) -> None:
        key = kv.key
        versions = self._versions.get(key)
        if versions is None:
            versions = self._versions[key] = []
            bisect.insort(self._keys, key)
        if type_ is EventType.DELETE:
            versions.append((kv.mod_revision, None))
            del self._current[key]
        else:
            versions.append((kv.mod_revision, kv))
            self._current[key] = kv
            if ttl > 0:
                self._expiry.push(self._clock.monotonic() + ttl, key, kv.mod_revision)
        event = Event(type_, kv, prev)
        self._log.append(event)
        self._hub.publish((event,))

    async def create(self, key: str, value: bytes, *, ttl: int = 0) -> KeyValue:
        self._check_open()
        if key in self._current:
            raise KeyExistsError(key)
        self._rev += 1
        kv = KeyValue(key, bytes(value), self._rev, self._rev, ttl)
        self._commit(EventType.CREATE, kv, None, ttl)
        return kv

    def _guard(self, key: str, expected_revision: int | None) -> KeyValue:
        cur = self._current.get(key)
        if cur is None:
            raise KeyNotFoundError(key)
        if expected_revision is not None and cur.mod_revision != expected_revision:
            raise ConflictError(key, cur)
        return cur

    async def update(self, key: str, value: bytes, *, expected_revision: int, ttl: int = 0) -> KeyValue:
        self._check_open()
        cur = self._guard(key, expected_revision)
        self._rev += 1
        kv = KeyValue(key, bytes(value), cur.create_revision, self._rev, ttl)
        self._commit(EventType.UPDATE, kv, cur, ttl)
        return kv

    async def delete(self, key: str, *, expected_revision: int | None = None) -> KeyValue:
        self._check_open()
        cur = self._guard(key, expected_revision)
        self._rev += 1
        kv = KeyValue(key, cur.value, cur.create_revision, self._rev, cur.lease)
        self._commit(EventType.DELETE, kv, cur, 0)
        return kv

    async def _expire(self, key: str, revision: int) -> None:
        if self._open:
            await self.delete(key, expected_revision=revision)

    # -- reads -------------------------------------------------------------------------------------

    def _check_revision(self, revision: int | None) -> int | None:
        """None for "now", else a readable past revision (raises if compacted or in the future)."""
        if not revision or revision == self._rev:
            return None
        if revision > self._rev:
            raise FutureRevisionError(f"revision {revision} is newer than the store ({self._rev})")
        if revision < self._compacted:
            raise CompactedError(revision, self._compacted)
        return revision

    def _at(self, key: str, revision: int) -> KeyValue | None:
        versions = self._versions.get(key, [])
        i = bisect.bisect_right(versions, revision, key=lambda v: v[0])
        return versions[i - 1][1] if i else None

    async def get(self, key: str, *, revision: int | None = None) -> KeyValue | None:
        self._check_open()
        rev = self._check_revision(revision)
        return self._current.get(key) if rev is None else self._at(key, rev)

    async def list(self, prefix: str, *, revision: int | None = None, limit: int = 0,
                   start_after: str | None = None) -> ListResult:
        self._check_open()
        rev = self._check_revision(revision)
        end = prefix_end(prefix)
        start = prefix if start_after is None or start_after < prefix else start_after
        i = bisect.bisect_right(self._keys, start) if start == start_after else bisect.bisect_left(
            self._keys, start)
        items: list[KeyValue] = []
        more = False
        while i < len(self._keys):
            key = self._keys[i]
            i += 1
            if end is not None and key >= end:
                break
            kv = self._current.get(key) if rev is None else self._at(key, rev)
            if kv is None:
                continue
            if limit and len(items) == limit:
                more = True
                break
            items.append(kv)
        return ListResult(items, rev or self._rev, more)

    async def count(self, prefix: str) -> int:
        self._check_open()
        return sum(1 for k in self._current if k.startswith(prefix))

    # -- watch and compaction ----------------------------------------------------------------------

    async def _history(self, prefix: str, after: int) -> Sequence[Event]:
        self._check_open()
        if after < self._compacted:
            raise CompactedError(after, self._compacted)
        start = after - self._compacted
        out: list[Event] = []
        for ev in self._log[start:]:
            if ev.kv.key.startswith(prefix):
                out.append(ev)
                if len(out) == _HISTORY_PAGE:
                    break
        return out

    def watch(self, prefix: str, from_revision: int) -> AsyncIterator[Event]:
        return watch_from(self._hub, prefix, from_revision, self._history)

    async def compact(self, revision: int) -> None:
        self._check_open()
        if revision > self._rev:
            raise FutureRevisionError(f"cannot compact to {revision}: store is at {self._rev}")
        if revision <= self._compacted:
            return
        touched = {ev.kv.key for ev in self._log[: revision - self._compacted]}
        for key in touched:
            versions = self._versions[key]
            i = bisect.bisect_right(versions, revision, key=lambda v: v[0])
            keep_from = i - 1 if versions[i - 1][1] is not None else i
            del versions[:keep_from]
            if not versions:
                del self._versions[key]
                del self._keys[bisect.bisect_left(self._keys, key)]
        del self._log[: revision - self._compacted]
        self._compacted = revision

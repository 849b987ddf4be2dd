"""The watch cache: one storage watch per resource type, fanned out in memory.

Like kube-apiserver's cacher, each resource type keeps (a) the current objects, (b) a ring of recent
events, and (c) a set of subscribers. Lists at ``resourceVersion=0`` (and consistent lists once the
cache has caught up with storage) are served from (a); a watch from a recent resourceVersion replays
from (b) without touching storage, and every live event is decoded once and encoded once, whatever the
number of watchers.

Lifecycle: ``WatchCache(storage, prefix, prepare=...)`` starts nothing; ``await run()`` lists, sets
``ready`` and then follows the storage watch for ever (re-listing if storage compacts under it).

Hazard: :class:`CachedObject` dicts are shared by every reader. Copy before mutating (``copy_obj``).
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from kubelite.base.backoff import Backoff
from kubelite.base.tasks import Ready
from kubelite.storage.interface import CompactedError, EventType, KeyValue, Storage, UnavailableError

log = logging.getLogger(__name__)

Prepare = Callable[[KeyValue], dict[str, Any]]
"""Turns a stored kv into the API object (decoded, resourceVersion set from mod_revision)."""


@dataclass(frozen=True, slots=True)
class CachedObject:
    key: str
    obj: dict[str, Any]  # shared: never mutate
    raw: bytes  # obj as JSON, ready to send
    revision: int


@dataclass(slots=True)
class CacheEvent:
    type: str  # ADDED | MODIFIED | DELETED
    obj: CachedObject
    prev: CachedObject | None
    revision: int
    _lines: dict[str, bytes] = field(default_factory=dict)

    def line(self, type_: str | None = None) -> bytes:
        """``{"type":..,"object":..}\\n`` encoded once per event and type, shared by all watchers."""
        t = type_ or self.type
        cached = self._lines.get(t)
        if cached is None:
            cached = b'{"type":"' + t.encode() + b'","object":' + self.obj.raw + b"}\n"
            self._lines[t] = cached
        return cached


class TooOldError(Exception):
    """The requested resourceVersion is older than the cache's window: the API's 410 Gone."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class SubscriberOverflowError(Exception):
    """A watcher fell too far behind; its stream ends and the client re-watches."""


BOOKMARK = "BOOKMARK"
"""A marker a watch handler may queue for itself (time for a bookmark)."""


class Subscription:
    """A watcher's queue of events under one key prefix; iterate it, then ``close()``."""

    def __init__(self, cache: WatchCache, prefix: str, max_queue: int) -> None:
        self._cache = cache
        self.prefix = prefix
        self._queue: asyncio.Queue[CacheEvent | str | None] = asyncio.Queue()
        self._max = max_queue
        self.overflowed = False

    def offer(self, event: CacheEvent) -> None:
        if not event.obj.key.startswith(self.prefix):
            return
        if self._queue.qsize() >= self._max:
            self.terminate()
            return
        self._queue.put_nowait(event)

    def put_marker(self, marker: str) -> None:
        self._queue.put_nowait(marker)

    async def next_batch(self) -> list[CacheEvent | str]:
        """Wait for at least one item, then take everything queued: one write per burst."""
        first = await self._queue.get()
        items = [first]
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        if any(item is None for item in items):
            raise SubscriberOverflowError("watcher too slow or stream reset")
        return [item for item in items if item is not None]

    def terminate(self) -> None:
        """End the stream (the client re-watches or re-lists)."""
        self.overflowed = True
        self._queue.put_nowait(None)
        self._cache._unsubscribe(self)

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        self._cache._unsubscribe(self)


class Progress:
    """The revision every cache has seen, shared: one storage watch feeds them all, so each event
    advances all caches, and a consistent read waits on this number."""

    def __init__(self) -> None:
        self.revision = 0
        self._changed = asyncio.Condition()

    async def advance(self, revision: int) -> None:
        if revision <= self.revision:
            return
        async with self._changed:
            self.revision = revision
            self._changed.notify_all()

    async def wait_for(self, revision: int, wait_seconds: float) -> bool:
        if self.revision >= revision:
            return True
        try:
            async with asyncio.timeout(wait_seconds), self._changed:
                await self._changed.wait_for(lambda: self.revision >= revision)
        except TimeoutError:
            return False
        return True


class WatchCache:
    """The cache of one resource type (one storage prefix), fed by a :class:`CacheFeeder`."""

    def __init__(self, prefix: str, *, prepare: Prepare, progress: Progress, ring_size: int = 4096,
                 max_queue: int = 20000, name: str = "") -> None:
        self.prefix = prefix
        self._prepare = prepare
        self._progress = progress
        self._ring: collections.deque[CacheEvent] = collections.deque(maxlen=ring_size)
        self._max_queue = max_queue
        self._objects: dict[str, CachedObject] = {}
        self._sorted_keys: list[str] | None = None
        self._subs: set[Subscription] = set()
        self._window_start = 0  # every event with revision > this is in the ring
        self.ready = Ready(f"watchcache {name or prefix}")

    @property
    def revision(self) -> int:
        return self._progress.revision

    # ----- feeding (called by the feeder only)

    def _cache_object(self, kv: KeyValue) -> CachedObject:
        obj = self._prepare(kv)
        return CachedObject(kv.key, obj, orjson.dumps(obj), kv.mod_revision)

    def load(self, items: list[KeyValue], revision: int) -> None:
        """Replace the contents with a list read at ``revision``; watchers are told to start over."""
        objects = {}
        for kv in items:
            try:
                objects[kv.key] = self._cache_object(kv)
            except ValueError:
                log.warning("undecodable stored object skipped", extra={"key": kv.key})
        self._objects = objects
        self._sorted_keys = None
        self._ring.clear()
        self._window_start = revision
        for sub in list(self._subs):
            sub.terminate()
        self.ready.set()

    def apply(self, etype: EventType, kv: KeyValue) -> None:
        prev = self._objects.get(kv.key)
        try:
            current = self._cache_object(kv)
        except ValueError:
            log.warning("undecodable stored object skipped", extra={"key": kv.key})
            return
        if etype is EventType.DELETE:
            self._objects.pop(kv.key, None)
            self._sorted_keys = None
            type_ = "DELETED"
        else:
            if kv.key not in self._objects:
                self._sorted_keys = None
            self._objects[kv.key] = current
            type_ = "MODIFIED" if etype is EventType.UPDATE else "ADDED"
        event = CacheEvent(type_, current, prev, kv.mod_revision)
        if len(self._ring) == self._ring.maxlen:
            self._window_start = self._ring[0].revision
        self._ring.append(event)
        for sub in list(self._subs):
            sub.offer(event)


    # ----- reading

    async def wait_for(self, revision: int, wait_seconds: float = 3.0) -> bool:
        """Wait until the cache has seen ``revision``; False when ``wait_seconds`` pass first."""
        return await self._progress.wait_for(revision, wait_seconds)

    def get(self, key: str) -> CachedObject | None:
        return self._objects.get(key)

    def snapshot(self, prefix: str) -> tuple[list[CachedObject], int]:
        """Objects under ``prefix`` in key order, and the revision they are current at."""
        if self._sorted_keys is None:
            self._sorted_keys = sorted(self._objects)
        keys = self._sorted_keys
        if prefix == self.prefix:
            return [self._objects[k] for k in keys], self.revision
        start = bisect.bisect_left(keys, prefix)
        out = []
        for k in keys[start:]:
            if not k.startswith(prefix):
                break
            out.append(self._objects[k])
        return out, self.revision

    def subscribe(self, prefix: str, from_revision: int | None) -> tuple[Subscription, list[CacheEvent]]:
        """Start a subscription; returns it with the backlog to send first.

        ``from_revision`` None: the backlog is a synthetic ADDED for every current object (watch with
        resourceVersion unset or 0). Otherwise the ring events after it; :class:`TooOldError` if the
        ring no longer reaches back that far.
        """
        sub = Subscription(self, prefix, self._max_queue)
        if from_revision is None:
            objs, _ = self.snapshot(prefix)
            backlog = [CacheEvent("ADDED", o, None, o.revision) for o in objs]
        else:
            if from_revision < self._window_start:
                raise TooOldError(from_revision, self._window_start)
            backlog = [e for e in self._ring if e.revision > from_revision and e.obj.key.startswith(prefix)]
        self._subs.add(sub)
        return sub, backlog

    def _unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    @property
    def watchers(self) -> int:
        return len(self._subs)


class CacheFeeder:
    """One storage watch over every cached prefix, routing events to the cache that owns each key.

    Lifecycle: construct, :meth:`add` caches, ``await run()``: list everything, mark caches ready,
    follow the watch for ever, re-listing if storage compacts under it.
    """

    def __init__(self, storage: Storage, root: str = "/registry/") -> None:
        self._storage = storage
        self.root = root
        self.progress = Progress()
        self._caches: dict[str, WatchCache] = {}
        self.ready = Ready("watch caches")

    def add(self, cache: WatchCache) -> None:
        self._caches[cache.prefix] = cache

    def _route(self, key: str) -> WatchCache | None:
        # Prefixes are /registry/<a>/ or /registry/<a>/<b>/ (services/specs): try the longer first.
        parts = key.split("/", 5)
        if len(parts) >= 5:
            cache = self._caches.get("/".join(parts[:4]) + "/")
            if cache is not None:
                return cache
        if len(parts) >= 4:
            return self._caches.get("/".join(parts[:3]) + "/")
        return None

    async def _relist(self) -> int:
        result = await self._storage.list(self.root)
        grouped: dict[str, list[KeyValue]] = {p: [] for p in self._caches}
        for kv in result.items:
            cache = self._route(kv.key)
            if cache is not None:
                grouped[cache.prefix].append(kv)
        for prefix, items in grouped.items():
            self._caches[prefix].load(items, result.revision)
        await self.progress.advance(result.revision)
        return result.revision

    async def run(self) -> None:
        revision = await self._relist()
        self.ready.set()
        backoff = Backoff(initial=0.1, maximum=5.0)
        while True:
            try:
                revision = await self._follow(revision)
                backoff.reset()
            except CompactedError:
                log.warning("watch cache compacted under us, re-listing", extra={"root": self.root})
                revision = await self._relist()
            except UnavailableError as err:
                # Transient (etcd without quorum, a dropped connection): resume from the last revision.
                delay = backoff.next_delay()
                log.warning("storage watch interrupted, resuming",
                            extra={"root": self.root, "revision": revision, "error": str(err), "in": delay})
                await asyncio.sleep(delay)

    async def _follow(self, revision: int) -> int:
        stream = self._storage.watch(self.root, revision)
        try:
            async for ev in stream:
                cache = self._route(ev.kv.key)
                if cache is not None:
                    cache.apply(ev.type, ev.kv)
                revision = ev.revision
                await self.progress.advance(revision)
        finally:
            closer = getattr(stream, "aclose", None)
            if closer is not None:
                await closer()
        return revision

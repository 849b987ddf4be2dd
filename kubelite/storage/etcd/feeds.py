"""Shared etcd watch streams: one gRPC stream per prefix, fanned out in-process.

Without sharing, every ``watch()`` is its own etcd stream and etcd sends every event once per
watcher: 1,000 watchers cost 1,000 copies on the wire and in the client. A :class:`Feed` follows one
prefix with one stream, keeps the most recent events in a ring, and publishes each event to a
:class:`~kubelite.storage.watch.WatchHub`. A new watcher whose start revision is covered by the ring
(``from_revision >= feed.floor``) joins the feed with the same gap-free subscribe-then-replay join the
SQLite backend uses; an older start gets a dedicated stream, which also gives etcd's own answer about
compaction. The feed stops when its last watcher leaves. If the feed's stream fails for good (etcd
gone longer than ``watch_resume_for``, or compaction before the first event), every watcher on it
gets the error.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable, Sequence

from kubelite.storage.interface import Event, StorageError, UnavailableError
from kubelite.storage.watch import MAX_BUFFER, WatchHub, watch_from

StreamFactory = Callable[[str, int], AsyncIterator[Event]]


class BehindRing(Exception):
    """The ring no longer holds everything after the requested revision."""


class Feed:
    def __init__(self, prefix: str, start: int, stream: StreamFactory, ring_size: int,
                 on_idle: Callable[[Feed], None], *, max_buffer: int = MAX_BUFFER) -> None:
        self.prefix = prefix
        self.floor = start  # every event after this revision is in the ring or still to come
        self.hub = WatchHub(max_buffer)
        self.users = 0
        self._ring: collections.deque[Event] = collections.deque()
        self._ring_size = ring_size
        self._on_idle = on_idle
        self._task = asyncio.ensure_future(self._follow(stream(prefix, start)))

    async def _follow(self, events: AsyncIterator[Event]) -> None:
        error: StorageError = UnavailableError("etcd watch ended")
        try:
            async for ev in events:
                if len(self._ring) == self._ring_size:
                    self.floor = self._ring.popleft().revision
                self._ring.append(ev)
                self.hub.publish((ev,))
        except asyncio.CancelledError:
            error = UnavailableError("storage closed")
            raise
        except StorageError as e:
            error = e
        except Exception as e:  # a bug must end the watches loudly, not leave them waiting
            error = UnavailableError(f"etcd watch failed: {e!r}")
        finally:
            self.hub.close(error)  # watchers still on this feed get the error
            self._on_idle(self)  # failed or finished: no new watcher may join

    async def history(self, prefix: str, after: int) -> Sequence[Event]:
        """Ring events after ``after``; the ring is complete only after ``floor``."""
        if after < self.floor:
            raise BehindRing  # a watcher that fell behind its buffer for longer than the ring holds
        if not self._ring or self._ring[-1].revision <= after:
            return []
        return [ev for ev in self._ring if ev.revision > after and ev.kv.key.startswith(prefix)]

    def close(self) -> None:
        self._task.cancel()


class Feeds:
    """Feeds by prefix; ``watch`` picks a shared feed or falls back to a dedicated stream."""

    def __init__(self, stream: StreamFactory, ring_size: int = 1000, max_buffer: int = MAX_BUFFER) -> None:
        self._stream = stream
        self._ring_size = ring_size
        self._max_buffer = max_buffer
        self._feeds: dict[str, Feed] = {}

    def __len__(self) -> int:
        return len(self._feeds)

    def _forget(self, feed: Feed) -> None:
        if self._feeds.get(feed.prefix) is feed:
            del self._feeds[feed.prefix]

    async def watch(self, prefix: str, from_revision: int) -> AsyncIterator[Event]:
        last = from_revision
        feed = self._feeds.get(prefix)
        if feed is None or from_revision >= feed.floor:
            if feed is None:
                feed = self._feeds[prefix] = Feed(prefix, from_revision, self._stream, self._ring_size,
                                                  self._forget, max_buffer=self._max_buffer)
            feed.users += 1
            try:
                async for ev in watch_from(feed.hub, prefix, from_revision, feed.history):
                    yield ev
                    last = ev.revision
                return
            except BehindRing:
                pass  # fell behind both its buffer and the ring: continue on a stream of its own
            finally:
                feed.users -= 1
                if feed.users == 0:
                    self._forget(feed)
                    feed.close()
        async for ev in self._stream(prefix, last):  # older than the ring: a stream of its own
            yield ev

    def close(self) -> None:
        for feed in list(self._feeds.values()):
            feed.close()
        self._feeds.clear()

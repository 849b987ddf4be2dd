"""In-process watch fan-out shared by the backends that own their write path (memory, SQLite).

The writer publishes each committed batch of events once (on the event loop); every subscriber whose
prefix matches gets them appended to its own buffer and one wake-up. Per watcher that costs a prefix
check and a deque append, so a few thousand watchers stay cheap; the API server is expected to keep
one storage watch per resource type and fan out itself.

Starting a watch from a past revision without gaps (``watch_from``): subscribe first (so nothing
committed from now on is missed), replay history from the store up to whatever it holds, then drain
the live buffer, skipping events already replayed. An event committed before the subscription is in
the history; one committed after it is in the buffer; one in both is dropped by revision.

Buffers are bounded (``max_buffer`` events per watcher). A watcher that falls further behind is not
cancelled: its buffer is dropped and it goes back to reading history from the store from its last
delivered revision, then re-joins the live feed, as etcd's "unsynced" watchers do. Memory stays
bounded and the stream stays gap-free; only a watcher slower than compaction ends, with
:class:`CompactedError`, which the API server answers by re-listing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from kubelite.storage.interface import Event, UnavailableError

# Read up to this many events of history after ``after``; an empty list means caught up.
HistoryReader = Callable[[str, int], Awaitable[Sequence[Event]]]

MAX_BUFFER = 10_000


class SubscriberBehind(Exception):
    """A subscriber's buffer overflowed: it must catch up from history."""


class Subscription:
    """One watcher's buffer. Only the event-loop thread touches it."""

    __slots__ = ("_buf", "_error", "_overflowed", "_wake", "max_buffer", "prefix")

    def __init__(self, prefix: str, max_buffer: int = MAX_BUFFER) -> None:
        self.prefix = prefix
        self.max_buffer = max_buffer
        self._buf: deque[Event] = deque()
        self._wake = asyncio.Event()
        self._error: BaseException | None = None
        self._overflowed = False

    def push(self, event: Event) -> None:
        if self._overflowed:
            return
        if len(self._buf) >= self.max_buffer:
            self._overflowed = True
            self._buf.clear()
        else:
            self._buf.append(event)
        self._wake.set()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self._wake.set()

    async def next_batch(self) -> list[Event]:
        """Everything buffered, waiting for at least one event; raises the hub's close error, or
        :class:`SubscriberBehind` once the buffer overflowed."""
        while not self._buf:
            if self._overflowed:
                raise SubscriberBehind
            if self._error is not None:
                raise self._error
            self._wake.clear()
            await self._wake.wait()
        items = list(self._buf)
        self._buf.clear()
        return items


class WatchHub:
    def __init__(self, max_buffer: int = MAX_BUFFER) -> None:
        self._subs: set[Subscription] = set()
        self._closed: BaseException | None = None
        self._max_buffer = max_buffer

    def __len__(self) -> int:
        return len(self._subs)

    def subscribe(self, prefix: str) -> Subscription:
        sub = Subscription(prefix, self._max_buffer)
        if self._closed is not None:
            sub.fail(self._closed)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def publish(self, events: Sequence[Event]) -> None:
        """Hand a committed batch (ascending revisions) to every matching subscriber."""
        for sub in self._subs:
            prefix = sub.prefix
            for ev in events:
                if ev.kv.key.startswith(prefix):
                    sub.push(ev)

    def close(self, error: BaseException | None = None) -> None:
        """End every watch with ``error`` (default: the store closed, a transient condition)."""
        self._closed = error or UnavailableError("storage closed")
        for sub in self._subs:
            sub.fail(self._closed)


async def watch_from(hub: WatchHub, prefix: str, from_revision: int,
                     read_history: HistoryReader) -> AsyncIterator[Event]:
    """Every event under ``prefix`` with revision > ``from_revision``, gap-free, then live ones.

    Falling behind the live buffer sends the watcher back to history from its last revision.
    """
    last = from_revision
    while True:
        sub = hub.subscribe(prefix)
        try:
            while True:
                batch = await read_history(prefix, last)
                if not batch:
                    break
                for ev in batch:
                    yield ev
                    last = ev.revision
            while True:
                for ev in await sub.next_batch():
                    if ev.revision > last:
                        yield ev
                        last = ev.revision
        except SubscriberBehind:
            continue  # re-subscribe (in the new loop turn), then catch up from the store
        finally:
            hub.unsubscribe(sub)

"""WATCH: a chunked stream of ``{"type":..,"object":..}`` lines fed from the watch cache.

- ``resourceVersion`` unset or ``0``: a synthetic ADDED per current object, then live events.
- ``resourceVersion=N``: every event after N, replayed from the cache's ring; when N has left the ring
  the stream carries one ERROR event with a 410 Expired Status (what client-go and the Python client
  expect before re-listing).
- Selectors follow Kubernetes: an object that stops matching is sent as DELETED, one that starts
  matching as ADDED.
- ``get -w`` asks for Tables: each event's object is a one-row Table.
- ``allowWatchBookmarks``: a BOOKMARK with the cache revision after each quiet interval.
- ``timeoutSeconds`` bounds the stream (default: the server's maximum); ``get -w`` sends none and needs
  the stream held open.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

import orjson
from aiohttp import web

from kubelite.api import status as st
from kubelite.apiserver import filters, negotiation, printing
from kubelite.apiserver.verbs.request import ResourceRequest
from kubelite.apiserver.watchcache import (
    BOOKMARK,
    CacheEvent,
    SubscriberOverflowError,
    Subscription,
    TooOldError,
)

Obj = dict[str, Any]


def _rv(raw: str) -> int | None:
    if raw in ("", "0"):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise st.bad_request(f"invalid resource version: {raw!r}") from None
    if value < 0:
        raise st.bad_request(f"invalid resource version: {raw!r}")
    return value


def filtered_type(event: CacheEvent, flt: filters.Filter) -> str | None:
    """The event type this watcher sees, or None to skip it (selector transitions included)."""
    if flt.everything:
        return event.type
    now = flt.matches(event.obj.obj)
    before = event.prev is not None and flt.matches(event.prev.obj)
    if event.type == "ADDED":
        return "ADDED" if now else None
    if event.type == "DELETED":
        return "DELETED" if now else None
    if now and before:
        return "MODIFIED"
    if now:
        return "ADDED"
    if before:
        return "DELETED"
    return None


class _Encoder:
    """Turns cache events into wire lines: shared bytes for plain watches, Tables for ``get -w``."""

    def __init__(self, rr: ResourceRequest, table: bool) -> None:
        self.rr = rr
        self.table = table
        self.first = True

    def line(self, event: CacheEvent, type_: str) -> bytes:
        store = self.rr.store
        if not self.table and not store.converts:
            return event.line(type_)
        obj = store.decode_cached(event.obj.obj) if store.converts else event.obj.obj
        if not self.table:
            return orjson.dumps({"type": type_, "object": obj}) + b"\n"
        table = printing.to_table(
            self.rr.resource, [obj], resource_version=str(event.revision),
            now=self.rr.ctx.clock.now(),
            include_object=negotiation.include_object(self.rr.query.get("includeObject", "")),
            with_columns=self.first)
        self.first = False
        return orjson.dumps({"type": type_, "object": table}) + b"\n"

    def bookmark(self, revision: int) -> bytes:
        obj = {"kind": self.rr.resource.kind, "apiVersion": self.rr.resource.api_version,
               "metadata": {"resourceVersion": str(revision)}}
        return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"


class _BookmarkTicker:
    """Puts a BOOKMARK marker into the subscription every ``interval`` seconds."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sub: Subscription, interval: float) -> None:
        self._loop, self._sub, self._interval = loop, sub, interval
        self._handle = loop.call_later(interval, self._tick)

    def _tick(self) -> None:
        self._sub.put_marker(BOOKMARK)
        self._handle = self._loop.call_later(self._interval, self._tick)

    def cancel(self) -> None:
        self._handle.cancel()


def _response() -> web.StreamResponse:
    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                   "Cache-Control": "no-cache, private"})
    resp.enable_chunked_encoding()
    return resp


async def _start(rr: ResourceRequest) -> web.StreamResponse:
    resp = _response()
    await resp.prepare(rr.http)
    return resp


async def handle(rr: ResourceRequest) -> web.StreamResponse:
    flt = filters.from_query(rr.resource, rr.query)
    from_rv = _rv(rr.query.get("resourceVersion", ""))
    timeout = rr.int_param("timeoutSeconds")
    limits = rr.ctx.limits
    if timeout is None or timeout <= 0:
        # Like kube-apiserver: an unbounded watch ends at a randomised server maximum, so clients
        # reconnect at staggered times.
        timeout = int(limits.max_watch_seconds * (1 + random.random()))
    cache = rr.store.cache
    if cache is None:
        raise st.method_not_allowed(rr.resource.plural, "watch", rr.resource.group)
    await asyncio.wait_for(cache.ready.wait(), timeout=10)
    if from_rv is not None and from_rv > cache.revision and not await cache.wait_for(from_rv):
        raise st.timeout(f"Too large resource version: {from_rv}, current: {cache.revision}", 1)
    encoder = _Encoder(rr, negotiation.wants_table(rr.http.headers.get("Accept", "")))
    prefix = rr.resource.storage_prefix(rr.namespace or None)
    try:
        sub, backlog = cache.subscribe(prefix, from_rv)
    except TooOldError as err:
        resp = await _start(rr)
        status = st.expired(f"too old resource version: {err.requested} ({err.oldest})").status
        await resp.write(orjson.dumps({"type": "ERROR", "object": status}) + b"\n")
        return resp
    ticker: _BookmarkTicker | None = None
    resp = _response()
    try:
        await resp.prepare(rr.http)
        chunk = [encoder.line(e, t) for e in backlog if (t := filtered_type(e, flt)) is not None]
        if chunk:
            await resp.write(b"".join(chunk))
        loop = asyncio.get_running_loop()
        ticker = _BookmarkTicker(loop, sub, limits.bookmark_interval) if rr.flag("allowWatchBookmarks") else None
        # One deadline for the whole stream; bookmarks arrive through the queue as markers, so the
        # hot path is a plain queue get per burst of events.
        async with asyncio.timeout_at(loop.time() + timeout):
            while True:
                lines = []
                for item in await sub.next_batch():
                    if item is BOOKMARK:
                        lines.append(encoder.bookmark(cache.revision))
                        continue
                    assert isinstance(item, CacheEvent)
                    t = filtered_type(item, flt)
                    if t is not None:
                        lines.append(encoder.line(item, t))
                if lines:
                    await resp.write(b"".join(lines))
    except (SubscriberOverflowError, TimeoutError):
        pass
    except ConnectionResetError:
        return resp  # the watcher went away (or the server is stopping): nothing to report
    finally:
        sub.close()
        if ticker is not None:
            ticker.cancel()
    with contextlib.suppress(ConnectionResetError):
        await resp.write_eof()
    return resp

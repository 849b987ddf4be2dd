"""An event recorder writing ``core/v1`` Events, with Kubernetes' correlation of repeats.

What ``kubectl describe`` shows under *Events* comes from here. As client-go's ``EventCorrelator``:

- **Deduplication**: an event identical to an earlier one (same source, involved object, type, reason
  and message) is not created again; the existing Event's ``count`` is incremented and its
  ``lastTimestamp`` moved (a PATCH), which is why ``kubectl describe`` shows ``x5 over 2m``.
- **Aggregation**: when 10 or more events with the same source, object, type and reason but different
  messages occur within 10 minutes, further ones are folded into a single Event whose message is
  ``(combined from similar events): <latest message>``.
- **Spam filter**: each source+object gets a token bucket (burst 25, one token per 5 minutes); events
  beyond it are dropped, so a hot loop cannot flood the API server.

:class:`EventCorrelator` is the pure core (state plus ``correlate(event, now) -> Correlation``);
:class:`EventRecorder` is the edge that writes, through one background writer per recorder so that
concurrent callers cannot race the correlation (``event()`` waits for the write, ``emit()`` does not).
Recording never raises: an event is diagnostics, and a failure to write one must not fail the
reconcile that emitted it (it is logged instead).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.meta import format_time
from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import ApiError, NotFoundError, TransportError
from kubelite.client.rest import Client

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]

NORMAL = "Normal"
WARNING = "Warning"

MAX_LRU = 4096
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = 600.0
SPAM_BURST = 25
SPAM_QPS = 1.0 / 300.0
COMBINED_PREFIX = "(combined from similar events): "
MAX_PENDING = 1000  # client-go's broadcaster queue length


def object_reference(obj: JsonDict, field_path: str = "") -> JsonDict:
    """The ``involvedObject`` for ``obj`` (kind, namespace, name, uid, apiVersion, resourceVersion)."""
    meta = obj.get("metadata") or {}
    ref = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if field_path:
        ref["fieldPath"] = field_path
    return {k: v for k, v in ref.items() if v}


def _object_key(event: JsonDict) -> tuple[str, ...]:
    src = event.get("source") or {}
    ref = event.get("involvedObject") or {}
    return (src.get("component", ""), src.get("host", ""), ref.get("kind", ""), ref.get("namespace", ""),
            ref.get("name", ""), ref.get("uid", ""), ref.get("apiVersion", ""), ref.get("fieldPath", ""))


def aggregate_key(event: JsonDict) -> tuple[str, ...]:
    """Events that differ only in their message share this key."""
    return (*_object_key(event), event.get("type", ""), event.get("reason", ""))


def event_key(event: JsonDict) -> tuple[str, ...]:
    """Identical events share this key."""
    return (*aggregate_key(event), event.get("message", ""))


class _Lru(OrderedDict[tuple[str, ...], Any]):
    def touch(self, key: tuple[str, ...], value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > MAX_LRU:
            self.popitem(last=False)


@dataclass
class _Aggregate:
    messages: set[str] = field(default_factory=set)
    last: float = 0.0


@dataclass
class _Bucket:
    tokens: float
    last: float


@dataclass
class _Seen:
    name: str
    count: int
    first_timestamp: str


@dataclass(frozen=True)
class Correlation:
    """What to write: ``event`` to create, or (when ``existing`` names one) a patch of that Event with
    ``event``'s count/lastTimestamp/message. ``skip`` means the spam filter dropped it."""

    event: JsonDict
    key: tuple[str, ...] = ()
    existing: str | None = None
    skip: bool = False


class EventCorrelator:
    """Pure dedup/aggregation/spam state; times are monotonic seconds passed in."""

    def __init__(self) -> None:
        self._aggregates = _Lru()
        self._seen = _Lru()
        self._buckets = _Lru()

    def correlate(self, event: JsonDict, now: float) -> Correlation:
        event, key = self._aggregate(event, now)
        if not self._allow(event, now):
            return Correlation(event, key, skip=True)
        seen = self._seen.get(key)
        if seen is None:
            return Correlation(event, key)
        out = dict(event, metadata=dict(event["metadata"]))  # only top-level fields change
        out["count"] = seen.count + 1
        out["firstTimestamp"] = seen.first_timestamp
        out["metadata"]["name"] = seen.name
        return Correlation(out, key, existing=seen.name)

    def recorded(self, key: tuple[str, ...], event: JsonDict) -> None:
        """Remember an Event the server accepted under ``key`` (from :meth:`correlate`), so its repeats
        are counted into it."""
        self._seen.touch(key, _Seen(event["metadata"]["name"], int(event.get("count") or 1),
                                                 str(event.get("firstTimestamp") or "")))

    def _aggregate(self, event: JsonDict, now: float) -> tuple[JsonDict, tuple[str, ...]]:
        key = aggregate_key(event)
        agg = self._aggregates.get(key)
        if agg is None or now - agg.last > AGGREGATE_INTERVAL:
            agg = _Aggregate()
        agg.messages.add(str(event.get("message", "")))
        agg.last = now
        self._aggregates.touch(key, agg)
        if len(agg.messages) < AGGREGATE_MAX_EVENTS:
            return event, event_key(event)
        # Too many variants: fold them into one Event keyed without its message.
        out = dict(event, message=COMBINED_PREFIX + str(event.get("message", "")))
        return out, key

    def _allow(self, event: JsonDict, now: float) -> bool:
        key = _object_key(event)[:-1]  # client-go's getSpamKey: source and object, not fieldPath
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(SPAM_BURST), now)
        bucket.tokens = min(float(SPAM_BURST), bucket.tokens + (now - bucket.last) * SPAM_QPS)
        bucket.last = now
        self._buckets.touch(key, bucket)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True


class EventRecorder:
    """Records Events about objects on behalf of one component (``source.component``)."""

    def __init__(self, client: Client, component: str, *, host: str = "", instance: str = "",
                 clock: Clock | None = None) -> None:
        self.events = client.resource("v1", "events")
        self.component = component
        self.host = host
        self.instance = instance or component
        self.clock: Clock = clock or RealClock()
        self.correlator = EventCorrelator()
        self._last_nanos = 0
        self._pending: deque[tuple[JsonDict, tuple[JsonDict, str, str, str],
                                   asyncio.Future[JsonDict | None] | None]] = deque()
        self._writer: asyncio.Task[None] | None = None

    def build(self, obj: JsonDict, type_: str, reason: str, message: str) -> JsonDict:
        """The Event a call would write, before correlation."""
        ref = object_reference(obj)
        now = self.clock.now()
        stamp = format_time(now)
        # Named <object>.<unix nanos in hex> as client-go does; kept strictly increasing so two events
        # in the same clock tick (coarse or fake clocks) never collide.
        nanos = max(int(now.timestamp() * 1e9), self._last_nanos + 1)
        self._last_nanos = nanos
        source: JsonDict = {"component": self.component}
        if self.host:
            source["host"] = self.host
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{ref.get('name', 'unknown')}.{nanos:x}",
                "namespace": ref.get("namespace") or "default",
            },
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": type_,
            "source": source,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": self.instance,
        }

    async def event(self, obj: JsonDict, type_: str, reason: str, message: str) -> JsonDict | None:
        """Record that ``reason`` happened to ``obj`` and wait for the write; returns the Event written,
        or None if it was dropped or could not be written (never raises for API failures)."""
        fut: asyncio.Future[JsonDict | None] = asyncio.get_running_loop().create_future()
        self._enqueue(obj, type_, reason, message, fut)
        return await fut

    def emit(self, obj: JsonDict, type_: str, reason: str, message: str) -> None:
        """Record without waiting (what controllers use on their hot path): the Event is written in the
        background, in order. :meth:`flush` waits for everything emitted so far."""
        self._enqueue(obj, type_, reason, message, None)

    async def flush(self) -> None:
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    def _enqueue(self, obj: JsonDict, type_: str, reason: str, message: str,
                 fut: asyncio.Future[JsonDict | None] | None) -> None:
        if type_ not in (NORMAL, WARNING):
            raise ValueError(f"event type must be {NORMAL} or {WARNING}, not {type_!r}")
        if len(self._pending) >= MAX_PENDING:
            # Like client-go's broadcaster: when the API server cannot keep up, drop rather than grow.
            log.warning("event dropped: too many pending", extra={"reason": reason, "object": _describe(obj)})
            if fut is not None:
                fut.set_result(None)
            return
        self._pending.append((self.build(obj, type_, reason, message), (obj, type_, reason, message), fut))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain(), name="event-recorder")

    async def _drain(self) -> None:
        """One writer per recorder: correlation (dedup, aggregation) needs each write to see the
        previous one's result, so events are written strictly one after another."""
        while self._pending:
            ev, args, fut = self._pending.popleft()
            try:
                written = await self._write(ev, *args)
            except Exception as err:  # e.g. the client was closed under us: never crash the writer
                log.warning("event not recorded", extra={"reason": args[2], "error": repr(err)})
                written = None
            if fut is not None and not fut.done():
                fut.set_result(written)

    async def _write(self, built: JsonDict, obj: JsonDict, type_: str, reason: str, message: str
                     ) -> JsonDict | None:
        result = self.correlator.correlate(built, self.clock.monotonic())
        if result.skip:
            log.debug("event dropped by the spam filter", extra={"reason": reason})
            return None
        ev = result.event
        ns = ev["metadata"]["namespace"]
        try:
            if result.existing is not None:
                try:
                    written = await self.events.patch(result.existing, {
                        "count": ev["count"], "lastTimestamp": ev["lastTimestamp"], "message": ev["message"],
                    }, ns)
                except NotFoundError:
                    # The Event expired (TTL) or was deleted: write it afresh, keeping the count.
                    fresh = copy.deepcopy(ev)
                    fresh["metadata"] = {"name": self.build(obj, type_, reason, message)["metadata"]["name"],
                                         "namespace": ns}
                    written = await self.events.create(fresh, ns)
            else:
                written = await self.events.create(ev, ns)
        except (ApiError, TransportError) as err:
            log.warning("event not recorded", extra={"reason": reason, "object": _describe(obj),
                                                      "error": str(err)})
            return None
        self.correlator.recorded(result.key, written)
        return written

    async def normal(self, obj: JsonDict, reason: str, message: str) -> JsonDict | None:
        return await self.event(obj, NORMAL, reason, message)

    async def warning(self, obj: JsonDict, reason: str, message: str) -> JsonDict | None:
        return await self.event(obj, WARNING, reason, message)


def _describe(obj: JsonDict) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind', '')}/{ns + '/' if ns else ''}{meta.get('name', '')}"



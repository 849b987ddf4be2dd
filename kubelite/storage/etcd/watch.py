"""Watch streams on etcd's bidirectional Watch RPC, resumed across member failures.

One gRPC stream per :meth:`EtcdStorage.watch` call (the API server keeps one per resource type).
The stream starts at ``from_revision`` itself rather than ``from_revision + 1`` and drops that
revision's event: etcd then refuses exactly the starts our contract refuses (``from_revision`` below
the compacted revision) with a cancel carrying ``compact_revision``. If the stream breaks (a member
died, a leader changed), it is reopened from the last delivered revision for up to
``watch_resume_for`` seconds, so consumers see one gap-free sequence.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
from aetcd import rpc

from kubelite.base.backoff import Backoff
from kubelite.storage.etcd.client import EtcdClient, is_transient, translate
from kubelite.storage.etcd.leases import ttl_of
from kubelite.storage.interface import (
    CompactedError,
    Event,
    EventType,
    KeyValue,
    UnavailableError,
)
from kubelite.storage.keys import bytes_prefix_end


def to_kv(kv: Any) -> KeyValue:
    return KeyValue(kv.key.decode(), kv.value, kv.create_revision, kv.mod_revision, ttl_of(kv.lease))


def to_event(ev: Any) -> Event:
    prev = to_kv(ev.prev_kv) if ev.HasField("prev_kv") else None
    if ev.type == rpc.Event.DELETE:
        key = ev.kv.key.decode()
        if prev is None:  # the previous value was compacted away; etcd still says which key
            return Event(EventType.DELETE, KeyValue(key, b"", 0, ev.kv.mod_revision), None)
        return Event(EventType.DELETE, KeyValue(key, prev.value, prev.create_revision, ev.kv.mod_revision,
                                                prev.lease), prev)
    kv = to_kv(ev.kv)
    kind = EventType.CREATE if kv.create_revision == kv.mod_revision else EventType.UPDATE
    return Event(kind, kv, prev if kind is EventType.UPDATE else None)


async def _one_stream(client: EtcdClient, prefix: str, after: int) -> AsyncIterator[Event]:
    key = prefix.encode()
    create = rpc.WatchRequest(create_request=rpc.WatchCreateRequest(
        key=key, range_end=bytes_prefix_end(key), start_revision=max(after, 1), prev_kv=True))
    stop = asyncio.Event()

    async def requests() -> AsyncIterator[Any]:
        yield create
        await stop.wait()

    call = client.watchstub.Watch(requests(), metadata=client.metadata)
    try:
        async for resp in call:
            if resp.canceled:
                if resp.compact_revision:
                    raise CompactedError(after, resp.compact_revision)
                raise UnavailableError(f"etcd cancelled the watch: {resp.cancel_reason}")
            for ev in resp.events:
                if ev.kv.mod_revision > after:
                    yield to_event(ev)
        raise UnavailableError("etcd closed the watch stream")
    finally:
        stop.set()
        call.cancel()


async def watch_stream(client: EtcdClient, prefix: str, from_revision: int,
                       resume_for: float) -> AsyncIterator[Event]:
    last = from_revision
    backoff = Backoff(initial=0.05, maximum=1.0)
    broken_since: float | None = None
    while True:
        try:
            async for ev in _one_stream(client, prefix, last):
                broken_since = None
                backoff.reset()
                yield ev
                last = ev.revision
        except grpc.aio.AioRpcError as e:
            if not is_transient(e):
                raise translate(e, requested=last) from e
            error: Exception = e
        except UnavailableError as e:
            error = e
        except grpc.aio.UsageError as e:  # the client was closed under the watch
            raise UnavailableError(f"etcd client closed: {e}") from e
        now = time.monotonic()
        broken_since = broken_since or now
        if now - broken_since > resume_for:
            raise UnavailableError(f"etcd watch could not resume for {resume_for:g}s: {error}")
        await asyncio.sleep(backoff.next_delay())

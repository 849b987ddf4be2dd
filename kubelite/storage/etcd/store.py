"""The etcd backend: our contract over etcd v3's KV, Lease and Watch services.

Every write is one ``Txn`` whose compare carries the precondition (create: ``create_revision == 0``;
update and guarded delete: ``mod_revision == expected``), whose success branch writes with
``prev_kv`` and whose failure branch reads the key, so the error (exists, not found, conflict with
the current value) costs no extra round trip. etcd's revision is already our global, gap-free
revision, and ``Range`` at a revision with ``limit`` is already a consistent page.

Differences from SQLite worth knowing: a fresh etcd starts at revision 1, not 0; etcd's default
request limit is 1.5 MiB per value (:class:`TooLargeError`); a write whose connection breaks in flight
raises :class:`UnavailableError` even though etcd may have applied it (the caller re-reads).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
from aetcd import rpc

from kubelite.base.clock import Clock, RealClock
from kubelite.storage.compactor import run_compactor
from kubelite.storage.etcd.client import EtcdClient, EtcdConfig, is_transient, translate
from kubelite.storage.etcd.feeds import Feeds
from kubelite.storage.etcd.leases import LeaseCache, lease_id, reuse_window
from kubelite.storage.etcd.watch import to_kv, watch_stream
from kubelite.storage.interface import (
    CompactedError,
    ConflictError,
    Event,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    ListResult,
    StorageError,
    UnavailableError,
)
from kubelite.storage.keys import bytes_prefix_end

log = logging.getLogger(__name__)

_PROBE_KEY = b"\x00kubelite/compaction-probe"
_READ_RETRIES = 3


def _cmp(key: bytes, result: int, target: int, **value: int) -> Any:
    return rpc.Compare(key=key, result=result, target=target, **value)


class EtcdStorage:
    def __init__(self, config: EtcdConfig, *, clock: Clock | None = None) -> None:
        self._config = config
        self._clock = clock or RealClock()  # paces the compactor; etcd keeps lease time itself
        self._client = EtcdClient(config)
        self._leases = LeaseCache()
        self._compacted = 0  # lower bound for the bisection in compacted_revision()
        self._feeds = Feeds(lambda prefix, rev: watch_stream(self._client, prefix, rev, config.watch_resume_for),
                            max_buffer=config.watch_buffer)
        self._tasks: list[asyncio.Task[None]] = []
        self._open = False

    async def start(self) -> None:
        await self._client.connect()
        self._open = True
        try:  # one attempt: an unreachable or misconfigured etcd should fail fast and clearly
            await self._call("Range", rpc.RangeRequest(key=_PROBE_KEY, count_only=True), idempotent=False)
        except StorageError as e:
            await self.close()
            raise UnavailableError(f"cannot reach etcd at {','.join(self._config.endpoints)}: {e}") from e
        if self._config.compaction.interval > 0:
            self._tasks.append(asyncio.create_task(
                run_compactor(self, self._clock, self._config.compaction)))

    async def close(self) -> None:
        self._open = False
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._feeds.close()
        await self._client.close()

    # -- calls -------------------------------------------------------------------------------------

    async def _call(self, method: str, request: Any, *, idempotent: bool, requested: int = 0) -> Any:
        """One unary RPC; reads are retried on transient errors, writes are not (they may have applied)."""
        if not self._open:
            raise UnavailableError("storage is not open")
        stub = self._client.kvstub if method in ("Range", "Txn", "Compact") else self._client.leasestub
        attempts = _READ_RETRIES if idempotent else 1
        for attempt in range(attempts):
            try:
                return await getattr(stub, method)(request, timeout=self._config.timeout,
                                                   metadata=self._client.metadata, wait_for_ready=True)
            except grpc.aio.UsageError as e:  # closed concurrently
                raise UnavailableError(f"etcd client closed: {e}") from e
            except grpc.aio.AioRpcError as e:
                if idempotent and is_transient(e) and attempt + 1 < attempts:
                    await asyncio.sleep(0.05 * (attempt + 1))
                    continue
                err = translate(e, requested=requested)
                if isinstance(err, CompactedError) and requested >= 0:
                    err = CompactedError(requested, await self._compacted_or(requested + 1))
                raise err from e
        raise AssertionError("unreachable")

    async def _compacted_or(self, fallback: int) -> int:
        try:
            return await self.compacted_revision()
        except StorageError:
            return fallback

    async def current_revision(self) -> int:
        resp = await self._call("Range", rpc.RangeRequest(key=_PROBE_KEY, count_only=True), idempotent=True)
        return int(resp.header.revision)

    async def compacted_revision(self) -> int:
        """etcd does not report it, so find the oldest readable revision by bisection.

        A read below the compacted revision fails, at or above it succeeds; ~log2(revisions) cheap
        count-only reads, starting from the last value found (compaction only moves forward).
        """
        known, hi = self._compacted, await self.current_revision()
        # Revision 0 means "now" to etcd, so probe from 1: readable there means nothing is compacted
        # that anyone could ask for.
        lo = max(known, 1)
        if await self._readable(lo):
            return known
        while hi - lo > 1:  # invariant: lo unreadable, hi readable
            mid = (lo + hi) // 2
            if await self._readable(mid):
                hi = mid
            else:
                lo = mid
        self._compacted = hi
        return hi

    async def _readable(self, revision: int) -> bool:
        try:
            await self._call("Range", rpc.RangeRequest(key=_PROBE_KEY, count_only=True, revision=revision),
                             idempotent=True, requested=-1)
        except CompactedError:
            return False
        return True

    async def _lease(self, ttl: int) -> int:
        if ttl <= 0:
            return 0
        cached = self._leases.get(ttl)
        if cached is not None:
            return cached
        lid = lease_id(ttl)
        await self._call("LeaseGrant", rpc.LeaseGrantRequest(TTL=ttl + reuse_window(ttl), ID=lid),
                         idempotent=False)
        self._leases.put(ttl, lid)
        return lid

    # -- writes ------------------------------------------------------------------------------------

    async def create(self, key: str, value: bytes, *, ttl: int = 0) -> KeyValue:
        k = key.encode()
        lease = await self._lease(ttl)
        txn = rpc.TxnRequest(
            compare=[_cmp(k, rpc.Compare.EQUAL, rpc.Compare.CREATE, create_revision=0)],
            success=[rpc.RequestOp(request_put=rpc.PutRequest(key=k, value=value, lease=lease))],
            failure=[])
        resp = await self._call("Txn", txn, idempotent=False)
        if not resp.succeeded:
            raise KeyExistsError(key)
        rev = int(resp.header.revision)
        return KeyValue(key, bytes(value), rev, rev, ttl if lease else 0)

    def _guarded(self, k: bytes, expected: int | None, op: Any) -> Any:
        """A txn running ``op`` only if the key exists (etcd compares an absent key's revisions as 0,
        so ``mod_revision == 0`` alone would let an update create it) and, when given, still has
        ``mod_revision == expected``."""
        compare = [_cmp(k, rpc.Compare.GREATER, rpc.Compare.CREATE, create_revision=0)]
        if expected is not None:
            compare.append(_cmp(k, rpc.Compare.EQUAL, rpc.Compare.MOD, mod_revision=expected))
        return rpc.TxnRequest(compare=compare, success=[op],
                              failure=[rpc.RequestOp(request_range=rpc.RangeRequest(key=k))])

    @staticmethod
    def _failed(key: str, resp: Any) -> StorageError:
        kvs = resp.responses[0].response_range.kvs
        if not kvs:
            return KeyNotFoundError(key)
        return ConflictError(key, to_kv(kvs[0]))

    async def update(self, key: str, value: bytes, *, expected_revision: int, ttl: int = 0) -> KeyValue:
        k = key.encode()
        lease = await self._lease(ttl)
        put = rpc.RequestOp(request_put=rpc.PutRequest(key=k, value=value, lease=lease, prev_kv=True))
        resp = await self._call("Txn", self._guarded(k, expected_revision, put), idempotent=False)
        if not resp.succeeded:
            raise self._failed(key, resp)
        prev = resp.responses[0].response_put.prev_kv
        return KeyValue(key, bytes(value), int(prev.create_revision), int(resp.header.revision),
                        ttl if lease else 0)

    async def delete(self, key: str, *, expected_revision: int | None = None) -> KeyValue:
        k = key.encode()
        op = rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=k, prev_kv=True))
        resp = await self._call("Txn", self._guarded(k, expected_revision, op), idempotent=False)
        if not resp.succeeded:
            raise self._failed(key, resp)
        prevs = resp.responses[0].response_delete_range.prev_kvs
        if not prevs:  # deleted by someone else between compare and delete cannot happen in one txn
            raise KeyNotFoundError(key)
        prev = to_kv(prevs[0])
        return KeyValue(key, prev.value, prev.create_revision, int(resp.header.revision), prev.lease)

    # -- reads -------------------------------------------------------------------------------------

    async def get(self, key: str, *, revision: int | None = None) -> KeyValue | None:
        req = rpc.RangeRequest(key=key.encode(), revision=revision or 0)
        resp = await self._call("Range", req, idempotent=True, requested=revision or 0)
        return to_kv(resp.kvs[0]) if resp.kvs else None

    async def list(self, prefix: str, *, revision: int | None = None, limit: int = 0,
                   start_after: str | None = None) -> ListResult:
        p = prefix.encode()
        start = p
        if start_after is not None and start_after >= prefix:
            start = start_after.encode() + b"\x00"
        req = rpc.RangeRequest(key=start, range_end=bytes_prefix_end(p), limit=limit, revision=revision or 0)
        resp = await self._call("Range", req, idempotent=True, requested=revision or 0)
        items = [to_kv(kv) for kv in resp.kvs]
        return ListResult(items, revision or int(resp.header.revision), bool(resp.more))

    async def count(self, prefix: str) -> int:
        p = prefix.encode()
        req = rpc.RangeRequest(key=p, range_end=bytes_prefix_end(p), count_only=True)
        resp = await self._call("Range", req, idempotent=True)
        return int(resp.count)

    def watch(self, prefix: str, from_revision: int) -> AsyncIterator[Event]:
        if not self._open:
            raise UnavailableError("storage is not open")
        return self._feeds.watch(prefix, from_revision)

    async def compact(self, revision: int) -> None:
        if revision <= max(self._compacted, 0):
            if not self._open:
                raise UnavailableError("storage is not open")
            return  # nothing to forget (etcd would answer "compacted" for 0 and below)
        try:
            await self._call("Compact", rpc.CompactionRequest(revision=revision), idempotent=True,
                             requested=-1)
        except CompactedError:
            return  # already compacted at or past it
        self._compacted = max(self._compacted, revision)


"""The SQLite backend: the embedded default datastore.

Writes go through the single writer thread (group commit, WAL, ``synchronous=FULL``: an acknowledged
write is on disk). Reads use their own connections: small ones (get, count, short pages, watch
history pages) run directly on the event-loop thread, because a point query costs less than the
~0.17 ms of a thread hop; lists that may return many rows go to a reader thread so the loop keeps
serving while 10,000 values are fetched. Watches are fed from the write path in-process; there is no
polling, which is why only one process may open the database (see :mod:`.lock`).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from kubelite.base.clock import Clock, RealClock
from kubelite.storage.compactor import CompactionConfig, run_compactor
from kubelite.storage.expiry import ExpiryQueue, run_expiry
from kubelite.storage.interface import (
    Event,
    FutureRevisionError,
    KeyValue,
    ListResult,
    StorageError,
    TooLargeError,
    UnavailableError,
)
from kubelite.storage.sqlite import reads, schema
from kubelite.storage.sqlite.lock import WriterLock
from kubelite.storage.sqlite.schema import OP_CREATE, OP_DELETE, OP_UPDATE
from kubelite.storage.sqlite.writer import CompactOp, Outcome, WriteOp, Writer
from kubelite.storage.watch import MAX_BUFFER, WatchHub, watch_from

T = TypeVar("T")
_HISTORY_PAGE = 500


@dataclass(frozen=True)
class SQLiteConfig:
    path: str  # absolute path of the database file; its directory is created if missing
    compaction: CompactionConfig = field(default_factory=CompactionConfig)
    batch_max: int = 128  # most writes committed (and fsync'd) together
    inline_list_limit: int = 500  # pages up to this size are read on the loop thread
    watch_buffer: int = MAX_BUFFER  # events a watcher may lag before it re-reads history instead
    max_value_bytes: int = 64 * 1024 * 1024  # bigger values are TooLargeError (SQLite itself stops at 1 GB)


class SQLiteStorage:
    def __init__(self, config: SQLiteConfig, *, clock: Clock | None = None) -> None:
        self._config = config
        self._clock = clock or RealClock()
        self._lock = WriterLock(config.path)
        self._hub = WatchHub(config.watch_buffer)
        self._expiry = ExpiryQueue()
        self._tasks: list[asyncio.Task[None]] = []
        self._rev = 0
        self._compacted = 0
        self._open = False
        self._writer: Writer | None = None
        self._conn: sqlite3.Connection | None = None  # loop-thread reads
        self._pool: ThreadPoolExecutor | None = None  # big reads
        self._local = threading.local()

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        path = self._config.path
        if not os.path.isabs(path):
            raise StorageError(f"sqlite path must be absolute: {path!r}")
        try:
            ttls = await asyncio.to_thread(self._open_files)
        except (sqlite3.Error, OSError) as e:
            raise StorageError(f"cannot open sqlite database {path}: {e}") from e
        for deadline, key, rev in ttls:  # on the loop: the queue's wake-up event is loop-bound
            self._expiry.push(deadline, key, rev)
        loop = asyncio.get_running_loop()
        self._writer = Writer(path, loop, self._deliver, revision=self._rev,
                              batch_max=self._config.batch_max)
        try:
            await asyncio.to_thread(self._writer.start)
        except sqlite3.Error as e:
            if self._conn is not None:
                self._conn.close()
            self._lock.release()
            raise StorageError(f"cannot open sqlite database {path}: {e}") from e
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="kubelite-sqlite-reader")
        self._open = True
        self._tasks.append(asyncio.create_task(run_expiry(self._expiry, self._clock, self._expire)))
        if self._config.compaction.interval > 0:
            self._tasks.append(asyncio.create_task(run_compactor(self, self._clock, self._config.compaction)))

    def _open_files(self) -> list[tuple[float, str, int]]:
        """Lock, create or check the schema, open the read connection; returns pending TTLs."""
        path = self._config.path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self._lock.acquire()
        try:
            setup = schema.connect(path)
            try:
                schema.create_schema(setup)
                now = self._clock.now().timestamp()
                mono = self._clock.monotonic()
                ttls = [(mono + (expires_at - now), key, rev) for key, rev, expires_at in setup.execute(
                    "SELECT key, rev, expires_at FROM current WHERE expires_at IS NOT NULL")]
            finally:
                setup.close()
            self._conn = schema.connect(path, readonly=True)
            with reads.snapshot(self._conn) as (rev, compacted):
                self._rev, self._compacted = rev, compacted
            return ttls
        except BaseException:
            self._lock.release()
            raise

    async def close(self) -> None:
        if not self._open:
            return
        self._open = False
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._writer is not None:
            await asyncio.to_thread(self._writer.stop)
            # Deliveries the writer queued before stopping resolve their futures now.
            await asyncio.sleep(0)
        self._hub.close()
        if self._pool is not None:
            await asyncio.get_running_loop().run_in_executor(self._pool, self._close_reader_conn)
            self._pool.shutdown(wait=True)
        if self._conn is not None:
            self._conn.close()
        self._lock.release()

    def _check_open(self) -> sqlite3.Connection:
        if not self._open or self._conn is None:
            raise UnavailableError("storage is not open")
        return self._conn

    # -- the write path ----------------------------------------------------------------------------

    def _deliver(self, outcomes: list[Outcome], events: list[Event], revision: int,
                 compacted: int | None) -> None:
        """On the loop: publish a committed batch, then acknowledge its writers."""
        self._rev = max(self._rev, revision)
        if compacted is not None:
            self._compacted = max(self._compacted, compacted)
        if events:
            mono = self._clock.monotonic()
            for ev in events:
                if ev.kv.lease and ev.type is not ev.type.DELETE:
                    self._expiry.push(mono + ev.kv.lease, ev.kv.key, ev.kv.mod_revision)
            self._hub.publish(events)
        for fut, result in outcomes:
            if fut.done():
                continue
            if isinstance(result, KeyValue):
                fut.set_result(result)
            else:
                fut.set_exception(result)

    async def _write(self, op: int, key: str, value: bytes, expected: int | None, ttl: int) -> KeyValue:
        self._check_open()
        assert self._writer is not None
        if ttl < 0:
            raise StorageError(f"ttl must not be negative: {ttl}")
        if len(value) > self._config.max_value_bytes:
            # Refused here, not in the writer: a failing statement would fail the whole group commit.
            raise TooLargeError(f"value of {len(value)} bytes exceeds {self._config.max_value_bytes}")
        fut: asyncio.Future[KeyValue] = asyncio.get_running_loop().create_future()
        expires_at = self._clock.now().timestamp() + ttl if ttl else None
        self._writer.submit(WriteOp(op, key, bytes(value), expected, ttl, expires_at, fut))
        return await fut

    async def create(self, key: str, value: bytes, *, ttl: int = 0) -> KeyValue:
        return await self._write(OP_CREATE, key, value, None, ttl)

    async def update(self, key: str, value: bytes, *, expected_revision: int, ttl: int = 0) -> KeyValue:
        return await self._write(OP_UPDATE, key, value, expected_revision, ttl)

    async def delete(self, key: str, *, expected_revision: int | None = None) -> KeyValue:
        return await self._write(OP_DELETE, key, b"", expected_revision, 0)

    async def _expire(self, key: str, revision: int) -> None:
        if self._open:
            await self.delete(key, expected_revision=revision)

    async def compact(self, revision: int) -> None:
        self._check_open()
        assert self._writer is not None
        if revision > self._rev:
            raise FutureRevisionError(f"cannot compact to {revision}: store is at {self._rev}")
        if revision <= self._compacted:
            return
        fut: asyncio.Future[KeyValue] = asyncio.get_running_loop().create_future()
        self._writer.submit(CompactOp(revision, fut))
        await fut

    # -- reads -------------------------------------------------------------------------------------

    async def current_revision(self) -> int:
        self._check_open()
        return self._rev

    async def compacted_revision(self) -> int:
        self._check_open()
        return self._compacted

    def _reader_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = schema.connect(self._config.path, readonly=True)
        return conn

    def _close_reader_conn(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    async def _in_reader(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        assert self._pool is not None
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, lambda: self._guarded(fn, self._reader_conn()))

    @staticmethod
    def _guarded(fn: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
        try:
            return fn(conn)
        except sqlite3.Error as e:
            raise UnavailableError(f"sqlite read failed: {e}") from e

    async def get(self, key: str, *, revision: int | None = None) -> KeyValue | None:
        conn = self._check_open()
        if not revision:
            return self._guarded(lambda c: reads.get_current(c, key), conn)
        return self._guarded(lambda c: reads.get_at(c, key, revision), conn)

    async def list(self, prefix: str, *, revision: int | None = None, limit: int = 0,
                   start_after: str | None = None) -> ListResult:
        conn = self._check_open()

        def run(c: sqlite3.Connection) -> ListResult:
            return reads.list_range(c, prefix, revision, limit, start_after)

        if 0 < limit <= self._config.inline_list_limit:
            return self._guarded(run, conn)
        return await self._in_reader(run)

    async def count(self, prefix: str) -> int:
        conn = self._check_open()
        return self._guarded(lambda c: reads.count(c, prefix), conn)

    async def _history(self, prefix: str, after: int) -> Sequence[Event]:
        conn = self._check_open()
        return self._guarded(lambda c: reads.history(c, prefix, after, _HISTORY_PAGE), conn)

    def watch(self, prefix: str, from_revision: int) -> AsyncIterator[Event]:
        return watch_from(self._hub, prefix, from_revision, self._history)


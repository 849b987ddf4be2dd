"""The one writer thread: group commit of queued writes, so durable acknowledgements stay cheap.

Callers on the event loop enqueue a :class:`WriteOp` with a future. The thread takes whatever is
queued (up to ``batch_max``), applies the ops in order inside one ``BEGIN IMMEDIATE`` transaction
(each op sees the ones before it, so compare-and-swap stays exact), writes the new revision into
``meta`` and commits: with ``synchronous=FULL`` that is one fsync for the whole batch. Only then does
it hand the outcomes and the committed events back to the loop in one ``call_soon_threadsafe``, which
resolves the futures and feeds the watch hub: no acknowledgement or event precedes durability.

An op that fails its own check (exists, not found, conflict) writes nothing and fails alone; a
failing commit (disk full, I/O error) rolls back the whole batch, restores the revision counter and
fails every op in it with :class:`UnavailableError`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kubelite.storage.interface import (
    ConflictError,
    Event,
    EventType,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    StorageError,
    UnavailableError,
)
from kubelite.storage.sqlite import schema
from kubelite.storage.sqlite.schema import OP_CREATE, OP_DELETE, OP_UPDATE

log = logging.getLogger(__name__)

_CURRENT_FOR_WRITE = (
    "SELECT l.value, l.create_rev, l.rev, l.lease FROM current c JOIN log l ON l.rev = c.rev WHERE c.key = ?"
)
_INSERT_LOG = (
    "INSERT INTO log (rev, key, op, create_rev, prev_rev, lease, value) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_COMPACT_SUPERSEDED = (
    "DELETE FROM log WHERE rev IN (SELECT prev_rev FROM log WHERE rev > ? AND rev <= ? AND prev_rev > 0)"
)
_COMPACT_TOMBSTONES = "DELETE FROM log WHERE rev > ? AND rev <= ? AND op = 2"


@dataclass(slots=True)
class WriteOp:
    op: int  # schema.OP_CREATE / OP_UPDATE / OP_DELETE
    key: str
    value: bytes
    expected: int | None  # required mod_revision (update, guarded delete)
    ttl: int
    expires_at: float | None  # unix time, for TTL recovery after a restart
    future: asyncio.Future[KeyValue]


@dataclass(slots=True)
class CompactOp:
    revision: int
    future: asyncio.Future[KeyValue]  # resolved with a dummy kv; only completion matters


Outcome = tuple["asyncio.Future[KeyValue]", KeyValue | StorageError]
# (outcomes, committed events, latest revision, compacted revision or None)
Deliver = Callable[[list[Outcome], list[Event], int, int | None], None]


class Writer:
    def __init__(self, path: str, loop: asyncio.AbstractEventLoop, deliver: Deliver, *,
                 revision: int, batch_max: int = 128) -> None:
        self._path = path
        self._loop = loop
        self._deliver = deliver
        self._rev = revision
        self._batch_max = batch_max
        self._queue: queue.SimpleQueue[WriteOp | CompactOp | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="kubelite-sqlite-writer", daemon=True)
        self._conn: sqlite3.Connection | None = None

    def start(self) -> None:
        self._conn = schema.connect(self._path)
        self._thread.start()

    def submit(self, op: WriteOp | CompactOp) -> None:
        self._queue.put(op)

    def stop(self) -> None:
        """Finish everything queued so far, then end the thread (blocking: call off the loop)."""
        self._queue.put(None)
        self._thread.join()
        if self._conn is not None:
            self._conn.close()

    # -- the thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._batch_max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            try:
                writes = [op for op in batch if isinstance(op, WriteOp)]
                if writes:
                    self._commit_writes(writes)
                for op in batch:
                    if isinstance(op, CompactOp):
                        self._compact(op)
            except Exception as e:  # a bug must fail the callers, not leave them waiting for ever
                log.exception("sqlite writer failed a batch")
                self._recover(batch, e)
            if stop:
                return

    def _recover(self, batch: list[WriteOp | CompactOp], error: Exception) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self._rev = self._durable_revision(self._rev)
        err = UnavailableError(f"sqlite writer failed: {error!r}")
        self._send([(op.future, err) for op in batch], [], None)

    def _send(self, outcomes: list[Outcome], events: list[Event], compacted: int | None) -> None:
        try:
            self._loop.call_soon_threadsafe(self._deliver, outcomes, events, self._rev, compacted)
        except RuntimeError:  # the loop is gone (process shutting down): nobody is waiting
            pass

    def _commit_writes(self, ops: list[WriteOp]) -> None:
        assert self._conn is not None
        conn = self._conn
        start_rev = self._rev
        outcomes: list[Outcome] = []
        events: list[Event] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op in ops:
                result = self._apply(conn, op)
                if isinstance(result, Event):
                    events.append(result)
                    outcomes.append((op.future, result.kv))
                else:
                    outcomes.append((op.future, result))
            if events:
                conn.execute("UPDATE meta SET value = ? WHERE name = 'revision'", (self._rev,))
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            log.error("sqlite commit failed", extra={"error": str(e), "ops": len(ops)})
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self._rev = self._durable_revision(start_rev)
            err = UnavailableError(f"sqlite write failed: {e}")
            self._send([(op.future, err) for op in ops], [], None)
            return
        self._send(outcomes, events, None)

    def _durable_revision(self, fallback: int) -> int:
        """The revision on disk after a failed commit (normally the one before the batch; if the
        commit reached the disk and only its report failed, the batch's own, so no revision is
        ever handed out twice)."""
        assert self._conn is not None
        try:
            return int(self._conn.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()[0])
        except sqlite3.Error:
            return fallback

    def _apply(self, conn: sqlite3.Connection, op: WriteOp) -> Event | StorageError:
        row = conn.execute(_CURRENT_FOR_WRITE, (op.key,)).fetchone()
        cur = None if row is None else KeyValue(op.key, row[0], row[1], row[2], row[3])
        if op.op == OP_CREATE:
            if cur is not None:
                return KeyExistsError(op.key)
            self._rev += 1
            rev = self._rev
            conn.execute(_INSERT_LOG, (rev, op.key, OP_CREATE, rev, 0, op.ttl, op.value))
            conn.execute("INSERT INTO current (key, rev, expires_at) VALUES (?, ?, ?)",
                         (op.key, rev, op.expires_at))
            return Event(EventType.CREATE, KeyValue(op.key, op.value, rev, rev, op.ttl), None)
        if cur is None:
            return KeyNotFoundError(op.key)
        if op.expected is not None and cur.mod_revision != op.expected:
            return ConflictError(op.key, cur)
        self._rev += 1
        rev = self._rev
        if op.op == OP_UPDATE:
            conn.execute(_INSERT_LOG, (rev, op.key, OP_UPDATE, cur.create_revision, cur.mod_revision,
                                       op.ttl, op.value))
            conn.execute("UPDATE current SET rev = ?, expires_at = ? WHERE key = ?",
                         (rev, op.expires_at, op.key))
            kv = KeyValue(op.key, op.value, cur.create_revision, rev, op.ttl)
            return Event(EventType.UPDATE, kv, cur)
        assert op.op == OP_DELETE
        conn.execute(_INSERT_LOG, (rev, op.key, OP_DELETE, cur.create_revision, cur.mod_revision, 0, b""))
        conn.execute("DELETE FROM current WHERE key = ?", (op.key,))
        kv = KeyValue(op.key, cur.value, cur.create_revision, rev, cur.lease)
        return Event(EventType.DELETE, kv, cur)

    def _compact(self, op: CompactOp) -> None:
        """Forget history at or below ``op.revision``, then give the space back and truncate the WAL."""
        assert self._conn is not None
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            old = conn.execute("SELECT value FROM meta WHERE name = 'compacted'").fetchone()[0]
            target = min(op.revision, self._rev)
            if target > old:
                conn.execute(_COMPACT_SUPERSEDED, (old, target))
                conn.execute(_COMPACT_TOMBSTONES, (old, target))
                conn.execute("UPDATE meta SET value = ? WHERE name = 'compacted'", (target,))
            conn.execute("COMMIT")
            # executescript steps to completion; execute() would free only one page (no result columns)
            conn.executescript("PRAGMA incremental_vacuum;")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as e:
            log.error("sqlite compaction failed", extra={"error": str(e)})
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self._send([(op.future, UnavailableError(f"sqlite compaction failed: {e}"))], [], None)
            return
        done = KeyValue("", b"", 0, target, 0)
        self._send([(op.future, done)], [], max(target, old))

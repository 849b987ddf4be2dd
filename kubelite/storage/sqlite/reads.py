"""Read queries over one connection, each inside a read transaction so it sees one snapshot.

These functions are synchronous and pure SQL: the store runs small ones on the event-loop thread (a
get is ~10 us, cheaper than any thread hop) and big lists on a reader thread with its own connection.
A snapshot's revision is ``meta.revision`` read inside the same transaction, so a list's revision
always matches its rows even while the writer commits concurrently.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kubelite.storage.interface import (
    CompactedError,
    Event,
    EventType,
    FutureRevisionError,
    KeyValue,
    ListResult,
)
from kubelite.storage.keys import prefix_end
from kubelite.storage.sqlite import schema
from kubelite.storage.sqlite.schema import OP_CREATE, OP_DELETE


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[tuple[int, int]]:
    """A read transaction; yields ``(revision, compacted)`` as of its snapshot."""
    conn.execute("BEGIN")
    try:
        meta = dict(conn.execute(schema.META).fetchall())
        yield meta["revision"], meta["compacted"]
    finally:
        conn.execute("COMMIT")


def check_revision(revision: int, current: int, compacted: int) -> None:
    if revision > current:
        raise FutureRevisionError(f"revision {revision} is newer than the store ({current})")
    if revision < compacted:
        raise CompactedError(revision, compacted)


def bounds(prefix: str) -> tuple[str, str]:
    return prefix, prefix_end(prefix) or schema.KEY_MAX


def get_current(conn: sqlite3.Connection, key: str) -> KeyValue | None:
    row = conn.execute(schema.GET_CURRENT, (key,)).fetchone()
    return None if row is None else KeyValue(key, row[0], row[1], row[2], row[3])


def _at(conn: sqlite3.Connection, key: str, revision: int) -> KeyValue | None:
    row = conn.execute(schema.GET_AT, (key, revision)).fetchone()
    if row is None or row[0] == OP_DELETE:
        return None
    return KeyValue(key, row[1], row[2], row[3], row[4])


def get_at(conn: sqlite3.Connection, key: str, revision: int) -> KeyValue | None:
    with snapshot(conn) as (current, compacted):
        check_revision(revision, current, compacted)
        return _at(conn, key, revision)


@dataclass(frozen=True, slots=True)
class KeyRange:
    lo: str
    hi: str
    exclusive: bool  # lo itself excluded (a page continuing after ``start_after``)

    @classmethod
    def of(cls, prefix: str, start_after: str | None) -> KeyRange:
        lo, hi = bounds(prefix)
        if start_after is not None and start_after >= lo:
            return cls(start_after, hi, True)
        return cls(lo, hi, False)


def list_range(conn: sqlite3.Connection, prefix: str, revision: int | None, limit: int,
               start_after: str | None) -> ListResult:
    rng = KeyRange.of(prefix, start_after)
    with snapshot(conn) as (current, compacted):
        if revision:
            check_revision(revision, current, compacted)
        if not revision or revision == current:
            return _list_current(conn, rng, limit, current)
        return _list_past(conn, rng, limit, revision)


def _list_current(conn: sqlite3.Connection, rng: KeyRange, limit: int, revision: int) -> ListResult:
    sql = schema.LIST_CURRENT if rng.exclusive else schema.LIST_CURRENT_FROM
    rows = conn.execute(sql, (rng.lo, rng.hi, limit + 1 if limit else -1)).fetchall()
    more = bool(limit) and len(rows) > limit
    if more:
        rows = rows[:limit]
    return ListResult([KeyValue(r[0], r[1], r[2], r[3], r[4]) for r in rows], revision, more)


def _list_past(conn: sqlite3.Connection, rng: KeyRange, limit: int, revision: int) -> ListResult:
    """A range as of ``revision``: current rows untouched since, plus the touched keys looked up.

    Cheap when few keys changed after ``revision`` (the usual case for the second page of a list),
    instead of rescanning all history per page as kine does. Only touched keys up to the page's
    last untouched candidate are looked up, so paging under heavy writes stays linear.
    """
    touched_sql = schema.TOUCHED_SINCE if rng.exclusive else schema.TOUCHED_SINCE_FROM
    touched = {r[0] for r in conn.execute(touched_sql, (revision, rng.lo, rng.hi))}
    sql = schema.LIST_CURRENT if rng.exclusive else schema.LIST_CURRENT_FROM
    untouched: list[KeyValue] = []
    for r in conn.execute(sql, (rng.lo, rng.hi, -1)):
        if r[0] in touched:
            continue
        untouched.append(KeyValue(r[0], r[1], r[2], r[3], r[4]))
        if limit and len(untouched) > limit:
            break
    bound = untouched[-1].key if limit and len(untouched) > limit else None
    fixed = [kv for kv in (_at(conn, k, revision) for k in touched if bound is None or k <= bound)
             if kv is not None]
    items = sorted(untouched + fixed, key=lambda kv: kv.key)
    more = bool(limit) and len(items) > limit
    return ListResult(items[:limit] if limit else items, revision, more)


def count(conn: sqlite3.Connection, prefix: str) -> int:
    lo, hi = bounds(prefix)
    return int(conn.execute(schema.COUNT, (lo, hi)).fetchone()[0])


def history(conn: sqlite3.Connection, prefix: str, after: int, page: int) -> list[Event]:
    """Up to ``page`` events under ``prefix`` after revision ``after``, each with its ``prev``."""
    lo, hi = bounds(prefix)
    with snapshot(conn) as (_, compacted):
        if after < compacted:
            raise CompactedError(after, compacted)
        rows = conn.execute(schema.HISTORY, (after, lo, hi, page)).fetchall()
    events = []
    for rev, key, op, create_rev, lease, value, prev_rev, pvalue, pcreate, plee in rows:
        if op == OP_CREATE:
            events.append(Event(EventType.CREATE, KeyValue(key, value, create_rev, rev, lease), None))
            continue
        pval = pvalue if pvalue is not None else b""
        prev = KeyValue(key, pval, pcreate or create_rev, prev_rev, plee or 0)
        if op == OP_DELETE:
            gone = KeyValue(key, prev.value, create_rev, rev, prev.lease)
            events.append(Event(EventType.DELETE, gone, prev))
        else:
            events.append(Event(EventType.UPDATE, KeyValue(key, value, create_rev, rev, lease), prev))
    return events

"""The SQLite layout: a kine-like log of every write plus a current-state index.

::

    <data-dir>/state.db        the database (WAL mode, synchronous=FULL, auto_vacuum=INCREMENTAL)
    <data-dir>/state.db-wal    write-ahead log; checkpointed and truncated after each compaction
    <data-dir>/state.db-shm    WAL index (shared memory)
    <data-dir>/state.db.lock   flock'd by the one process that writes; holds its pid

Tables:

- ``log(rev, key, op, create_rev, prev_rev, lease, value)``: one row per revision. ``rev`` is the
  global revision, assigned by the single writer, so it is gap-free. ``prev_rev`` links a row to the
  version it replaced (0 for a create), which is how an event's ``prev`` is found and how compaction
  finds superseded rows. A delete row stores an empty value: the deleted value is its ``prev_rev`` row.
- ``current(key, rev, expires_at)``: the live keys and the log row holding each one's value, so a list
  of current state (or a page of it) is an index range scan, not kine's ``MAX(id) GROUP BY name``.
- ``meta(name, value)``: ``revision`` (the latest, written in every commit, which a read transaction
  uses as its snapshot's revision) and ``compacted``.

Compaction to ``c`` deletes the rows superseded by a row at or below ``c`` and the delete rows at or
below ``c``: what remains is exactly the state as of ``c`` plus everything after, so reads at ``c``
and watches from ``c`` still work and each remaining event's ``prev`` row is still there.
"""

from __future__ import annotations

import sqlite3

OP_CREATE, OP_UPDATE, OP_DELETE = 0, 1, 2
SCHEMA_VERSION = 1

_TABLES = """
CREATE TABLE IF NOT EXISTS log (
    rev INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    op INTEGER NOT NULL,
    create_rev INTEGER NOT NULL,
    prev_rev INTEGER NOT NULL,
    lease INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS log_key_rev ON log(key, rev);
CREATE TABLE IF NOT EXISTS current (
    key TEXT PRIMARY KEY,
    rev INTEGER NOT NULL,
    expires_at REAL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('compacted', 0), ('schema', 1);  -- SCHEMA_VERSION
"""

# A key's live value: current -> log.
GET_CURRENT = (
    "SELECT l.value, l.create_rev, l.rev, l.lease FROM current c JOIN log l ON l.rev = c.rev WHERE c.key = ?"
)
# A key's version at or before a revision (a delete row means absent).
GET_AT = (
    "SELECT op, value, create_rev, rev, lease FROM log WHERE key = ? AND rev <= ? ORDER BY rev DESC LIMIT 1"
)
META = "SELECT name, value FROM meta WHERE name IN ('revision', 'compacted')"
# History rows after a revision under a key range, joined to the row each replaced.
HISTORY = (
    "SELECT l.rev, l.key, l.op, l.create_rev, l.lease, l.value, l.prev_rev, p.value, p.create_rev, p.lease"
    " FROM log l LEFT JOIN log p ON p.rev = l.prev_rev"
    " WHERE l.rev > ? AND l.key >= ? AND l.key < ? ORDER BY l.rev LIMIT ?"
)
LIST_CURRENT = (
    "SELECT c.key, l.value, l.create_rev, l.rev, l.lease FROM current c JOIN log l ON l.rev = c.rev"
    " WHERE c.key > ? AND c.key < ? ORDER BY c.key LIMIT ?"
)
# The same, from the first key of the range inclusive (no start_after).
LIST_CURRENT_FROM = LIST_CURRENT.replace("c.key > ?", "c.key >= ?")
TOUCHED_SINCE = "SELECT DISTINCT key FROM log WHERE rev > ? AND key > ? AND key < ?"
TOUCHED_SINCE_FROM = TOUCHED_SINCE.replace("key > ?", "key >= ?")
COUNT = "SELECT count(*) FROM current WHERE key >= ? AND key < ?"

# Upper bound for "no upper bound" in key ranges: above every valid code point.
KEY_MAX = "\U0010ffff\U0010ffff"


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with the durability pragmas."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes effect on a new database
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")  # fsync the WAL on every commit: acked = durable
        conn.execute("PRAGMA journal_size_limit = 67108864")  # a WAL left over 64 MiB is cut back
    else:
        conn.execute("PRAGMA query_only = 1")
    # 16 MiB page cache per connection (three connections): the OS page cache holds the rest, and the
    # API server's idle RSS budget is 80 MB.
    conn.execute("PRAGMA cache_size = -16384")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the tables in a new database; refuse one of another layout version or another program,
    before writing anything to it."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "meta" not in tables:
        raise sqlite3.DatabaseError(f"not a kubelite database (it has tables {sorted(tables)[:5]})")
    if "meta" in tables:
        row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"unsupported kubelite schema version {row[0] if row else None} (this build reads {SCHEMA_VERSION})")
    conn.executescript(_TABLES)

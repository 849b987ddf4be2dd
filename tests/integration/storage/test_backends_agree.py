"""Property: SQLite behaves exactly like the memory backend for any sequence of operations.

Hypothesis generates sequences of creates, updates (right and wrong revisions), deletes, gets and
paged lists at past revisions, and compactions; both backends must return the same values and raise
the same errors. The conformance suite checks chosen cases; this searches for the unchosen ones.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubelite.storage.interface import ListResult, Storage, StorageError
from kubelite.storage.memory import MemoryStorage
from kubelite.storage.sqlite import SQLiteConfig, SQLiteStorage

pytestmark = pytest.mark.integration

KEYS = st.sampled_from(["/a", "/a/x", "/a/y", "/b", "/b/z", "/é"])
PREFIXES = st.sampled_from(["", "/", "/a", "/a/", "/b/", "/é"])
OPS = st.one_of(
    st.tuples(st.just("create"), KEYS, st.binary(max_size=8)),
    st.tuples(st.just("update"), KEYS, st.binary(max_size=8), st.integers(-2, 0)),
    st.tuples(st.just("delete"), KEYS, st.booleans()),
    st.tuples(st.just("get"), KEYS, st.integers(0, 12)),
    st.tuples(st.just("list"), PREFIXES, st.integers(0, 3), st.integers(0, 12)),
    st.tuples(st.just("compact"), st.integers(0, 12)),
)


async def apply(s: Storage, op: tuple[Any, ...]) -> object:
    """Run one op; a relative revision ``n`` means ``current - n`` so ops hit live history."""
    cur = await s.current_revision()
    try:
        match op:
            case ("create", key, value):
                return await s.create(key, value)
            case ("update", key, value, delta):
                got = await s.get(key)
                expected = (got.mod_revision if got else 1) + delta
                return await s.update(key, value, expected_revision=expected)
            case ("delete", key, guarded):
                got = await s.get(key)
                return await s.delete(key, expected_revision=got.mod_revision if got and guarded else None)
            case ("get", key, back):
                return await s.get(key, revision=max(cur - back, 1) if back else None)
            case ("list", prefix, limit, back):
                rev = max(cur - back, 1) if back else None
                pages: list[ListResult] = [await s.list(prefix, revision=rev, limit=limit)]
                while pages[-1].more:
                    pages.append(await s.list(prefix, revision=pages[0].revision, limit=limit,
                                              start_after=pages[-1].items[-1].key))
                return [(p.items, p.revision, p.more) for p in pages]
            case ("compact", back):
                await s.compact(max(cur - back, 0))
                return await s.compacted_revision()
    except StorageError as e:
        return type(e).__name__
    raise AssertionError(op)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=30))
def test_sqlite_matches_memory(ops: list[tuple[Any, ...]]) -> None:
    async def run() -> None:
        tmp = Path(tempfile.mkdtemp(prefix="agree-"))
        mem = MemoryStorage()
        sql = SQLiteStorage(SQLiteConfig(str(tmp / "state.db")))
        await mem.start()
        await sql.start()
        try:
            for i, op in enumerate(ops):
                want, got = await apply(mem, op), await apply(sql, op)
                assert got == want, f"op {i} {op}: sqlite {got!r} != memory {want!r}"
        finally:
            await mem.close()
            await sql.close()
            shutil.rmtree(tmp, ignore_errors=True)

    asyncio.run(run())

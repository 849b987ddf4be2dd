"""Property: SQLite and etcd behave exactly like the memory backend for any sequence of operations.

Hypothesis generates sequences of creates, updates (right and wrong revisions), deletes, gets and
paged lists at past revisions, and compactions; every backend must return the same values and raise
the same errors. The conformance suite checks chosen cases; this searches for the unchosen ones.

etcd is shared by the session, so each example works under a fresh key prefix and revisions are
compared relative to the revision the example started at (``base``).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubelite.storage.etcd import EtcdConfig, EtcdStorage
from kubelite.storage.interface import KeyValue, ListResult, Storage, StorageError
from kubelite.storage.memory import MemoryStorage
from kubelite.storage.sqlite import SQLiteConfig, SQLiteStorage
from kubelite.testing.etcd import EtcdCluster

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
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@dataclass
class Subject:
    store: Storage
    prefix: str = ""  # prepended to every key
    base: int = 0  # the revision the example started at

    def kv(self, kv: KeyValue | None) -> KeyValue | None:
        """A result as the memory backend would give it: no prefix, revisions from 0."""
        if kv is None:
            return None
        return replace(kv, key=kv.key[len(self.prefix):], create_revision=kv.create_revision - self.base,
                       mod_revision=kv.mod_revision - self.base)


async def apply(s: Subject, op: tuple[Any, ...]) -> object:
    """Run one op; a relative revision ``n`` means ``current - n`` so ops hit live history."""
    st_ = s.store
    cur = await st_.current_revision() - s.base
    p = s.prefix
    try:
        match op:
            case ("create", key, value):
                return s.kv(await st_.create(p + key, value))
            case ("update", key, value, delta):
                got = await st_.get(p + key)
                expected = (got.mod_revision if got else 1) + delta
                return s.kv(await st_.update(p + key, value, expected_revision=expected))
            case ("delete", key, guarded):
                got = await st_.get(p + key)
                expected = got.mod_revision if got and guarded else None
                return s.kv(await st_.delete(p + key, expected_revision=expected))
            case ("get", key, back):
                return s.kv(await st_.get(p + key, revision=s.base + max(cur - back, 1) if back else None))
            case ("list", prefix, limit, back):
                rev = s.base + max(cur - back, 1) if back else None
                pages: list[ListResult] = [await st_.list(p + prefix, revision=rev, limit=limit)]
                while pages[-1].more:
                    pages.append(await st_.list(p + prefix, revision=pages[0].revision, limit=limit,
                                                start_after=pages[-1].items[-1].key))
                return [([s.kv(kv) for kv in pg.items], pg.revision - s.base, pg.more) for pg in pages]
            case ("compact", back):
                await st_.compact(s.base + max(cur - back, 0))
                return max(await st_.compacted_revision() - s.base, 0)
    except StorageError as e:
        return type(e).__name__
    raise AssertionError(op)


async def history(s: Subject) -> list[tuple[object, ...]]:
    """Every event still kept (from the compacted revision on), as the memory backend would show it."""
    start = max(await s.store.compacted_revision() - s.base, 0)
    n = await s.store.current_revision() - s.base - start
    out: list[tuple[object, ...]] = []
    if n <= 0:
        return out
    watch = s.store.watch(s.prefix, s.base + start)
    async with asyncio.timeout(10):
        async for ev in watch:
            out.append((ev.type, s.kv(ev.kv), s.kv(ev.prev)))
            if len(out) == n:
                break
    await watch.aclose()  # type: ignore[attr-defined]
    return out


async def agree(other: Subject, ops: list[tuple[Any, ...]]) -> None:
    mem = Subject(MemoryStorage())
    await mem.store.start()
    try:
        for i, op in enumerate(ops):
            want, got = await apply(mem, op), await apply(other, op)
            assert got == want, f"op {i} {op}: {type(other.store).__name__} {got!r} != memory {want!r}"
        assert await history(other) == await history(mem)
    finally:
        await mem.store.close()


@SETTINGS
@given(ops=st.lists(OPS, min_size=1, max_size=30))
def test_sqlite_matches_memory(ops: list[tuple[Any, ...]]) -> None:
    async def run() -> None:
        tmp = Path(tempfile.mkdtemp(prefix="agree-"))
        sql = SQLiteStorage(SQLiteConfig(str(tmp / "state.db")))
        await sql.start()
        try:
            await agree(Subject(sql), ops)
        finally:
            await sql.close()
            shutil.rmtree(tmp, ignore_errors=True)

    asyncio.run(run())


@SETTINGS
@given(ops=st.lists(OPS, min_size=1, max_size=30))
def test_etcd_matches_memory(etcd_cluster: EtcdCluster, ops: list[tuple[Any, ...]]) -> None:
    async def run() -> None:
        store = EtcdStorage(EtcdConfig(endpoints=tuple(etcd_cluster.endpoints)))
        await store.start()
        try:
            await agree(Subject(store, f"/agree-{uuid.uuid4().hex[:8]}", await store.current_revision()), ops)
        finally:
            await store.close()

    asyncio.run(run())

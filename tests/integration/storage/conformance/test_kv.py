"""Conformance: create, get, update, delete, revisions, errors. Runs on every backend."""

from __future__ import annotations

import asyncio

import pytest

from kubelite.storage.interface import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
)
from tests.integration.storage.conftest import Harness

pytestmark = pytest.mark.integration


async def test_create_then_get(harness: Harness) -> None:
    s = harness.store
    rev0 = await s.current_revision()
    kv = await s.create(harness.k("a"), b"\x00binary\xff")
    assert kv.create_revision == kv.mod_revision == rev0 + 1
    assert await s.current_revision() == rev0 + 1
    got = await s.get(harness.k("a"))
    assert got is not None
    assert (got.key, got.value, got.mod_revision) == (harness.k("a"), b"\x00binary\xff", rev0 + 1)
    assert await s.get(harness.k("missing")) is None


async def test_create_existing_key_fails(harness: Harness) -> None:
    await harness.store.create(harness.k("a"), b"1")
    with pytest.raises(KeyExistsError):
        await harness.store.create(harness.k("a"), b"2")
    got = await harness.store.get(harness.k("a"))
    assert got is not None and got.value == b"1"


async def test_update_is_compare_and_swap(harness: Harness) -> None:
    s = harness.store
    kv = await s.create(harness.k("a"), b"1")
    kv2 = await s.update(harness.k("a"), b"2", expected_revision=kv.mod_revision)
    assert kv2.mod_revision == kv.mod_revision + 1
    assert kv2.create_revision == kv.create_revision
    with pytest.raises(ConflictError) as err:
        await s.update(harness.k("a"), b"3", expected_revision=kv.mod_revision)
    assert err.value.current.value == b"2"
    assert err.value.current.mod_revision == kv2.mod_revision
    with pytest.raises(KeyNotFoundError):
        await s.update(harness.k("nope"), b"x", expected_revision=1)
    # etcd compares an absent key's mod_revision as 0: that must not turn an update into a create.
    with pytest.raises(KeyNotFoundError):
        await s.update(harness.k("nope"), b"x", expected_revision=0)
    with pytest.raises(KeyNotFoundError):
        await s.delete(harness.k("nope"), expected_revision=0)
    assert await s.get(harness.k("nope")) is None


async def test_delete(harness: Harness) -> None:
    s = harness.store
    kv = await s.create(harness.k("a"), b"v")
    with pytest.raises(ConflictError):
        await s.delete(harness.k("a"), expected_revision=kv.mod_revision + 100)
    gone = await s.delete(harness.k("a"), expected_revision=kv.mod_revision)
    assert gone.value == b"v"
    assert gone.mod_revision == kv.mod_revision + 1
    assert gone.create_revision == kv.create_revision
    assert await s.get(harness.k("a")) is None
    with pytest.raises(KeyNotFoundError):
        await s.delete(harness.k("a"))
    again = await s.create(harness.k("a"), b"w")
    assert again.create_revision == gone.mod_revision + 1


async def test_revisions_are_gap_free_under_concurrency(harness: Harness) -> None:
    s = harness.store
    rev0 = await s.current_revision()
    kvs = await asyncio.gather(*(s.create(harness.k(f"k{i:03}"), b"x") for i in range(50)))
    revs = sorted(kv.mod_revision for kv in kvs)
    assert revs == list(range(rev0 + 1, rev0 + 51))
    assert await s.current_revision() == rev0 + 50


async def test_get_at_past_revision(harness: Harness) -> None:
    s = harness.store
    kv1 = await s.create(harness.k("a"), b"1")
    kv2 = await s.update(harness.k("a"), b"2", expected_revision=kv1.mod_revision)
    gone = await s.delete(harness.k("a"))
    old = await s.get(harness.k("a"), revision=kv1.mod_revision)
    assert old is not None and old.value == b"1"
    mid = await s.get(harness.k("a"), revision=kv2.mod_revision)
    assert mid is not None and mid.value == b"2"
    assert await s.get(harness.k("a"), revision=gone.mod_revision) is None
    assert await s.get(harness.k("a"), revision=kv1.mod_revision - 1) is None
    with pytest.raises(FutureRevisionError):
        await s.get(harness.k("a"), revision=gone.mod_revision + 1000)


async def test_compaction_forgets_old_revisions(harness: Harness) -> None:
    s = harness.store
    kv1 = await s.create(harness.k("a"), b"1")
    kv2 = await s.update(harness.k("a"), b"2", expected_revision=kv1.mod_revision)
    kv3 = await s.update(harness.k("a"), b"3", expected_revision=kv2.mod_revision)
    await s.create(harness.k("b"), b"b")
    await s.compact(kv2.mod_revision)
    assert await s.compacted_revision() >= kv2.mod_revision
    with pytest.raises(CompactedError):
        await s.get(harness.k("a"), revision=kv1.mod_revision)
    at2 = await s.get(harness.k("a"), revision=kv2.mod_revision)
    assert at2 is not None and at2.value == b"2"
    now = await s.get(harness.k("a"))
    assert now is not None and now.mod_revision == kv3.mod_revision
    with pytest.raises(CompactedError):
        await s.list(harness.prefix, revision=kv1.mod_revision)
    page = await s.list(harness.prefix, revision=kv2.mod_revision)
    assert [kv.value for kv in page.items] == [b"2"]


async def test_compaction_keeps_live_keys_and_drops_deleted(harness: Harness) -> None:
    s = harness.store
    a = await s.create(harness.k("a"), b"1")
    b = await s.create(harness.k("b"), b"1")
    await s.delete(harness.k("b"), expected_revision=b.mod_revision)
    rev = await s.current_revision()
    await s.compact(rev)
    got = await s.get(harness.k("a"))
    assert got is not None and got.mod_revision == a.mod_revision
    assert await s.get(harness.k("b")) is None
    assert [kv.key for kv in (await s.list(harness.prefix, revision=rev)).items] == [harness.k("a")]


async def test_ttl_expires_key(harness: Harness) -> None:
    s = harness.store
    kv = await s.create(harness.k("ev"), b"event", ttl=1)
    assert kv.lease == 1
    keep = await s.create(harness.k("keep"), b"x", ttl=1)
    await s.update(harness.k("keep"), b"y", expected_revision=keep.mod_revision)  # no ttl any more
    assert await s.get(harness.k("ev")) is not None
    await harness.pass_time(1.5)

    async def expired() -> bool:
        return await s.get(harness.k("ev")) is None

    from tests.integration.storage.conftest import eventually

    await eventually(expired)
    assert await s.get(harness.k("keep")) is not None


async def test_closed_store_is_unavailable(harness: Harness) -> None:
    from kubelite.storage.interface import UnavailableError

    await harness.store.close()
    with pytest.raises(UnavailableError):
        await harness.store.get(harness.k("a"))
    with pytest.raises(UnavailableError):
        await harness.store.create(harness.k("a"), b"x")


async def test_concurrent_compare_and_swap_loses_no_increment(harness: Harness) -> None:
    """GuaranteedUpdate's loop (get, CAS, retry on conflict) from many tasks at once: with group
    commit, ops in one batch must see the ones before them, or increments would be lost."""
    s, k = harness.store, harness.k
    counters = [k(f"n{i}") for i in range(3)]
    for c in counters:
        await s.create(c, b"0")

    async def bump(key: str, times: int) -> None:
        for _ in range(times):
            while True:
                kv = await s.get(key)
                assert kv is not None
                try:
                    await s.update(key, str(int(kv.value) + 1).encode(), expected_revision=kv.mod_revision)
                    break
                except ConflictError:
                    continue

    await asyncio.gather(*(bump(counters[t % 3], 10) for t in range(12)))
    for c in counters:
        kv = await s.get(c)
        assert kv is not None and int(kv.value) == 40

"""Conformance: ranges, pagination at a fixed revision, counts. Runs on every backend."""

from __future__ import annotations

import pytest

from kubelite.storage.interface import KeyValue, ListResult, Storage
from tests.integration.storage.conftest import Harness

pytestmark = pytest.mark.integration


def keys(items: list[KeyValue]) -> list[str]:
    return [kv.key for kv in items]


async def test_list_is_sorted_and_bounded_by_prefix(harness: Harness) -> None:
    s, k = harness.store, harness.k
    for name in ["b/2", "a", "b/1", "bc", "b/10", "b"]:
        await s.create(k(name), name.encode())
    res = await s.list(k("b/"))
    assert keys(res.items) == [k("b/1"), k("b/10"), k("b/2")]
    assert res.more is False
    assert res.revision == await s.current_revision()
    everything = await s.list(harness.prefix)
    assert keys(everything.items) == sorted(k(n) for n in ["b/2", "a", "b/1", "bc", "b/10", "b"])
    assert await s.count(k("b/")) == 3
    assert await s.count(harness.prefix) == 6
    assert (await s.list(k("zzz/"))).items == []


async def test_list_non_ascii_keys_sort_by_code_point(harness: Harness) -> None:
    s, k = harness.store, harness.k
    names = ["é", "z", "中", "a", "ÿ"]
    for n in names:
        await s.create(k(n), b"x")
    assert keys((await s.list(harness.prefix)).items) == [k(n) for n in sorted(names)]


async def _all_pages(s: Storage, prefix: str, limit: int, revision: int | None = None) -> list[ListResult]:
    pages = [await s.list(prefix, limit=limit, revision=revision)]
    while pages[-1].more:
        pages.append(await s.list(prefix, limit=limit, revision=pages[0].revision,
                                  start_after=pages[-1].items[-1].key))
    return pages


async def test_pagination_reads_one_revision(harness: Harness) -> None:
    s, k = harness.store, harness.k
    kvs = {}
    for i in range(10):
        kvs[i] = await s.create(k(f"p{i:02}"), f"v{i}".encode())
    first = await s.list(harness.prefix, limit=4)
    assert first.more is True and keys(first.items) == [k(f"p{i:02}") for i in range(4)]
    # Writes after the first page must not show in later pages of the same list.
    await s.update(k("p05"), b"changed", expected_revision=kvs[5].mod_revision)
    await s.delete(k("p06"))
    await s.create(k("p045"), b"new")
    await s.create(k("p99"), b"new")
    rest = [first]
    while rest[-1].more:
        rest.append(await s.list(harness.prefix, limit=4, revision=first.revision,
                                 start_after=rest[-1].items[-1].key))
    items = [kv for page in rest for kv in page.items]
    assert keys(items) == [k(f"p{i:02}") for i in range(10)]
    assert [kv.value for kv in items] == [f"v{i}".encode() for i in range(10)]
    assert all(page.revision == first.revision for page in rest)
    assert [len(p.items) for p in rest] == [4, 4, 2]
    # The same list now reflects the writes.
    now = [kv for page in await _all_pages(s, harness.prefix, 3) for kv in page.items]
    assert keys(now) == sorted([k(f"p{i:02}") for i in range(10) if i != 6] + [k("p045"), k("p99")])
    assert {kv.key: kv.value for kv in now}[k("p05")] == b"changed"


async def test_exact_limit_reports_no_more(harness: Harness) -> None:
    s, k = harness.store, harness.k
    for i in range(3):
        await s.create(k(f"x{i}"), b"v")
    res = await s.list(harness.prefix, limit=3)
    assert len(res.items) == 3 and res.more is False
    res = await s.list(harness.prefix, limit=2, start_after=k("x0"))
    assert keys(res.items) == [k("x1"), k("x2")] and res.more is False


async def test_list_at_past_revision(harness: Harness) -> None:
    s, k = harness.store, harness.k
    a = await s.create(k("a"), b"1")
    b = await s.create(k("b"), b"1")
    rev = await s.current_revision()
    await s.update(k("a"), b"2", expected_revision=a.mod_revision)
    await s.delete(k("b"), expected_revision=b.mod_revision)
    await s.create(k("c"), b"1")
    old = await s.list(harness.prefix, revision=rev)
    assert old.revision == rev
    assert [(kv.key, kv.value) for kv in old.items] == [(k("a"), b"1"), (k("b"), b"1")]
    paged = await _all_pages(s, harness.prefix, 1, revision=rev)
    assert [keys(p.items) for p in paged] == [[k("a")], [k("b")]]


async def test_paging_across_a_compaction_is_gone(harness: Harness) -> None:
    s, k = harness.store, harness.k
    for i in range(4):
        await s.create(k(f"g{i}"), b"v")
    first = await s.list(harness.prefix, limit=2)
    kv = await s.create(k("later"), b"v")
    await s.compact(kv.mod_revision)
    from kubelite.storage.interface import CompactedError

    with pytest.raises(CompactedError):
        await s.list(harness.prefix, limit=2, revision=first.revision, start_after=first.items[-1].key)

"""Storage backends against their raw selves, measured in the same run.

SQLite: our backend vs raw ``sqlite3`` statements on a table of its own in the same directory (WAL,
``synchronous=FULL`` too). etcd (a real single-member etcd started here): our backend vs raw aetcd
calls. Memory: vs a plain dict. Rows: creates per second with 1 and 64 in flight, gets per second,
a list of 10,000 ~2.2 KB pods, and watch delivery latency (write call to event received) with 1 and
1,000 watchers on the same prefix, against the write's own acknowledgement latency.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aetcd
import orjson

from bench.harness import Row, percentile, render
from kubelite.storage.etcd import EtcdConfig, EtcdStorage
from kubelite.storage.interface import Storage
from kubelite.storage.memory import MemoryStorage
from kubelite.storage.sqlite import SQLiteConfig, SQLiteStorage
from kubelite.testing.etcd import EtcdCluster

POD = orjson.dumps({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "frontend"},
                 "annotations": {"note": "x" * 900}},
    "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
                             "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}}] * 4},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}] * 3},
})
ROUNDS = 5
BATCH = 300
LIST_N = 10_000

Op = Callable[[int], Awaitable[object]]


async def rate(op: Op, start: int, n: int, in_flight: int) -> float:
    """Operations per second doing ``op(start..start+n)`` with ``in_flight`` concurrent callers."""
    t0 = time.perf_counter()
    if in_flight == 1:
        for i in range(start, start + n):
            await op(i)
    else:
        it = iter(range(start, start + n))

        async def worker() -> None:
            for i in it:
                await op(i)

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    return n / (time.perf_counter() - t0)


async def interleaved(ours: Callable[[int], Awaitable[float]],
                      ref: Callable[[int], Awaitable[float]]) -> tuple[list[float], list[float]]:
    a: list[float] = []
    b: list[float] = []
    for r in range(ROUNDS + 1):
        x, y = await ours(r), await ref(r)
        if r:  # round 0 warms up
            a.append(x)
            b.append(y)
    return a, b


async def rate_rows(name: str, store: Storage, ref_create: Op, ref_get: Op, ref_name: str) -> list[Row]:
    rows = []
    for in_flight in (1, 64):
        async def ours(r: int, f: int = in_flight) -> float:
            return await rate(lambda i: store.create(f"/bench/c{f}/{i:07}", POD), r * BATCH, BATCH, f)

        async def ref(r: int, f: int = in_flight) -> float:
            return await rate(lambda i: ref_create(f * 10_000_000 + i), r * BATCH, BATCH, f)

        a, b = await interleaved(ours, ref)
        rows.append(Row(f"{name}: create, {in_flight} in flight", a, b, unit="ops/s", reference_name=ref_name,
                        lower_is_better=False))

    async def ours_get(r: int) -> float:
        return await rate(lambda i: store.get(f"/bench/c1/{i % BATCH:07}"), 0, 2000, 1)

    async def ref_get_rate(r: int) -> float:
        return await rate(lambda i: ref_get(10_000_000 + i % BATCH), 0, 2000, 1)

    a, b = await interleaved(ours_get, ref_get_rate)
    rows.append(Row(f"{name}: get", a, b, unit="ops/s", reference_name=ref_name, lower_is_better=False))
    return rows


async def list_row(name: str, store: Storage, ref_list: Callable[[], Awaitable[int]], ref_name: str,
                   fill: Callable[[int], Awaitable[object]]) -> Row:
    await rate(fill, 0, LIST_N, 64)  # bounded concurrency: 10,000 at once would time out on etcd
    a: list[float] = []
    b: list[float] = []
    for r in range(ROUNDS + 1):
        t0 = time.perf_counter()
        got = await store.list("/bench/list/")
        t1 = time.perf_counter()
        n = await ref_list()
        t2 = time.perf_counter()
        assert len(got.items) == LIST_N == n, (len(got.items), n)
        if r:
            a.append((t1 - t0) * 1000)
            b.append((t2 - t1) * 1000)
    return Row(f"{name}: list 10,000 pods", a, b, unit="ms", reference_name=ref_name, target=1000,
               target_on="value")


async def paged_row(name: str, store: Storage) -> Row:
    """kubectl's chunked list (limit=500, continue) with a write between pages, so every page after
    the first reads at a past revision; against one unpaged list of the same keys."""
    a: list[float] = []
    b: list[float] = []
    for r in range(ROUNDS + 1):
        t0 = time.perf_counter()
        page = await store.list("/bench/list/", limit=500)
        n = len(page.items)
        while page.more:
            kv = page.items[0]
            await store.update(kv.key, POD, expected_revision=kv.mod_revision)  # no longer in the snapshot
            page = await store.list("/bench/list/", limit=500, revision=page.revision,
                                    start_after=page.items[-1].key)
            n += len(page.items)
        t1 = time.perf_counter()
        full = await store.list("/bench/list/")
        t2 = time.perf_counter()
        assert n == len(full.items) == LIST_N, (n, len(full.items))
        if r:
            a.append((t1 - t0) * 1000)
            b.append((t2 - t1) * 1000)
    return Row(f"{name}: list 10,000 in pages of 500, writes between", a, b, unit="ms",
               reference_name="one unpaged list", target=1000, target_on="value")


async def watch_rows(name: str, store: Storage, watchers: int) -> list[Row]:
    """Latency from calling create to each watcher receiving the event, vs the create's own latency."""
    prefix = f"/bench/watch{watchers}/"
    rev = await store.current_revision()
    sent: dict[str, float] = {}
    lat: list[float] = []
    done = asyncio.Event()
    total = 200 * watchers

    async def follow() -> None:
        async for ev in store.watch(prefix, rev):
            lat.append((time.perf_counter() - sent[ev.kv.key]) * 1000)
            if len(lat) >= total:
                done.set()

    tasks = [asyncio.create_task(follow()) for _ in range(watchers)]
    await asyncio.sleep(0.2)  # let the watches start (not a correctness wait: latency is measured)
    acks: list[float] = []
    for i in range(200):
        key = f"{prefix}{i:05}"
        sent[key] = time.perf_counter()
        await store.create(key, POD)
        acks.append((time.perf_counter() - sent[key]) * 1000)
        await asyncio.sleep(0.002)
    await asyncio.wait_for(done.wait(), 60)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return [
        Row(f"{name}: watch p50, {watchers} watcher(s)", [statistics.median(lat)], [statistics.median(acks)],
            unit="ms", reference_name="create ack p50"),
        Row(f"{name}: watch p99, {watchers} watcher(s)", [percentile(lat, 99)], [percentile(acks, 99)],
            unit="ms", reference_name="create ack p99", target=100, target_on="value"),
    ]


async def bench_sqlite(tmp: Path) -> list[Row]:
    store = SQLiteStorage(SQLiteConfig(str(tmp / "ours" / "state.db")))
    await store.start()
    raw = sqlite3.connect(str(tmp / "raw.db"), isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB)")

    async def raw_create(i: int) -> None:
        raw.execute("INSERT INTO kv VALUES (?, ?)", (f"/bench/raw/{i:08}", POD))

    async def raw_get(i: int) -> None:
        raw.execute("SELECT value FROM kv WHERE key = ?", (f"/bench/raw/{i:08}",)).fetchone()

    async def raw_list() -> int:
        return len(raw.execute("SELECT key, value FROM kv WHERE key >= '/bench/list/' AND key < '/bench/list0'"
                               " ORDER BY key").fetchall())

    async def fill(i: int) -> None:
        await store.create(f"/bench/list/{i:06}", POD)

    try:
        rows = await rate_rows("sqlite", store, raw_create, raw_get, "raw sqlite3, autocommit")
        raw.execute("BEGIN")
        raw.executemany("INSERT INTO kv VALUES (?, ?)", ((f"/bench/list/{i:06}", POD) for i in range(LIST_N)))
        raw.execute("COMMIT")
        rows.append(await list_row("sqlite", store, raw_list, "raw SELECT", fill))
        rows.append(await paged_row("sqlite", store))
        rows += await watch_rows("sqlite", store, 1)
        rows += await watch_rows("sqlite", store, 1000)
        return rows
    finally:
        await store.close()
        raw.close()


async def bench_etcd() -> list[Row]:
    cluster = EtcdCluster(1)
    await asyncio.to_thread(cluster.start)
    store = EtcdStorage(EtcdConfig(endpoints=tuple(cluster.endpoints)))
    host, _, port = cluster.endpoints[0].rpartition(":")
    raw = aetcd.Client(host, int(port), options={"grpc.max_receive_message_length": 256 * 1024 * 1024})
    try:
        await store.start()
        await raw.connect()

        async def raw_create(i: int) -> None:
            await raw.put(f"/bench/raw/{i:08}".encode(), POD)

        async def raw_get(i: int) -> None:
            await raw.get(f"/bench/raw/{i:08}".encode())

        async def raw_list() -> int:
            return len((await raw.get_prefix(b"/bench/list/")).kvs)

        async def fill(i: int) -> None:
            await store.create(f"/bench/list/{i:06}", POD)

        rows = await rate_rows("etcd", store, raw_create, raw_get, "raw aetcd")
        rows.append(await list_row("etcd", store, raw_list, "raw aetcd get_prefix", fill))
        rows.append(await paged_row("etcd", store))
        rows += await watch_rows("etcd", store, 1)
        rows += await watch_rows("etcd", store, 1000)
        return rows
    finally:
        await store.close()
        await raw.close()
        await asyncio.to_thread(cluster.stop)


async def bench_memory() -> list[Row]:
    store = MemoryStorage()
    await store.start()
    ref: dict[str, bytes] = {}

    async def ref_create(i: int) -> None:
        ref[f"/bench/raw/{i:08}"] = POD

    async def ref_get(i: int) -> None:
        ref.get(f"/bench/raw/{i:08}")

    async def ref_list() -> int:
        return len(sorted((k, v) for k, v in ref.items() if k.startswith("/bench/list/")))

    async def fill(i: int) -> None:
        await store.create(f"/bench/list/{i:06}", POD)
        ref[f"/bench/list/{i:06}"] = POD

    try:
        rows = await rate_rows("memory", store, ref_create, ref_get, "dict")
        rows.append(await list_row("memory", store, ref_list, "sorted dict", fill))
        return rows
    finally:
        await store.close()


async def run() -> list[Row]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    try:
        return [*await bench_sqlite(tmp), *await bench_etcd(), *await bench_memory()]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    print(render("storage backends", asyncio.run(run())))


if __name__ == "__main__":
    main()

"""API server throughput and latency on SQLite, each beside the raw storage call it wraps.

A real ``kubelite apiserver`` process (SQLite, HTTPS, keep-alive connections) is driven by an aiohttp
client from this process; the reference is the same operation made directly on an
:class:`~kubelite.storage.sqlite.SQLiteStorage` in this process (no HTTP, no object semantics), measured
in the same run. Rows: create/s, GET/s, update/s, a list of 10,000 pods, watch delivery latency (p99)
with 1,000 concurrent watchers, and the server's idle RSS beside a bare interpreter's.

Run: ``python -m bench.apiserver`` (``--quick`` for smaller counts while developing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.harness import Row, percentile, render
from kubelite.storage.interface import Storage

CONCURRENCY = 16
EVENT_SPACING = 0.1  # seconds between watched writes: 10 events/s, i.e. 10,000 deliveries/s at 1,000 watchers
PODS = "/api/v1/namespaces/default/pods"


def _pod(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "bench"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


_FLOOR_SERVER = """
import ssl, sys
from aiohttp import web
async def h(r): return web.Response(body=b'{"kind":"Pod"}', content_type="application/json")
app = web.Application(); app.router.add_route("*", "/{t:.*}", h)
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), ssl_context=ctx, access_log=None, print=None)
"""


class FloorServer:
    """A bare aiohttp HTTPS server answering a constant body: the machine's HTTP floor right now."""

    def __init__(self, pki: Path) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen([sys.executable, "-c", _FLOOR_SERVER, str(self.port),
                                      str(pki / "apiserver.crt"), str(pki / "apiserver.key")])
        self.url = f"https://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Server:
    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kubelite", "apiserver", "--data-dir", str(data_dir),
             "--listen", f"127.0.0.1:{self.port}", "--max-requests-inflight", "2000", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"https://127.0.0.1:{self.port}"

    async def wait_ready(self, session: aiohttp.ClientSession, ctx: ssl.SSLContext) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("apiserver exited during start-up")
            try:
                async with session.get(self.url + "/readyz", ssl=ctx) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise TimeoutError("apiserver not ready")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise TimeoutError(f"port {port} not listening")


async def _rate(total: int, op: Callable[[int], Awaitable[object]]) -> float:
    """Operations per second running ``op(i)`` for i in range(total) on CONCURRENCY workers."""
    counter = iter(range(total))

    async def worker() -> None:
        for i in counter:
            await op(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return total / (time.perf_counter() - start)


async def _throughput(session: aiohttp.ClientSession, ctx: ssl.SSLContext, url: str, raw: Storage, *,
                      n: int, rounds: int, floor_url: str, backend: str = "sqlite") -> list[Row]:
    body = {i: orjson.dumps(_pod(f"p{i}")) for i in range(n * rounds)}
    headers = {"Content-Type": "application/json"}
    creates: tuple[list[float], list[float]] = ([], [])
    gets: tuple[list[float], list[float]] = ([], [])
    updates: tuple[list[float], list[float]] = ([], [])
    floor: list[float] = []
    for r in range(rounds):
        base = r * n

        async def create(i: int, base: int = base) -> None:
            async with session.post(url + PODS, data=body[base + i], headers=headers, ssl=ctx) as resp:
                assert resp.status == 201, await resp.text()
                await resp.read()

        async def raw_create(i: int, base: int = base) -> None:
            await raw.create(f"/registry/pods/default/p{base + i}", body[base + i])

        creates[0].append(await _rate(n, create))
        creates[1].append(await _rate(n, raw_create))

        async def get(i: int, base: int = base) -> None:
            async with session.get(f"{url}{PODS}/p{base + i % n}", ssl=ctx) as resp:
                assert resp.status == 200
                await resp.read()

        async def raw_get(i: int, base: int = base) -> None:
            kv = await raw.get(f"/registry/pods/default/p{base + i % n}")
            assert kv is not None

        async def floor_get(i: int) -> None:
            async with session.get(f"{floor_url}/api/v1/namespaces/default/pods/p{i}", ssl=ctx) as resp:
                await resp.read()

        gets[0].append(await _rate(2 * n, get))
        gets[1].append(await _rate(2 * n, raw_get))
        floor.append(await _rate(2 * n, floor_get))

        async def update(i: int, base: int = base) -> None:
            patch = orjson.dumps({"metadata": {"labels": {"round": str(i)}}})
            async with session.patch(f"{url}{PODS}/p{base + i}", data=patch, ssl=ctx,
                                     headers={"Content-Type": "application/merge-patch+json"}) as resp:
                assert resp.status == 200, await resp.text()
                await resp.read()

        async def raw_update(i: int, base: int = base) -> None:
            key = f"/registry/pods/default/p{base + i}"
            kv = await raw.get(key)
            assert kv is not None
            await raw.update(key, kv.value, expected_revision=kv.mod_revision)

        updates[0].append(await _rate(n, update))
        updates[1].append(await _rate(n, raw_update))
    return [
        Row(f"create pod ({backend})", creates[0], creates[1], unit="ops/s",
            reference_name=f"raw {backend} create", lower_is_better=False, target=500, target_on="value"),
        Row(f"get pod ({backend})", gets[0], gets[1], unit="ops/s", reference_name=f"raw {backend} get",
            lower_is_better=False, target=2000, target_on="value"),
        Row("get pod vs bare aiohttp HTTPS", gets[0], floor, unit="ops/s",
            reference_name="constant-body aiohttp server", lower_is_better=False),
        Row(f"update pod, merge patch ({backend})", updates[0], updates[1], unit="ops/s",
            reference_name=f"raw {backend} get+update", lower_is_better=False),
    ]


async def _fill(session: aiohttp.ClientSession, ctx: ssl.SSLContext, url: str, raw: Storage, *, have: int,
                want: int) -> None:
    headers = {"Content-Type": "application/json"}

    async def create(i: int) -> None:
        name = f"p{have + i}"
        data = orjson.dumps(_pod(name))
        async with session.post(url + PODS, data=data, headers=headers, ssl=ctx) as resp:
            assert resp.status == 201
            await resp.read()
        if await raw.get(f"/registry/pods/default/{name}") is None:
            await raw.create(f"/registry/pods/default/{name}", data)

    await _rate(want - have, create)


async def _list(session: aiohttp.ClientSession, ctx: ssl.SSLContext, url: str, raw: Storage, *,
                rounds: int, expect: int) -> Row:
    ours: list[float] = []
    ref: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        async with session.get(url + PODS, ssl=ctx) as resp:
            body = await resp.read()
        items = orjson.loads(body)["items"]
        ours.append((time.perf_counter() - start) * 1000)
        assert len(items) >= expect, len(items)
        start = time.perf_counter()
        result = await raw.list("/registry/pods/default/")
        ref.append((time.perf_counter() - start) * 1000)
        assert len(result.items) >= expect
    return Row(f"list {expect:,} pods", ours, ref, unit="ms", reference_name="raw sqlite range",
               target=1000, target_on="value")


async def _watch_latency(ctx: ssl.SSLContext, url: str, token: str, raw: Storage, *, watchers: int,
                         events: int, backend: str = "sqlite") -> Row:
    """Delivery latency from the write's acknowledgement to each watcher's receipt."""
    sent: dict[str, float] = {}
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     headers={"Authorization": f"Bearer {token}"}) as session:
        async with session.get(url + "/api/v1/namespaces/default/configmaps?limit=1", ssl=ctx) as resp:
            rv = (await resp.json())["metadata"]["resourceVersion"]
        ready = 0
        all_ready = asyncio.Event()

        async def watcher() -> None:
            nonlocal ready
            async with session.get(f"{url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}",
                                   ssl=ctx) as resp:
                ready += 1
                if ready == watchers:
                    all_ready.set()
                seen = 0
                async for line in resp.content:
                    now = time.perf_counter()
                    name = orjson.loads(line)["object"]["metadata"]["name"]
                    latencies.append((now - sent[name]) * 1000)
                    seen += 1
                    if seen == events:
                        return

        tasks = [asyncio.create_task(watcher()) for _ in range(watchers)]
        await asyncio.wait_for(all_ready.wait(), 120)
        for i in range(events):
            name = f"w{i}"
            sent[name] = time.perf_counter()
            async with session.post(url + "/api/v1/namespaces/default/configmaps", ssl=ctx,
                                    json={"metadata": {"name": name}}) as resp:
                assert resp.status == 201
            await asyncio.sleep(EVENT_SPACING)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    # Reference: the raw storage watch fan-out to the same number of in-process watchers.
    ref: list[float] = []
    raw_sent: dict[str, float] = {}
    start_rev = await raw.current_revision()

    async def raw_watcher(started: asyncio.Event) -> None:
        seen = 0
        stream = raw.watch("/registry/configmaps/", start_rev)
        started.set()
        async for ev in stream:
            ref.append((time.perf_counter() - raw_sent[ev.kv.key]) * 1000)
            seen += 1
            if seen == events:
                break

    starts = [asyncio.Event() for _ in range(watchers)]
    raw_tasks = [asyncio.create_task(raw_watcher(s)) for s in starts]
    for s in starts:
        await s.wait()
    for i in range(events):
        key = f"/registry/configmaps/default/w{i}"
        raw_sent[key] = time.perf_counter()
        await raw.create(key, b"{}")
        await asyncio.sleep(EVENT_SPACING)
    await asyncio.wait_for(asyncio.gather(*raw_tasks), 120)
    return Row(f"watch delivery p99, {watchers:,} watchers ({backend})", [percentile(latencies, 99)],
               [percentile(ref, 99)], unit="ms", reference_name=f"raw {backend} watch", target=100,
               target_on="value")


async def run(quick: bool) -> list[Row]:
    from kubelite.storage.sqlite import SQLiteConfig, SQLiteStorage

    n, rounds, total, watchers, events = (300, 2, 2000, 200, 20) if quick else (1000, 3, 10_000, 1000, 50)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        raw = SQLiteStorage(SQLiteConfig(str(root / "raw" / "state.db")))
        await raw.start()
        server = Server(root / "server")
        try:
            ctx = ssl.create_default_context()  # the CA is generated by the server at start-up
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            connector = aiohttp.TCPConnector(limit=CONCURRENCY)
            async with aiohttp.ClientSession(connector=connector) as anon:
                await server.wait_ready(anon, ctx)
            await asyncio.sleep(1.0)  # let start-up garbage settle before sampling idle memory
            idle = _rss_kb(server.proc.pid) / 1024
            bare = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(5)")
            await asyncio.sleep(0.5)
            bare_rss = _rss_kb(bare.pid) / 1024
            bare.kill()
            await bare.wait()
            rows = [Row("idle RSS", [idle], [bare_rss], unit="MB", reference_name="bare python3",
                        target=80, target_on="value")]
            token = (root / "server" / "pki" / "admin.token").read_text().strip()
            connector = aiohttp.TCPConnector(limit=CONCURRENCY)
            async with aiohttp.ClientSession(connector=connector,
                                             headers={"Authorization": f"Bearer {token}"}) as session:
                floor_server = FloorServer(root / "server" / "pki")
                try:
                    await _wait_port(floor_server.port)
                    rows += await _throughput(session, ctx, server.url, raw, n=n, rounds=rounds,
                                              floor_url=floor_server.url)
                finally:
                    floor_server.stop()
                await _fill(session, ctx, server.url, raw, have=n * rounds, want=total)
                rows.append(await _list(session, ctx, server.url, raw, rounds=3, expect=total))
            rows.append(await _watch_latency(ctx, server.url, token, raw, watchers=watchers, events=events))
            return rows
        finally:
            server.stop()
            await raw.close()


async def run_etcd(quick: bool) -> list[Row]:
    """Create/get/update and watch delivery again with real etcd (one member) as the datastore; the
    reference is the raw etcd backend on a second, separate member."""
    from kubelite.storage.factory import open_storage
    from kubelite.testing.etcd import EtcdCluster

    n, watchers, events = (200, 200, 20) if quick else (500, 1000, 50)
    server_etcd, raw_etcd = EtcdCluster(size=1), EtcdCluster(size=1)
    await asyncio.to_thread(server_etcd.start)
    try:
        await asyncio.to_thread(raw_etcd.start)
        with tempfile.TemporaryDirectory() as tmp:
            raw = open_storage(raw_etcd.url)
            await raw.start()
            server = Server(Path(tmp) / "server", "--datastore-endpoint", server_etcd.url)
            try:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                async with aiohttp.ClientSession() as anon:
                    await server.wait_ready(anon, ctx)
                token = (Path(tmp) / "server" / "pki" / "admin.token").read_text().strip()
                connector = aiohttp.TCPConnector(limit=CONCURRENCY)
                async with aiohttp.ClientSession(connector=connector,
                                                 headers={"Authorization": f"Bearer {token}"}) as session:
                    floor_server = FloorServer(Path(tmp) / "server" / "pki")
                    try:
                        await _wait_port(floor_server.port)
                        rows = await _throughput(session, ctx, server.url, raw, n=n, rounds=1,
                                                 floor_url=floor_server.url, backend="etcd")
                    finally:
                        floor_server.stop()
                rows = [r for r in rows if "aiohttp" not in r.name]
                rows.append(await _watch_latency(ctx, server.url, token, raw, watchers=watchers, events=events,
                                                 backend="etcd"))
                return rows
            finally:
                server.stop()
                await raw.close()
    finally:
        raw_etcd.stop()
        server_etcd.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller counts (development)")
    parser.add_argument("--no-etcd", action="store_true", help="skip the etcd rows")
    args = parser.parse_args()
    rows = asyncio.run(run(args.quick))
    print(render("API server on SQLite (HTTPS, keep-alive, 16 client connections)", rows), flush=True)
    import shutil

    if not args.no_etcd and shutil.which("etcd"):
        rows = asyncio.run(run_etcd(args.quick))
        print(render("API server on etcd (same client)", rows))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

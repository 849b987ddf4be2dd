"""Reliability: kill -9 under write load loses nothing that was acknowledged, on SQLite and on etcd."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kubelite.storage import open_storage
from kubelite.storage.interface import Storage
from kubelite.testing.etcd import EtcdCluster

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[3]
WRITER = Path(__file__).with_name("load_writer.py")


class Acks:
    """Reads the writer's acknowledgement lines on a thread (the pipe must never fill up)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.created: list[str] = []
        self.counter = 0
        self.ready = threading.Event()
        self._proc = proc
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            kind, _, rest = line.strip().partition(" ")
            if kind == "READY":
                self.ready.set()
            elif kind == "C":
                self.created.append(rest)
            elif kind == "U":
                self.counter = max(self.counter, int(rest))

    def join(self) -> None:
        self._thread.join(timeout=30)


def wait_for(cond: Callable[[], bool], what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def writer_factory() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=30)


def start_writer(url: str, run: str, procs: list[subprocess.Popen[str]],
                 *extra: str) -> tuple[subprocess.Popen[str], Acks]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(WRITER), url, run, *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    procs.append(proc)
    acks = Acks(proc)
    if not acks.ready.wait(60):
        proc.kill()
        pytest.fail(f"writer did not start: {proc.stderr.read() if proc.stderr else ''}")
    return proc, acks


async def verify(store: Storage, run: str, acks: Acks) -> None:
    listed = await store.list(f"/load/{run}/")
    present = {kv.key for kv in listed.items}
    missing = [k for k in acks.created if k not in present]
    assert not missing, f"{len(missing)} acknowledged creates lost, e.g. {missing[:3]}"
    counter = await store.get(f"/load/{run}/counter")
    assert counter is not None and int(counter.value) >= acks.counter


def test_sqlite_writer_killed_under_load_loses_no_acknowledged_write(
        tmp_path: Path, writer_factory: list[subprocess.Popen[str]]) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    run = uuid.uuid4().hex[:8]
    proc, acks = start_writer(url, run, writer_factory)
    wait_for(lambda: len(acks.created) >= 2000 and acks.counter >= 50, "2,000 acknowledged writes")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    acks.join()
    assert len(acks.created) >= 2000

    async def check() -> None:
        store = open_storage(url)
        await store.start()  # the dead writer's lock is gone with it
        try:
            await verify(store, run, acks)
            # Revisions stay gap-free across the crash: one log row for every revision 1..current.
            rev = await store.current_revision()
            conn = sqlite3.connect(f"{tmp_path}/state.db")
            try:
                count, lo, hi = conn.execute("SELECT count(*), min(rev), max(rev) FROM log").fetchone()
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            finally:
                conn.close()
            assert (count, lo, hi) == (rev, 1, rev)
            nxt = await store.create(f"/load/{run}/after", b"x")
            assert nxt.mod_revision == rev + 1
        finally:
            await store.close()

    asyncio.run(check())


def test_sqlite_killed_while_compacting_loses_no_acknowledged_write(
        tmp_path: Path, writer_factory: list[subprocess.Popen[str]]) -> None:
    """Compaction 20 times a second under load (row deletes, incremental vacuum, WAL truncation):
    a kill at any point of it leaves a sound database holding every acknowledged write."""
    url = f"sqlite:///{tmp_path}/state.db"
    run = uuid.uuid4().hex[:8]
    proc, acks = start_writer(url, run, writer_factory, "0.05")
    wait_for(lambda: len(acks.created) >= 2000 and acks.counter >= 300, "2,000 creates and 300 updates")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    acks.join()

    async def check() -> None:
        store = open_storage(url)
        await store.start()
        try:
            await verify(store, run, acks)
            assert await store.compacted_revision() > 0  # compaction really ran before the kill
        finally:
            await store.close()
        conn = sqlite3.connect(f"{tmp_path}/state.db")
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()

    asyncio.run(check())


def test_etcd_killed_under_load_loses_no_acknowledged_write(
        writer_factory: list[subprocess.Popen[str]]) -> None:
    with EtcdCluster(1) as cluster:
        run = uuid.uuid4().hex[:8]
        proc, acks = start_writer(cluster.url, run, writer_factory)
        wait_for(lambda: len(acks.created) >= 1000 and acks.counter >= 20, "1,000 acknowledged writes")
        cluster.kill(0)  # the datastore and ...
        os.kill(proc.pid, signal.SIGKILL)  # ... its client, at once
        proc.wait(timeout=30)
        acks.join()
        cluster.restart(0)

        async def check() -> None:
            store = open_storage(cluster.url)
            await store.start()
            try:
                await verify(store, run, acks)
            finally:
                await store.close()

        asyncio.run(check())

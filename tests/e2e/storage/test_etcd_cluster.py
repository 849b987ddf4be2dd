"""Reliability: a 3-member etcd cluster that loses its leader keeps serving, and nothing is lost."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from kubelite.storage.etcd import EtcdConfig, EtcdStorage
from kubelite.storage.interface import Event, KeyExistsError, UnavailableError
from kubelite.testing.etcd import EtcdCluster

pytestmark = pytest.mark.e2e


async def test_three_members_survive_losing_the_leader() -> None:
    cluster = EtcdCluster(3)
    await asyncio.to_thread(cluster.start)
    store = EtcdStorage(EtcdConfig(endpoints=tuple(cluster.endpoints), timeout=5.0))
    run = uuid.uuid4().hex[:8]
    acked: list[str] = []
    after_kill: list[str] = []
    killed = asyncio.Event()
    stop = asyncio.Event()
    try:
        await store.start()
        start_rev = await store.current_revision()
        watch = store.watch(f"/ha/{run}/", start_rev)
        seen: list[Event] = []

        async def follow() -> None:
            async for ev in watch:
                seen.append(ev)

        async def writer(task: int) -> None:
            n = 0
            while not stop.is_set():
                key = f"/ha/{run}/{task}-{n:05}"
                try:
                    await store.create(key, b"v")
                except KeyExistsError:
                    pass  # an earlier attempt applied before its connection broke
                except UnavailableError:
                    await asyncio.sleep(0.02)
                    continue
                acked.append(key)
                if killed.is_set():
                    after_kill.append(key)
                n += 1

        follower = asyncio.create_task(follow())
        writers = [asyncio.create_task(writer(t)) for t in range(8)]
        deadline = time.monotonic() + 30
        while len(acked) < 300:
            assert time.monotonic() < deadline, "no write progress before the failure"
            await asyncio.sleep(0.02)
        leader = await asyncio.to_thread(cluster.leader_index)
        assert leader is not None
        await asyncio.to_thread(cluster.kill, leader)
        killed.set()
        while len(after_kill) < 300:
            assert time.monotonic() < deadline + 30, f"only {len(after_kill)} writes after losing the leader"
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.gather(*writers)

        listed = await store.list(f"/ha/{run}/")
        present = {kv.key for kv in listed.items}
        assert not [k for k in acked if k not in present]
        # The watch resumed across the failure and saw every write exactly once, in order.
        while len(seen) < len(listed.items):
            assert time.monotonic() < deadline + 60, f"watch saw {len(seen)} of {len(listed.items)}"
            await asyncio.sleep(0.02)
        revs = [e.revision for e in seen]
        assert revs == sorted(set(revs))
        assert {e.kv.key for e in seen} == present
        follower.cancel()

        # The killed member comes back and catches up.
        await asyncio.to_thread(cluster.restart, leader)
        lone = EtcdStorage(EtcdConfig(endpoints=(cluster.members[leader].endpoint,)))
        await lone.start()
        try:
            deadline = time.monotonic() + 30
            while await lone.count(f"/ha/{run}/") < len(present):
                assert time.monotonic() < deadline, "restarted member did not catch up"
                await asyncio.sleep(0.05)
        finally:
            await lone.close()
    finally:
        stop.set()
        await store.close()
        await asyncio.to_thread(cluster.stop)

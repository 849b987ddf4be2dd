"""Leader election: two real candidates against the real API server never lead at once."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from kubelite.client.leaderelection import LeaderElectionConfig, LeaderElector
from kubelite.client.rest import Client
from kubelite.testing.apiserver import RunningApiServer

from .conftest import eventually

pytestmark = pytest.mark.integration

FAST = {"lease_duration": 3.0, "renew_deadline": 2.5, "retry_period": 0.1}


class Candidates:
    """Tracks who is doing leader work, failing if two ever overlap."""

    def __init__(self) -> None:
        self.leading: set[str] = set()
        self.overlaps: list[set[str]] = []
        self.history: list[str] = []
        self.stopped: list[str] = []

    def work(self, identity: str):
        async def lead() -> None:
            if self.leading:
                self.overlaps.append({*self.leading, identity})
            self.leading.add(identity)
            self.history.append(identity)
            try:
                await asyncio.Event().wait()  # lead until cancelled
            finally:
                self.leading.discard(identity)
        return lead


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_two_candidates_one_leader_and_handover_on_release(api: RunningApiServer) -> None:
    seen = Candidates()
    async with Client.from_kubeconfig(api.kubeconfig) as ca, Client.from_kubeconfig(api.kubeconfig) as cb:
        a = LeaderElector(LeaderElectionConfig("ctrl", "default", "a", **FAST), ca,
                          on_started_leading=seen.work("a"), on_stopped_leading=lambda: seen.stopped.append("a"))
        b = LeaderElector(LeaderElectionConfig("ctrl", "default", "b", **FAST), cb,
                          on_started_leading=seen.work("b"), on_stopped_leading=lambda: seen.stopped.append("b"))
        ta = asyncio.create_task(a.run())
        await eventually(lambda: a.is_leader, what="a to lead")
        tb = asyncio.create_task(b.run())
        try:
            await eventually(lambda: b.leader == "a", what="b to observe a")
            # b keeps trying for longer than a lease lasts; a keeps renewing, so b never leads.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 3.5
            while loop.time() < deadline:
                assert not b.is_leader
                await asyncio.sleep(0.05)
            lease = await ca.resource("coordination.k8s.io/v1", "leases").get("ctrl", "default")
            assert lease["spec"]["holderIdentity"] == "a"
            assert lease["spec"]["leaseDurationSeconds"] == 3
            transitions = lease["spec"]["leaseTransitions"]
            await stop(ta)  # shutdown releases the Lease
            assert seen.stopped == ["a"]
            await eventually(lambda: b.is_leader, within=2.5, what="b to take over before the lease expires")
            lease = await ca.resource("coordination.k8s.io/v1", "leases").get("ctrl", "default")
            assert lease["spec"]["holderIdentity"] == "b"
            assert lease["spec"]["leaseTransitions"] == transitions + 1
        finally:
            for t in (ta, tb):
                await stop(t)
    assert seen.overlaps == []
    assert seen.history == ["a", "b"]


async def test_leader_that_cannot_renew_steps_down_before_the_lease_expires(api: RunningApiServer) -> None:
    seen = Candidates()
    async with Client.from_kubeconfig(api.kubeconfig) as c:
        a = LeaderElector(LeaderElectionConfig("sched", "default", "a", **FAST), c,
                          on_started_leading=seen.work("a"), on_stopped_leading=lambda: seen.stopped.append("a"))
        ta = asyncio.create_task(a.run())
        try:
            await eventually(lambda: a.is_leader, what="a to lead")
            # Someone outside the protocol takes the Lease: a's renewals now fail.
            leases = c.resource("coordination.k8s.io/v1", "leases")
            lease = await leases.get("sched", "default")
            lease["spec"]["holderIdentity"] = "intruder"
            lease["spec"]["leaseDurationSeconds"] = 60
            await leases.update(lease)
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            await asyncio.wait_for(ta, 5)  # run() returns once leadership is lost
            assert loop.time() - t0 < FAST["lease_duration"]
            assert not a.is_leader and seen.stopped == ["a"] and seen.leading == set()
            after = await leases.get("sched", "default")
            assert after["spec"]["holderIdentity"] == "intruder", "a must not release a Lease it no longer holds"
        finally:
            await stop(ta)


async def test_config_rejects_unsafe_timings() -> None:
    with pytest.raises(ValueError):
        LeaderElectionConfig("x", "default", "a", lease_duration=5, renew_deadline=5, retry_period=1)
    with pytest.raises(ValueError):
        LeaderElectionConfig("x", "default", "", **FAST)


async def test_failing_leader_work_releases_the_lease_and_raises(api: RunningApiServer) -> None:
    async def crash() -> None:
        raise RuntimeError("controller crashed")

    async with Client.from_kubeconfig(api.kubeconfig) as c:
        a = LeaderElector(LeaderElectionConfig("crashy", "default", "a", **FAST), c, on_started_leading=crash)
        with pytest.raises(RuntimeError, match="controller crashed"):
            await asyncio.wait_for(a.run(), 10)
        lease = await c.resource("coordination.k8s.io/v1", "leases").get("crashy", "default")
        assert lease["spec"]["holderIdentity"] == "", "released for a successor"


async def test_clock_skew_cannot_make_two_leaders(api: RunningApiServer) -> None:
    """The leader's wall clock is five years behind, so every renewTime it writes looks long expired.
    The other candidate times the Lease on its own clock (how long the record stayed unchanged), so it
    still never takes over while the leader renews."""
    from datetime import timedelta

    from kubelite.base.clock import RealClock

    class BehindClock(RealClock):
        def now(self):  # type: ignore[no-untyped-def]
            return super().now() - timedelta(days=5 * 365)

    seen = Candidates()
    async with Client.from_kubeconfig(api.kubeconfig) as c:
        a = LeaderElector(LeaderElectionConfig("skew", "default", "a", **FAST), c,
                          on_started_leading=seen.work("a"), clock=BehindClock())
        b = LeaderElector(LeaderElectionConfig("skew", "default", "b", **FAST), c, on_started_leading=seen.work("b"))
        ta = asyncio.create_task(a.run())
        await eventually(lambda: a.is_leader, what="a to lead")
        tb = asyncio.create_task(b.run())
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + FAST["lease_duration"] + 1.0
            while loop.time() < deadline:
                assert not b.is_leader
                await asyncio.sleep(0.05)
            lease = await c.resource("coordination.k8s.io/v1", "leases").get("skew", "default")
            assert lease["spec"]["renewTime"].startswith(str(a.clock.now().year))
        finally:
            for t in (ta, tb):
                await stop(t)
    assert seen.overlaps == []

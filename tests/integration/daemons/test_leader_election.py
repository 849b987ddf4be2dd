"""Two schedulers against one API server: only the Lease holder binds; when it goes, the other takes
over and binds the next pod."""

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from kubelite.client.errors import NotFoundError
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.daemons.components import ComponentConfig, scheduler
from kubelite.sim.nodes import SimConfig, SimulatedNodes
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


def pod(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


async def test_only_the_leader_schedules_and_a_successor_takes_over(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        await SimulatedNodes(SimConfig(count=1), client=client, informers=InformerFactory(client)).register()
        leases = client.resource("coordination.k8s.io/v1", "leases")
        pods = client.resource("v1", "pods")
        a = asyncio.create_task(scheduler(client, ComponentConfig(identity="sched-a")))
        b = asyncio.create_task(scheduler(client, ComponentConfig(identity="sched-b")))
        try:
            async def holder() -> str:
                try:
                    lease = await leases.get("kube-scheduler", "kube-system")
                except NotFoundError:
                    return ""
                return str(lease["spec"].get("holderIdentity") or "")

            await eventually(holder, "a leader", within=20)
            leader = await holder()
            assert leader in ("sched-a", "sched-b")
            await pods.create(pod("first"))

            async def bound(name: str) -> bool:
                return bool((await pods.get(name, "default"))["spec"].get("nodeName"))

            await eventually(lambda: bound("first"), "the first pod bound", within=20)

            (a if leader == "sched-a" else b).cancel()  # the leader stops and releases its Lease
            successor = "sched-b" if leader == "sched-a" else "sched-a"

            async def taken_over() -> bool:
                return await holder() == successor

            await eventually(taken_over, "the other scheduler leading", within=30)
            await pods.create(pod("second"))
            await eventually(lambda: bound("second"), "the second pod bound by the successor", within=20)
        finally:
            for t in (a, b):
                t.cancel()
            for t in (a, b):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t

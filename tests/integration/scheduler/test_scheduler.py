"""The scheduler against a real in-process API server: nodes and pods through the API, binding through
``pods/binding``, the unschedulable reason on the pod, and rescheduling when a node that fits arrives."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.scheduler.scheduler import Scheduler, SchedulerConfig
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration



async def make_node(client: Client, name: str, cpu: str, pods: str = "110") -> None:
    nodes = client.resource("v1", "nodes")
    node = await nodes.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name,
                               "labels": {"kubernetes.io/hostname": name}}})
    node["status"] = {"capacity": {"cpu": cpu, "memory": "8Gi", "pods": pods},
                      "allocatable": {"cpu": cpu, "memory": "8Gi", "pods": pods},
                      "conditions": [{"type": "Ready", "status": "True"}]}
    await nodes.update_status(node)


def pod(name: str, cpu: str = "100m", owner: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default", "labels": {"app": "kubia"}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "ReplicationController", "name": "kubia",
                                    "uid": owner, "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "c", "image": "busybox",
                                     "resources": {"requests": {"cpu": cpu}}}]}}


@contextlib.asynccontextmanager
async def scheduler_running(client: Client) -> AsyncIterator[Scheduler]:
    factory = InformerFactory(client)
    scheduler = Scheduler(SchedulerConfig(), client=client, informers=factory)
    async with running(factory, scheduler):
        assert await factory.wait_synced(10)
        yield scheduler


async def test_pods_are_bound_spread_and_unschedulable_ones_wait_for_room(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        pods = client.resource("v1", "pods")
        for n in ("node-a", "node-b", "node-c"):
            await make_node(client, n, cpu="1")
        async with scheduler_running(client):
            for i in range(3):
                await pods.create(pod(f"kubia-{i}", owner="rc-1"))

            async def all_bound() -> bool:
                items = (await pods.list("default"))["items"]
                return len(items) == 3 and all(p["spec"].get("nodeName") for p in items)

            await eventually(all_bound, "three pods bound")
            placed = sorted(p["spec"]["nodeName"] for p in (await pods.list("default"))["items"])
            assert placed == ["node-a", "node-b", "node-c"]  # one controller's replicas spread out

            await pods.create(pod("big", cpu="2"))

            async def says_why() -> bool:
                got = await pods.get("big", "default")
                conds = (got.get("status") or {}).get("conditions") or []
                return any(c.get("type") == "PodScheduled" and c.get("status") == "False" for c in conds)

            await eventually(says_why, "the unschedulable condition")
            big = await pods.get("big", "default")
            cond = next(c for c in big["status"]["conditions"] if c["type"] == "PodScheduled")
            assert cond["reason"] == "Unschedulable"
            assert cond["message"] == "0/3 nodes are available: 3 Insufficient cpu."
            assert not big["spec"].get("nodeName")

            await make_node(client, "node-big", cpu="4")

            async def big_bound() -> bool:
                return (await pods.get("big", "default"))["spec"].get("nodeName") == "node-big"

            await eventually(big_bound, "the big pod bound once a node fits")

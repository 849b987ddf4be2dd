"""A node that stops heartbeating is marked Unknown and tainted, its pod is evicted once its toleration
runs out, and the ReplicationController's replacement runs on the healthy node (controllers, scheduler
and simulated nodes on a real in-process API server; a short grace period keeps the test quick)."""

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.nodelifecycle.controller import NodeLifecycleController
from kubelite.controllers.replication.compute import REPLICATION_CONTROLLER
from kubelite.controllers.replication.controller import ReplicationManager
from kubelite.scheduler.scheduler import Scheduler, SchedulerConfig
from kubelite.sim.nodes import SimConfig, SimulatedNodes
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration

RC = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "kubia", "namespace": "default"},
      "spec": {"replicas": 2, "selector": {"app": "kubia"},
               "template": {"metadata": {"labels": {"app": "kubia"}},
                            # Kubernetes gives pods 300 s to survive an unreachable node; ask for 1 s here.
                            "spec": {"containers": [{"name": "kubia", "image": "kubia"}],
                                     "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                                      "effect": "NoExecute", "tolerationSeconds": 1}]}}}}


async def test_silent_node_is_tainted_and_its_pod_replaced(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        healthy = SimulatedNodes(SimConfig(count=1, prefix="healthy-", heartbeat=0.3), client=client,
                                 informers=factory)
        doomed = SimulatedNodes(SimConfig(count=1, prefix="doomed-", heartbeat=0.3), client=client,
                                informers=factory)
        parts = [ReplicationManager(REPLICATION_CONTROLLER, client, factory),
                 Scheduler(SchedulerConfig(), client=client, informers=factory),
                 NodeLifecycleController(client, factory, grace=2.0, monitor_period=0.3)]
        pods = client.resource("v1", "pods")

        async def live_pods() -> list[dict[str, Any]]:
            items = (await pods.list("default", label_selector="app=kubia"))["items"]
            return [p for p in items if not p["metadata"].get("deletionTimestamp")]

        async with running(factory, *parts, healthy, doomed) as tasks:
            doomed_task = tasks[-1]
            await client.resource("v1", "replicationcontrollers").create(RC)

            async def spread_and_running() -> bool:
                live = await live_pods()
                return (len(live) == 2 and all(p["status"].get("phase") == "Running" for p in live)
                        and {p["spec"]["nodeName"] for p in live} == {"healthy-0", "doomed-0"})

            await eventually(spread_and_running, "one pod on each node", within=20)

            doomed_task.cancel()  # the node goes silent: no more Lease renewals
            with contextlib.suppress(asyncio.CancelledError):
                await doomed_task

            async def tainted() -> bool:
                node = await client.resource("v1", "nodes").get("doomed-0")
                keys = {(t["key"], t["effect"]) for t in node["spec"].get("taints") or []}
                return ("node.kubernetes.io/unreachable", "NoExecute") in keys

            await eventually(tainted, "the unreachable taint", within=15)
            node = await client.resource("v1", "nodes").get("doomed-0")
            ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
            assert (ready["status"], ready["reason"]) == ("Unknown", "NodeStatusUnknown")

            async def replaced() -> bool:
                live = await live_pods()
                return (len(live) == 2 and all(p["spec"].get("nodeName") == "healthy-0" for p in live)
                        and all(p["status"].get("phase") == "Running" for p in live))

            await eventually(replaced, "the replacement running on the healthy node", within=20)

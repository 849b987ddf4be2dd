"""Deployments end to end in process: the Deployment and ReplicaSet controllers, the scheduler and
simulated nodes on a real API server. A rollout by changing the image never has fewer than
``replicas - maxUnavailable`` ready pods, finishes with every pod on the new template, and an undo
brings the old ReplicaSet back as the newest revision."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.deployment.controller import DeploymentController
from kubelite.controllers.replication.compute import REPLICA_SET
from kubelite.controllers.replication.controller import ReplicationManager
from kubelite.scheduler.scheduler import Scheduler, SchedulerConfig
from kubelite.sim.nodes import SimConfig, SimulatedNodes
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def cluster(tmp_path: Path) -> AsyncIterator[Client]:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        parts = [ReplicationManager(REPLICA_SET, client, factory), DeploymentController(client, factory),
                 Scheduler(SchedulerConfig(), client=client, informers=factory),
                 SimulatedNodes(SimConfig(count=2, heartbeat=5), client=client, informers=factory)]
        async with running(factory, *parts):
            yield client


def deployment(image: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": image}]}}}}


async def ready_pods(client: Client) -> list[dict[str, Any]]:
    pods = (await client.resource("v1", "pods").list("default", label_selector="app=web"))["items"]
    def ready(pod: dict[str, Any]) -> bool:
        conditions = (pod.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    return [p for p in pods if not p["metadata"].get("deletionTimestamp") and ready(p)]


async def test_rolling_update_keeps_pods_ready_and_undo_restores(tmp_path: Path) -> None:
    async with cluster(tmp_path) as client:
        deployments = client.resource("apps/v1", "deployments")
        await deployments.create(deployment("nginx:1.25"))

        async def rolled_out(image: str) -> bool:
            d = await deployments.get("web", "default")
            s = d.get("status") or {}
            pods = await ready_pods(client)
            return (s.get("observedGeneration", 0) >= d["metadata"].get("generation", 1)
                    and s.get("updatedReplicas") == s.get("availableReplicas") == s.get("replicas") == 3
                    and len(pods) == 3
                    and all(p["spec"]["containers"][0]["image"] == image for p in pods))

        await eventually(lambda: rolled_out("nginx:1.25"), "the first rollout", within=30)

        d = await deployments.get("web", "default")
        d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
        await deployments.update(d)
        lowest = 3
        for _ in range(600):
            lowest = min(lowest, len(await ready_pods(client)))
            if await rolled_out("nginx:1.27"):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the rollout to nginx:1.27 did not finish")
        assert lowest >= 3  # maxUnavailable 25% of 3 rounds down to 0

        replicasets = (await client.resource("apps/v1", "replicasets").list("default"))["items"]
        revisions = sorted((rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
                            rs["spec"]["template"]["spec"]["containers"][0]["image"]) for rs in replicasets)
        assert revisions == [("1", "nginx:1.25"), ("2", "nginx:1.27")]

        # kubectl rollout undo sends the old template back (with empty fields): the old RS returns.
        d = await deployments.get("web", "default")
        old = next(rs for rs in replicasets
                   if rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25")
        template = old["spec"]["template"]
        template["metadata"]["labels"].pop("pod-template-hash")
        template["spec"]["containers"][0]["resources"] = {}
        d["spec"]["template"] = template
        await deployments.update(d)
        await eventually(lambda: rolled_out("nginx:1.25"), "the undo", within=30)
        after = (await client.resource("apps/v1", "replicasets").list("default"))["items"]
        assert len(after) == 2
        back = next(rs for rs in after if rs["metadata"]["name"] == old["metadata"]["name"])
        assert back["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
        assert (await deployments.get("web", "default"))["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"] == "3"

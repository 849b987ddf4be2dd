"""Simulated nodes against a real in-process API server."""

from pathlib import Path

import pytest

from kubelite.client.errors import NotFoundError
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.sim.nodes import SimConfig, SimulatedNodes
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration



async def test_nodes_register_heartbeat_and_run_pods(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        sim = SimulatedNodes(SimConfig(count=3, heartbeat=0.2), client=client, informers=factory)
        async with running(factory, sim):
            nodes = client.resource("v1", "nodes")

            async def registered() -> bool:
                return len((await nodes.list())["items"]) == 3

            await eventually(registered, "three nodes")
            node = await nodes.get("sim-node-1")
            assert node["status"]["allocatable"]["cpu"] == "32"
            assert next(c for c in node["status"]["conditions"] if c["type"] == "Ready")["status"] == "True"

            leases = client.resource("coordination.k8s.io/v1", "leases")

            async def leased() -> bool:
                return len((await leases.list("kube-node-lease"))["items"]) == 3

            await eventually(leased, "three leases")
            first = (await leases.get("sim-node-0", "kube-node-lease"))["spec"]["renewTime"]

            async def renewed() -> bool:
                return (await leases.get("sim-node-0", "kube-node-lease"))["spec"]["renewTime"] != first

            await eventually(renewed, "a lease renewal")

            pods = client.resource("v1", "pods")
            await pods.create({"apiVersion": "v1", "kind": "Pod",
                               "metadata": {"name": "web", "namespace": "default"},
                               "spec": {"nodeName": "sim-node-2",
                                        "containers": [{"name": "web", "image": "nginx:1.27"}]}})

            async def pod_running() -> bool:
                status = (await pods.get("web", "default")).get("status") or {}
                return status.get("phase") == "Running" and bool(status.get("podIP"))

            await eventually(pod_running, "the pod Running")
            status = (await pods.get("web", "default"))["status"]
            assert status["containerStatuses"][0]["ready"] is True
            assert {c["type"] for c in status["conditions"] if c["status"] == "True"} >= {"Ready", "PodScheduled"}

            await pods.delete("web", "default")  # graceful: the node finishes it

            async def gone() -> bool:
                try:
                    await pods.get("web", "default")
                except NotFoundError:
                    return True
                return False

            await eventually(gone, "the pod deleted")

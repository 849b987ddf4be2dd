"""Node registration against a real in-process API server: the Node, its status and its Lease."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from kubelite.client.rest import Client
from kubelite.kubelet.node import LEASE_NAMESPACE, NodeAgent, NodeConfig
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def test_registers_node_and_renews_lease(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        agent = NodeAgent(NodeConfig(name="worker-1", root=str(tmp_path), pod_cidr="10.88.0.0/24",
                                     lease_interval=0.2), client=client)
        task = asyncio.create_task(agent.run())
        try:
            await asyncio.wait_for(agent.registered.wait(), 15)
            node = await client.resource("v1", "nodes").get("worker-1")
            status = node["status"]
            assert status["capacity"]["pods"] == "110"
            assert int(status["capacity"]["cpu"]) >= 1
            assert status["capacity"]["memory"].endswith("Ki")
            assert "ephemeral-storage" in status["allocatable"]
            kinds = {c["type"]: c["status"] for c in status["conditions"]}
            assert kinds["Ready"] == "True"
            assert set(kinds) == {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"}
            assert status["nodeInfo"]["kernelVersion"]
            assert status["nodeInfo"]["containerRuntimeVersion"].startswith("kubelite://")
            assert {a["type"] for a in status["addresses"]} == {"InternalIP", "Hostname"}
            assert node["spec"]["podCIDR"] == "10.88.0.0/24"
            assert node["metadata"]["labels"]["kubernetes.io/hostname"] == "worker-1"

            leases = client.resource("coordination.k8s.io/v1", "leases")
            first = (await leases.get("worker-1", LEASE_NAMESPACE))["spec"]["renewTime"]

            async def renewed() -> bool:
                lease = await leases.get("worker-1", LEASE_NAMESPACE)
                return bool(lease["spec"]["renewTime"] != first)

            await eventually(renewed, "the lease renewed")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        # A restarted agent adopts the existing Node instead of failing.
        again = NodeAgent(NodeConfig(name="worker-1", root=str(tmp_path)), client=client)
        node = await again.register()
        assert node["metadata"]["name"] == "worker-1"


async def test_ready_follows_the_runtime_health(tmp_path: Path) -> None:
    from kubelite.client.informer import InformerFactory
    from kubelite.kubelet.podworker import KubeletConfig, PodWorkers
    from kubelite.runtime.container_errors import RuntimeFailure
    from kubelite.testing.fake_runtime import FakeRuntime

    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        runtime = FakeRuntime({"busybox": {"Cmd": ["sh"]}}, log_dir=str(tmp_path))
        workers = PodWorkers(KubeletConfig(node_name="worker-2", root=str(tmp_path)), client=client,
                             informers=InformerFactory(client), runtime=runtime)
        broken: list[str] = []
        listing = runtime.list_pod_sandboxes

        def list_pod_sandboxes(labels: dict[str, str] | None = None) -> Any:
            if broken:
                raise RuntimeFailure(broken[0])
            return listing(labels)

        runtime.list_pod_sandboxes = list_pod_sandboxes  # type: ignore[method-assign]
        assert await workers.runtime_health() == ""
        agent = NodeAgent(NodeConfig(name="worker-2", root=str(tmp_path), lease_interval=0.2), client=client,
                          health=workers.runtime_health)
        task = asyncio.create_task(agent.run())

        async def ready() -> dict[str, Any]:
            node = await client.resource("v1", "nodes").get("worker-2")
            return next(c for c in node["status"]["conditions"] if c["type"] == "Ready")

        try:
            await asyncio.wait_for(agent.registered.wait(), 15)
            assert (await ready())["status"] == "True"
            broken.append("engine root unreadable")
            await eventually(lambda: _is(ready, "False"), "Ready False while the runtime fails")
            cond = await ready()
            assert cond["reason"] == "KubeletNotReady"
            assert cond["message"] == "container runtime is down: engine root unreadable"
            broken.clear()
            await eventually(lambda: _is(ready, "True"), "Ready again once the runtime answers")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            workers.calls.close()


async def _is(cond: Callable[[], Awaitable[dict[str, Any]]], status: str) -> bool:
    return bool((await cond())["status"] == status)

"""The pod network's control loop on a real in-process API server: the node-ipam controller hands out
pod CIDRs, an agent's pod network waits for its CIDR and moves its engine root onto it, and the routes
follow the Nodes (through the recording kernel: no root needed)."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.nodeipam.controller import NodeIpamConfig, NodeIpamController
from kubelite.kubelet.podnetwork import PodNetwork, PodNetworkConfig, wait_for_pod_cidr
from kubelite.runtime.network.kernel import RecordingKernel
from kubelite.runtime.network.routes import ROUTE_PROTO
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def add_node(client: Client, name: str, ip: str, cidr: str = "") -> None:
    nodes = client.resource("v1", "nodes")
    created = await nodes.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                                  "spec": {"podCIDR": cidr, "podCIDRs": [cidr]} if cidr else {}})
    created["status"] = {"addresses": [{"type": "InternalIP", "address": ip}]}
    await nodes.update_status(created)


async def cidr_of(client: Client, name: str) -> str:
    node: dict[str, Any] = await client.resource("v1", "nodes").get(name)
    return str((node.get("spec") or {}).get("podCIDR", ""))


async def test_cidrs_allocated_routes_follow_and_the_engine_moves(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path / "api") as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        ipam = NodeIpamController(client, factory, NodeIpamConfig("10.244.0.0/16", 24))
        kernel = RecordingKernel()
        net = PodNetwork(PodNetworkConfig(root=str(tmp_path / "engine-a"), node_name="a",
                                          cluster_cidr="10.244.0.0/16"),
                         client=client, informers=factory, kernel=kernel)
        await add_node(client, "a", "10.99.0.2", cidr="10.244.0.0/24")  # its own --pod-cidr: kept, counted
        async with running(factory, ipam):
            await add_node(client, "b", "10.99.0.3")
            assert await asyncio.wait_for(wait_for_pod_cidr(client, "b"), 30) == "10.244.1.0/24"
            await add_node(client, "c", "10.99.0.4")
            await eventually(lambda: _is(cidr_of(client, "c"), "10.244.2.0/24"), "c's pod CIDR", within=30)

            conf = await net.prepare()
            assert (conf.subnet, conf.cluster_cidr) == ("10.244.0.0/24", "10.244.0.0/16")
            saved = json.loads((tmp_path / "engine-a" / "network" / "config.json").read_text())
            assert saved["subnet"] == "10.244.0.0/24" and saved["cluster_cidr"] == "10.244.0.0/16"
            assert "ip daddr != 10.244.0.0/16" in kernel.nft_scripts[-1]  # the table is up before any pod

            def routes() -> dict[str, str]:
                return {r["dst"]: r["gateway"] for r in kernel.routes if r.get("protocol") == ROUTE_PROTO}

            routes_task = asyncio.create_task(net.run())
            try:
                await eventually(lambda: routes() == {"10.244.1.0/24": "10.99.0.3", "10.244.2.0/24": "10.99.0.4"},
                                 "routes to b and c", within=30)
                await client.resource("v1", "nodes").delete("b")
                await eventually(lambda: routes() == {"10.244.2.0/24": "10.99.0.4"}, "b's route removed", within=30)
                await add_node(client, "d", "10.99.0.5")  # b's freed subnet goes to the next node
                await eventually(lambda: routes() == {"10.244.1.0/24": "10.99.0.5", "10.244.2.0/24": "10.99.0.4"},
                                 "d routed on b's old subnet", within=30)
            finally:
                routes_task.cancel()
                await asyncio.gather(routes_task, return_exceptions=True)


async def _is(value: Any, want: str) -> bool:
    return bool(await value == want)


async def test_a_full_range_waits_for_a_deleted_node(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path / "api") as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        ipam = NodeIpamController(client, factory, NodeIpamConfig("10.244.0.0/24", 25))  # room for two
        async with running(factory, ipam):
            for name, ip in (("a", "10.99.0.2"), ("b", "10.99.0.3"), ("c", "10.99.0.4")):
                await add_node(client, name, ip)
            await eventually(lambda: _both(client), "a and b allocated", within=30)
            events = client.resource("v1", "events")

            async def refused() -> bool:
                listing = await events.list("default")
                return any(e.get("reason") == "CIDRNotAvailable" and e["involvedObject"]["name"] == "c"
                           for e in listing.get("items") or [])

            await eventually(refused, "a CIDRNotAvailable event for c", within=30)
            assert await cidr_of(client, "c") == ""
            freed = await cidr_of(client, "a")
            await client.resource("v1", "nodes").delete("a")
            await eventually(lambda: _is(cidr_of(client, "c"), freed), "c given a's subnet", within=30)


async def _both(client: Client) -> bool:
    return {await cidr_of(client, "a"), await cidr_of(client, "b")} == {"10.244.0.0/25", "10.244.0.128/25"}

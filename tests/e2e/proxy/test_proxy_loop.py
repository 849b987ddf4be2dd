"""The proxy component end to end: Service and EndpointSlice objects created through a real in-process
API server become kernel rules in a test network namespace, and real TCP follows them."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.proxy.backend import NftBackend
from kubelite.proxy.rules import ProxyConfig
from kubelite.proxy.service import ServiceProxy
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually
from tests.e2e.proxy.conftest import request, wait_for_servers

pytestmark = pytest.mark.e2e


def endpoint_slice(ips: list[str]) -> dict[str, Any]:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubia-http-abc", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": "kubia-http"}},
            "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips]}


async def test_services_from_the_api_become_forwarding_rules(net: dict[str, Any], tmp_path: Path) -> None:
    node = net["node"]
    await asyncio.to_thread(wait_for_servers, node, ["10.244.0.2", "10.244.0.3"])
    backend = NftBackend(prefix=["ip", "netns", "exec", node])
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        await client.resource("v1", "services").create({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubia-http", "namespace": "default"},
            "spec": {"clusterIP": "10.96.0.20", "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
        slices = client.resource("discovery.k8s.io/v1", "endpointslices")
        await slices.create(endpoint_slice(["10.244.0.2", "10.244.0.3"]))
        factory = InformerFactory(client)
        proxy = ServiceProxy(ProxyConfig(cluster_cidr="10.244.0.0/16"), factory=factory, backend=backend)
        async with running(factory, proxy):
            try:
                async def answers() -> set[str]:
                    return {await asyncio.to_thread(request, node, "10.96.0.20", 80) for _ in range(30)}

                async def both() -> bool:
                    return await answers() == set(net["pods"])

                await eventually(both, "both pods behind the cluster IP", within=20)

                current = await slices.get("kubia-http-abc", "default")
                current["endpoints"] = endpoint_slice(["10.244.0.3"])["endpoints"]
                await slices.update(current)

                async def only_second() -> bool:
                    return await answers() == {net["pods"][1]}

                await eventually(only_second, "only the remaining endpoint", within=20)
            finally:
                await backend.cleanup()

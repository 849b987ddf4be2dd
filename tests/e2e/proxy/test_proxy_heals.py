"""A table deleted by hand under a running proxy is put back within one resync period, with no change
to any Service: the proxy notices from the table listing, not from an event."""

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
from tests.e2e.proxy.conftest import request, sh, wait_for_servers
from tests.e2e.proxy.test_proxy_loop import endpoint_slice

pytestmark = pytest.mark.e2e


async def test_deleted_table_comes_back(net: dict[str, Any], tmp_path: Path) -> None:
    node = net["node"]
    await asyncio.to_thread(wait_for_servers, node, ["10.244.0.2", "10.244.0.3"])
    backend = NftBackend(prefix=["ip", "netns", "exec", node])
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        await client.resource("v1", "services").create({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubia-http", "namespace": "default"},
            "spec": {"clusterIP": "10.96.0.20", "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
        await client.resource("discovery.k8s.io/v1", "endpointslices").create(
            endpoint_slice(["10.244.0.2", "10.244.0.3"]))
        factory = InformerFactory(client)
        proxy = ServiceProxy(ProxyConfig(cluster_cidr="10.244.0.0/16"), factory=factory, backend=backend,
                             resync=0.5)
        async with running(factory, proxy):
            try:
                async def served() -> bool:
                    return (await asyncio.to_thread(request, node, "10.96.0.20", 80)).startswith("kl-pod")

                await eventually(served, "the cluster IP served", within=30)
                syncs = proxy.syncs
                await asyncio.to_thread(sh, "ip", "netns", "exec", node, "nft", "delete", "table", "ip", "kubelite")
                await eventually(served, "the cluster IP served again after the table was deleted", within=30)
                assert proxy.syncs > syncs  # a full replace, found by the periodic check (no event)
            finally:
                await backend.cleanup()

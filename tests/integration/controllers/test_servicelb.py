"""LoadBalancer Services get ingress IPs from the local pool through the real API server."""

from pathlib import Path

import pytest

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.servicelb.controller import ServiceLB
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def test_load_balancers_get_distinct_pool_addresses(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        lb = ServiceLB(client, factory, pool="127.0.0.240-127.0.0.241")
        services = client.resource("v1", "services")
        async with running(factory, lb):
            for name in ("kubia-http", "web", "third"):
                await services.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                                       "spec": {"type": "LoadBalancer", "selector": {"app": name},
                                                "ports": [{"port": 80, "targetPort": 8080}]}}, "default")

            async def ips() -> list[str]:
                out = []
                for name in ("kubia-http", "web"):
                    svc = await services.get(name, "default")
                    out += [i["ip"] for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get(
                        "ingress") or []]
                return sorted(out)

            async def both() -> bool:
                return len(await ips()) == 2

            await eventually(both, "two load-balancer IPs")
            assert await ips() == ["127.0.0.240", "127.0.0.241"]
            third = await services.get("third", "default")
            assert not (third.get("status") or {}).get("loadBalancer", {}).get("ingress")

"""``kubelite server --cluster-dns``: DNS on a kernel-picked port, published as the kube-dns Service at
10.96.0.10 whose Endpoints and EndpointSlice carry that real port; the server answers for kube-dns."""

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from dnslib import DNSRecord

from kubelite.apiserver.config import ApiServerConfig
from kubelite.client.rest import Client
from kubelite.daemons.apiserver import ServerConfig
from kubelite.daemons.server import AllInOneConfig, run_server
from kubelite.dns.server import DNSConfig
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def test_server_publishes_its_dns_as_kube_dns(tmp_path: Path) -> None:
    config = AllInOneConfig(ServerConfig(ApiServerConfig(data_dir=tmp_path, port=0), datastore="memory://"),
                            controllers=False, scheduler=False,
                            dns=DNSConfig(listen="127.0.0.1", port=0, upstreams=[]))
    started = asyncio.Event()
    server = asyncio.create_task(run_server(config, started=started))
    try:
        await eventually(lambda: started.is_set() or server.done(), "the server started", within=30)
        assert not server.done(), server.exception() if server.done() else ""
        async with Client.from_kubeconfig(tmp_path / "kubeconfig") as client:
            slices = client.resource("discovery.k8s.io/v1", "endpointslices")

            found: list[dict[str, Any]] = []

            async def published() -> bool:
                found[:] = (await slices.list("kube-system",
                                              label_selector="kubernetes.io/service-name=kube-dns"))["items"]
                return bool(found)

            await eventually(published, "the kube-dns EndpointSlice", within=30)
            (sl,) = found
            assert sl["endpoints"][0]["addresses"] == ["127.0.0.1"]
            (port,) = {p["port"] for p in sl["ports"]}
            assert port != 53 and {p["protocol"] for p in sl["ports"]} == {"UDP", "TCP"}
            svc = await client.resource("v1", "services").get("kube-dns", "kube-system")
            assert svc["spec"]["clusterIP"] == "10.96.0.10"
            ep = await client.resource("v1", "endpoints").get("kube-dns", "kube-system")
            assert {p["port"] for p in ep["subsets"][0]["ports"]} == {port}

            async def answers() -> bool:
                raw = await asyncio.to_thread(DNSRecord.question("kube-dns.kube-system.svc.cluster.local", "A").send,
                                              "127.0.0.1", port, False, 3)
                return [str(rr.rdata) for rr in DNSRecord.parse(raw).rr] == ["10.96.0.10"]

            await eventually(answers, "kube-dns resolving to 10.96.0.10", within=30)
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server

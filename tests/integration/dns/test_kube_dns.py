"""The kube-dns Service the server publishes: a selectorless Service at 10.96.0.10 whose Endpoints and
EndpointSlice name where DNS really listens, kept true when the port changes, and resolvable itself."""

import asyncio
from pathlib import Path

import pytest
from dnslib import DNSRecord

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.dns.component import ClusterDNS
from kubelite.dns.kube_dns import KubeDNS, ensure
from kubelite.dns.server import DNSConfig
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def test_kube_dns_points_at_the_server_and_follows_its_port(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        svc = await ensure(client, KubeDNS("10.96.0.10", "192.0.2.7", 40053))
        assert svc["spec"]["clusterIP"] == "10.96.0.10" and "selector" not in svc["spec"]
        assert {(p["name"], p["protocol"], p["port"]) for p in svc["spec"]["ports"]} == {
            ("dns", "UDP", 53), ("dns-tcp", "TCP", 53)}
        ep = await client.resource("v1", "endpoints").get("kube-dns", "kube-system")
        assert ep["subsets"][0]["addresses"] == [{"ip": "192.0.2.7"}]
        slices = client.resource("discovery.k8s.io/v1", "endpointslices")
        (sl,) = (await slices.list("kube-system", label_selector="kubernetes.io/service-name=kube-dns"))["items"]
        assert {p["port"] for p in sl["ports"]} == {40053}
        assert sl["metadata"]["ownerReferences"][0]["uid"] == svc["metadata"]["uid"]

        # A restarted server on another port: the same objects, updated in place.
        await ensure(client, KubeDNS("10.96.0.10", "192.0.2.7", 40054))
        await ensure(client, KubeDNS("10.96.0.10", "192.0.2.7", 40054))  # idempotent
        (sl,) = (await slices.list("kube-system", label_selector="kubernetes.io/service-name=kube-dns"))["items"]
        assert {p["port"] for p in sl["ports"]} == {40054}
        ep = await client.resource("v1", "endpoints").get("kube-dns", "kube-system")
        assert {p["port"] for p in ep["subsets"][0]["ports"]} == {40054}

        factory = InformerFactory(client)
        dns = ClusterDNS(DNSConfig(port=0, upstreams=[]), factory=factory)
        async with running(factory, dns):
            await eventually(dns.started.is_set, "the DNS server listening")
            raw = await asyncio.to_thread(DNSRecord.question("kube-dns.kube-system.svc.cluster.local", "A").send,
                                          "127.0.0.1", dns.server.port, False, 3)
            assert [str(rr.rdata) for rr in DNSRecord.parse(raw).rr] == ["10.96.0.10"]

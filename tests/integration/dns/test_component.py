"""Cluster DNS fed by a real in-process API server: a Service created through the API resolves, and
its change is seen without a restart."""

import asyncio
from pathlib import Path

import pytest
from dnslib import RCODE, DNSRecord

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.dns.component import ClusterDNS
from kubelite.dns.server import DNSConfig
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def ask(port: int, name: str) -> DNSRecord:
    raw = await asyncio.to_thread(DNSRecord.question(name, "A").send, "127.0.0.1", port, False, 3)
    return DNSRecord.parse(raw)


async def test_services_resolve_and_follow_changes(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        services = client.resource("v1", "services")
        await services.create({"apiVersion": "v1", "kind": "Service",
                               "metadata": {"name": "kubia-http", "namespace": "default"},
                               "spec": {"clusterIP": "10.96.0.20", "ports": [{"port": 80}]}})
        factory = InformerFactory(client)
        dns = ClusterDNS(DNSConfig(port=0, upstreams=[]), factory=factory)
        async with running(factory, dns):
            await eventually(lambda: dns.server.listening, "the DNS server listening")
            reply = await ask(dns.server.port, "kubia-http.default.svc.cluster.local")
            assert [str(rr.rdata) for rr in reply.rr] == ["10.96.0.20"]

            await services.create({"apiVersion": "v1", "kind": "Service",
                                   "metadata": {"name": "redis-master", "namespace": "default"},
                                   "spec": {"clusterIP": "10.96.0.30", "ports": [{"port": 6379}]}})

            async def resolves() -> bool:
                r = await ask(dns.server.port, "redis-master.default.svc.cluster.local")
                return r.header.rcode == RCODE.NOERROR and [str(rr.rdata) for rr in r.rr] == ["10.96.0.30"]

            await eventually(resolves, "the new service resolving")

"""The DNS server over real UDP and TCP on loopback, forwarding to a second server as its upstream."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from dnslib import RCODE, DNSRecord

from kubelite.dns.records import build_zone
from kubelite.dns.server import DNSConfig, DNSServer

pytestmark = pytest.mark.integration

SERVICES = [
    {"metadata": {"name": "kubia-http", "namespace": "default"},
     "spec": {"clusterIP": "10.96.0.20", "ports": [{"name": "http", "port": 80}]}},
    {"metadata": {"name": "web", "namespace": "default"},
     "spec": {"type": "ExternalName", "externalName": "www.upstream.test"}},
]
UPSTREAM = [{"metadata": {"name": "www", "namespace": "x"}, "spec": {"clusterIP": "192.0.2.7"}}]


@pytest.fixture
async def servers() -> AsyncIterator[tuple[int, int]]:
    # The "upstream" is another instance serving upstream.test as its zone, so forwarding is real.
    upstream_zone = build_zone(UPSTREAM, {}, domain="upstream.test")
    upstream_zone.names["www.upstream.test."] = upstream_zone.names.pop("www.x.svc.upstream.test.")
    upstream = DNSServer(DNSConfig(port=0, upstreams=[]), lambda: upstream_zone)
    await upstream.start()
    cluster_zone = build_zone(SERVICES, {})
    cluster = DNSServer(DNSConfig(port=0, upstreams=[f"127.0.0.1#{upstream.port}"]), lambda: cluster_zone)
    await cluster.start()
    try:
        yield cluster.port, upstream.port
    finally:
        await cluster.close()
        await upstream.close()


async def ask(port: int, name: str, qtype: str = "A", tcp: bool = False) -> DNSRecord:
    raw = await asyncio.to_thread(DNSRecord.question(name, qtype).send, "127.0.0.1", port, tcp, 3)
    return DNSRecord.parse(raw)


async def test_cluster_names_over_udp_and_tcp(servers: tuple[int, int]) -> None:
    port, _ = servers
    for tcp in (False, True):
        reply = await ask(port, "kubia-http.default.svc.cluster.local", tcp=tcp)
        assert reply.header.rcode == RCODE.NOERROR and reply.header.aa
        assert [str(rr.rdata) for rr in reply.rr] == ["10.96.0.20"]
    missing = await ask(port, "nope.default.svc.cluster.local")
    assert missing.header.rcode == RCODE.NXDOMAIN


async def test_other_names_are_forwarded_and_cnames_chased(servers: tuple[int, int]) -> None:
    port, _ = servers
    forwarded = await ask(port, "www.upstream.test")
    assert [str(rr.rdata) for rr in forwarded.rr] == ["192.0.2.7"]
    chased = await ask(port, "web.default.svc.cluster.local")
    assert [str(rr.rdata) for rr in chased.rr] == ["www.upstream.test.", "192.0.2.7"]


async def test_no_upstream_answers_servfail_and_garbage_is_ignored() -> None:
    zone = build_zone([], {})
    server = DNSServer(DNSConfig(port=0, upstreams=["127.0.0.1#9"], upstream_timeout=0.3), lambda: zone)
    await server.start()
    try:
        reply = await ask(server.port, "debian.org")
        assert reply.header.rcode == RCODE.SERVFAIL
        assert await server.answer(b"\x00garbage") is None
    finally:
        await server.close()

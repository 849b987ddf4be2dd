"""Kernel behaviour of two per-service options, in the test's node namespace: sessionAffinity ClientIP
keeps one client on one endpoint (per-endpoint timeout sets), and with externalTrafficPolicy Local the
node's own requests to its node port still get answers."""

import asyncio
from typing import Any

import pytest

from kubelite.proxy.backend import NftBackend
from kubelite.proxy.model import service_ports
from kubelite.proxy.rules import ProxyConfig, compute
from tests.e2e.proxy.conftest import request, wait_for_servers

pytestmark = pytest.mark.e2e


def service(**spec: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    svc = {"metadata": {"name": "kubia-http", "namespace": "default"},
           "spec": {"type": "NodePort", "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080}], **spec}}
    sl = {"addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
          "endpoints": [{"addresses": ["10.244.0.2"], "nodeName": "node-a", "conditions": {"ready": True}},
                        {"addresses": ["10.244.0.3"], "nodeName": "node-b", "conditions": {"ready": True}}]}
    return svc, sl


def program(node: str, backend: NftBackend, **spec: Any) -> None:
    svc, sl = service(**spec)
    cfg = ProxyConfig(cluster_cidr="10.244.0.0/16", node_name="node-a")
    asyncio.run(backend.sync(compute(service_ports(svc, [sl]), cfg)))


def test_client_ip_affinity_and_local_traffic_policy(net: dict[str, Any]) -> None:
    node, pods = net["node"], net["pods"]
    wait_for_servers(node, ["10.244.0.2", "10.244.0.3"])
    backend = NftBackend(prefix=["ip", "netns", "exec", node])
    try:
        program(node, backend, sessionAffinity="ClientIP",
                sessionAffinityConfig={"clientIP": {"timeoutSeconds": 300}})
        seen = {request(node, "10.96.0.20", 80) for _ in range(30)}
        assert len(seen) == 1 and seen <= set(pods), seen  # one client, one endpoint

        # Local policy: the node's own requests (127.0.0.1 here) cannot keep their source address (the
        # pod would answer its own loopback), so they take the cluster-wide path, masqueraded, as with
        # kube-proxy; this used to time out. (Outside clients reaching only local endpoints is unit-tested.)
        program(node, backend, externalTrafficPolicy="Local")
        for target in (("127.0.0.1", 30080), ("10.96.0.20", 80)):
            seen: set[str] = set()
            for _ in range(60):
                seen.add(request(node, *target))
                if seen == set(pods):
                    break
            assert seen == set(pods), (target, seen)
    finally:
        asyncio.run(backend.cleanup())

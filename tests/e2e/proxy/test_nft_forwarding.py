"""Real kernel forwarding: the computed rules loaded into a network namespace this test creates.

Topology (all inside namespaces made here, torn down at the end):
    node netns: bridge 10.244.0.1/24, route to the service range, our nft table
    pod netns x2: veth on the bridge, 10.244.0.2 and .3, each running a tiny TCP server that
    answers its own name
Requests go from the node namespace to the cluster IP and to a node port on 127.0.0.1.
"""

import asyncio
from typing import Any

import pytest

from kubelite.proxy.backend import NftBackend
from kubelite.proxy.model import service_ports
from kubelite.proxy.rules import ProxyConfig, compute
from tests.e2e.proxy.conftest import request, sh, wait_for_servers

pytestmark = pytest.mark.e2e


def service(ips: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    svc = {"metadata": {"name": "kubia-http", "namespace": "default"},
           "spec": {"type": "NodePort", "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080}]}}
    sl = {"addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
          "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips]}
    return svc, sl


def test_cluster_ip_and_node_port_forward_through_the_kernel(net: dict[str, Any]) -> None:
    node = net["node"]
    wait_for_servers(node, ["10.244.0.2", "10.244.0.3"])
    backend = NftBackend(prefix=["ip", "netns", "exec", node])
    cfg = ProxyConfig(cluster_cidr="10.244.0.0/16")

    svc, sl = service(["10.244.0.2", "10.244.0.3"])
    assert asyncio.run(backend.sync(compute(service_ports(svc, [sl]), cfg)))
    seen = {request(node, "10.96.0.20", 80) for _ in range(40)}
    assert seen == set(net["pods"]), seen
    via_node_port = {request(node, "127.0.0.1", 30080) for _ in range(40)}
    assert via_node_port == set(net["pods"]), via_node_port

    # Scale down to one endpoint: an incremental update, and only that pod answers.
    svc, sl = service(["10.244.0.2"])
    assert asyncio.run(backend.sync(compute(service_ports(svc, [sl]), cfg)))
    assert {request(node, "10.96.0.20", 80) for _ in range(20)} == {net["pods"][0]}

    # No endpoints: the connection is refused at once rather than hanging.
    svc, sl = service([])
    asyncio.run(backend.sync(compute(service_ports(svc, [sl]), cfg)))
    assert request(node, "10.96.0.20", 80).startswith("error:")

    listed = sh("ip", "netns", "exec", node, "nft", "list", "tables").stdout
    assert "table ip kubelite" in listed
    asyncio.run(backend.cleanup())
    assert "kubelite" not in sh("ip", "netns", "exec", node, "nft", "list", "tables").stdout

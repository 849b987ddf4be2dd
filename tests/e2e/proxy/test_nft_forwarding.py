"""Real kernel forwarding: the computed rules loaded into a network namespace this test creates.

Topology (all inside namespaces made here, torn down at the end):
    node netns: bridge 10.244.0.1/24, route to the service range, our nft table
    pod netns x2: veth on the bridge, 10.244.0.2 and .3, each running a tiny TCP server that
    answers its own name
Requests go from the node namespace to the cluster IP and to a node port on 127.0.0.1.
"""

import asyncio
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kubelite.proxy.backend import NftBackend
from kubelite.proxy.model import service_ports
from kubelite.proxy.rules import ProxyConfig, compute

pytestmark = pytest.mark.e2e

SERVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(64)
while True:
    c, _ = s.accept(); c.sendall(sys.argv[1].encode()); c.close()
"""

CLIENT = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
print(s.recv(100).decode())
"""


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=30)


@pytest.fixture
def net() -> Iterator[dict[str, Any]]:
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: install iproute2 and nftables (make test does)")
    tag = uuid.uuid4().hex[:6]
    node, pods = f"kl-node-{tag}", [f"kl-pod{i}-{tag}" for i in (1, 2)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for ns in (node, *pods):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", node, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", node, "addr", "add", "10.244.0.1/24", "dev", "br0")
        sh("ip", "-n", node, "link", "set", "br0", "up")
        sh("ip", "-n", node, "route", "add", "10.96.0.0/12", "dev", "br0")
        sh("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1")
        for i, ns in enumerate(pods, start=2):
            sh("ip", "link", "add", f"v{tag}{i}", "netns", node, "type", "veth", "peer", "eth0", "netns", ns)
            sh("ip", "-n", node, "link", "set", f"v{tag}{i}", "master", "br0", "up")
            sh("ip", "-n", ns, "addr", "add", f"10.244.0.{i}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "route", "add", "default", "via", "10.244.0.1")
            procs.append(subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", SERVER, ns]))
        yield {"node": node, "pods": pods}
    finally:
        for p in procs:
            p.kill()
            p.wait()
        for ns in (node, *pods):
            sh("ip", "netns", "del", ns, check=False)


def request(node: str, ip: str, port: int) -> str:
    out = sh("ip", "netns", "exec", node, sys.executable, "-c", CLIENT, ip, str(port), check=False)
    return out.stdout.strip() if out.returncode == 0 else f"error: {out.stderr.strip()[-200:]}"


def wait_for_servers(node: str, ips: list[str]) -> None:
    deadline = time.monotonic() + 10
    for ip in ips:
        while not request(node, ip, 8080).startswith("kl-pod"):
            if time.monotonic() > deadline:
                pytest.fail(f"pod server on {ip} never answered")


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

"""Pods reaching a service whose endpoints share their bridge, itself included (hairpin), with the
host's ``br_netfilter`` on and off (a fresh Debian has it off; Docker turns it on).

Without masquerading the bridge's own subnet, the endpoint would answer straight over the bridge, past
the host's conntrack, from its pod IP instead of the service IP, and the connection would hang; with
``br_netfilter`` on, the DNAT happens at the bridge layer and a pod reaching itself needs hairpin on its
port. Topology from ``conftest.net``; the per-namespace sysctl is set in the test's node namespace only.
"""

import asyncio
import sys
from typing import Any

import pytest

from kubelite.proxy.backend import NftBackend
from kubelite.proxy.model import service_ports
from kubelite.proxy.rules import ProxyConfig, compute
from tests.e2e.proxy.conftest import CLIENT, sh, wait_for_servers
from tests.e2e.proxy.test_nft_forwarding import service

pytestmark = pytest.mark.e2e


def from_pod(pod: str, ip: str, port: int) -> str:
    out = sh("ip", "netns", "exec", pod, sys.executable, "-c", CLIENT, ip, str(port), check=False)
    return out.stdout.strip() if out.returncode == 0 else f"error: {out.stderr.strip()[-200:]}"


def test_same_bridge_and_hairpin(net: dict[str, Any]) -> None:
    """Off always; on too when the host has br_netfilter loaded (the sysctl is per namespace then). A
    host without the module is exactly the "off" case, so nothing is loaded here."""
    node = net["node"]
    modes = ["0", "1"] if sh("ip", "netns", "exec", node, "sysctl", "-n", "net.bridge.bridge-nf-call-iptables",
                             check=False).returncode == 0 else ["0"]
    for mode in modes:
        if len(modes) == 2:  # the module is there: choose the mode in this namespace
            sh("ip", "netns", "exec", node, "sysctl", "-qw", f"net.bridge.bridge-nf-call-iptables={mode}")
        _check_same_bridge_and_hairpin(net, mode)


def _check_same_bridge_and_hairpin(net: dict[str, Any], mode: str) -> None:
    node, pods = net["node"], net["pods"]
    for port in sh("ip", "-n", node, "-o", "link", "show", "master", "br0").stdout.splitlines():
        veth = port.split(":")[1].strip().split("@")[0]
        sh("ip", "-n", node, "link", "set", veth, "type", "bridge_slave", "hairpin", "on")  # as the engine does
    wait_for_servers(node, ["10.244.0.2", "10.244.0.3"])
    backend = NftBackend(prefix=["ip", "netns", "exec", node])
    cfg = ProxyConfig(cluster_cidr="10.244.0.0/16", local_subnet="10.244.0.0/24")
    try:
        svc, sl = service(["10.244.0.2", "10.244.0.3"])
        asyncio.run(backend.sync(compute(service_ports(svc, [sl]), cfg)))
        # From the first pod: both endpoints answer, the other pod and the pod itself (hairpin).
        seen: set[str] = set()
        for _ in range(60):
            seen.add(from_pod(pods[0], "10.96.0.20", 80))
            if seen == set(pods):
                break
        assert seen == set(pods), (mode, seen)
        # Through the node port on the node's bridge address too.
        seen = {from_pod(pods[1], "10.244.0.1", 30080) for _ in range(40)}
        assert seen == set(pods), (mode, seen)
    finally:
        asyncio.run(backend.cleanup())

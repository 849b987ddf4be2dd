"""The VXLAN backend with real processes: two agents whose InternalIPs sit on different subnets behind a
router namespace (no shared L2 segment, so host-gw routes cannot work), ``--network-backend vxlan``.
A pod on node-a reaches a pod on node-b by pod IP, unmasqueraded, through each node's overlay device,
and through a Service's ClusterIP."""

from __future__ import annotations

import json
from ipaddress import ip_address, ip_network

import pytest

from kubelite.runtime.network.routes import ROUTE_PROTO
from kubelite.runtime.network.vxlan import device_name, vtep_mac
from tests.e2e.multinode.conftest import MultiNode, Node
from tests.e2e.multinode.test_pod_network import pod_cidr, ready_ip, run_client, web

pytestmark = pytest.mark.e2e


def overlay_routes(node: Node) -> dict[str, tuple[str, str]]:
    routes = json.loads(node.ip_cmd("-j", "route", "show", "proto", ROUTE_PROTO) or "[]")
    return {r["dst"]: (r.get("gateway", ""), r.get("dev", "")) for r in routes}


def test_pods_reach_each_other_across_a_router_through_vxlan(multinode_vxlan: MultiNode) -> None:
    cluster = multinode_vxlan
    a, b = cluster.nodes.values()
    assert ip_network(f"{a.ip}/24", strict=False) != ip_network(f"{b.ip}/24", strict=False)
    cidr_a = cluster.wait_for("node-a's pod CIDR", lambda: pod_cidr(cluster, a))
    cidr_b = cluster.wait_for("node-b's pod CIDR", lambda: pod_cidr(cluster, b))
    dev_a = device_name(a.bridge)
    vtep_b = str(ip_network(cidr_b).network_address)
    cluster.wait_for("node-a's overlay route to node-b",
                     lambda: overlay_routes(a) == {cidr_b: (vtep_b, dev_a)})
    fdb = json.loads(a.ip_cmd("-j", "link", "show", dev_a))[0]
    assert fdb["address"] == vtep_mac(cidr_a)

    cluster.kubectl.run("apply", "-f", "-", input=web(b.name))
    web_ip = cluster.wait_for("web-b Running and Ready", lambda: ready_ip(cluster, "web-b"), within=240)
    assert ip_address(web_ip) in ip_network(cidr_b)
    run_client(cluster, "client-ip", a, f"http://{web_ip}:8080/cgi-bin/ip", "self")

    cluster.kubectl.run("expose", "pod", "web-b", "--name", "web", "--port", "80", "--target-port", "8080")
    svc = cluster.wait_for("the web Service", lambda: cluster.get("service", "web"))
    run_client(cluster, "client-svc", a, f"http://{svc['spec']['clusterIP']}/index.html", "hello-from-b")

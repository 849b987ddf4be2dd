"""Issue 8, the pod network across nodes, with real processes: two agents in their own network namespaces,
the node-ipam controller in the controller manager, real kubectl, busybox pods on runc.

Each node gets its own pod CIDR from 10.244.0.0/16 and its pods' addresses come from it; a pod on node-a
reaches a pod on node-b by pod IP with its own source address (no masquerade between pods), and through
a Service's ClusterIP (the agents' service proxy); each node routes the other's pod CIDR via its address
with kubelite's route protocol, leaves a route it did not make alone, and drops the route when the other
Node goes.
"""

from __future__ import annotations

import json
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from kubelite.runtime.network.routes import ROUTE_PROTO
from tests.e2e.multinode.conftest import CLUSTER_CIDR, MultiNode, Node

pytestmark = pytest.mark.e2e

CGI_IP = "#!/bin/sh\necho Content-Type: text/plain\necho\necho $REMOTE_ADDR\n"
WEB_SCRIPT = ("mkdir -p /www/cgi-bin && echo hello-from-b > /www/index.html && printf '%s' \"$CGI\" > /www/cgi-bin/ip"
              " && chmod +x /www/cgi-bin/ip && exec httpd -f -p 8080 -h /www")
# The client retries inside the pod (a route or a proxy rule may still be on its way) and exits 0 only
# when the answer is the expected one: Succeeded means it got through. busybox's ``wget -T`` crashes in
# this image, so ``timeout`` bounds each try.
# EXPECT "self" means this pod's own address (what a server sees when nothing masquerades); httpd gives
# REMOTE_ADDR as an IPv4-mapped IPv6 address, unwrapped here.
CLIENT_SCRIPT = ('want="$EXPECT"; [ "$want" = self ] && want=$(ip -o -4 addr show dev eth0 | '
                 "sed -e 's/.*inet //' -e 's|/.*||'); i=0; while [ $i -lt 90 ]; do "
                 'got=$(timeout 5 wget -qO- "$URL" 2>/dev/null | sed -e "s/^\\[::ffff://" -e "s/\\]$//"); '
                 '[ "$got" = "$want" ] && echo "ok $got" && exit 0; '
                 'i=$((i+1)); sleep 1; done; echo "got \'$got\' want \'$want\'"; exit 1')


def web(node: str) -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-b", "labels": {"app": "web-b"}},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1, "containers": [{
            "name": "httpd", "image": "busybox", "command": ["sh", "-c", WEB_SCRIPT],
            "env": [{"name": "CGI", "value": CGI_IP}],
            "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}}]}})


def client(name: str, node: str, url: str, expect: str) -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"nodeSelector": {"kubernetes.io/hostname": node}, "restartPolicy": "Never", "containers": [{
            "name": "client", "image": "busybox", "command": ["sh", "-c", CLIENT_SCRIPT],
            "env": [{"name": "URL", "value": url}, {"name": "EXPECT", "value": expect}]}]}})


def pod_cidr(cluster: MultiNode, node: Node) -> str:
    obj = cluster.get("node", node.name) or {}
    return str((obj.get("spec") or {}).get("podCIDR", ""))


def ready_ip(cluster: MultiNode, name: str) -> str:
    pod = cluster.get("pod", name)
    if not pod or pod.get("status", {}).get("phase") != "Running":
        return ""
    conds = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
    return str(pod["status"].get("podIP", "")) if conds.get("Ready") == "True" else ""


def finished(cluster: MultiNode, name: str) -> dict[str, Any] | None:
    pod = cluster.get("pod", name)
    return pod if pod and pod.get("status", {}).get("phase") in ("Succeeded", "Failed") else None


def our_routes(node: Node) -> dict[str, str]:
    routes = json.loads(node.ip_cmd("-j", "route", "show", "proto", ROUTE_PROTO) or "[]")
    return {r["dst"]: r.get("gateway", "") for r in routes}


def run_client(cluster: MultiNode, name: str, node: Node, url: str, expect: str) -> dict[str, Any]:
    cluster.kubectl.run("apply", "-f", "-", input=client(name, node.name, url, expect))
    pod = cluster.wait_for(f"{name} to finish", lambda: finished(cluster, name), within=240)
    if pod["status"]["phase"] != "Succeeded":
        logs = cluster.kubectl.run("logs", name, check=False)
        pytest.fail(f"{name} on {node.name} could not fetch {url}: {logs.stdout[-300:]}\n"
                    f"{cluster.diagnose(node)}\n{cluster.logs()}")
    assert pod["spec"]["nodeName"] == node.name
    return pod


def test_nodes_get_distinct_pod_cidrs_and_route_to_each_other(multinode: MultiNode) -> None:
    a, b = multinode.nodes.values()
    cidrs = {n.name: multinode.wait_for(f"{n.name}'s pod CIDR", lambda n=n: pod_cidr(multinode, n)) for n in (a, b)}
    assert cidrs[a.name] != cidrs[b.name]
    assert all(ip_network(c).subnet_of(ip_network(CLUSTER_CIDR)) and ip_network(c).prefixlen == 24
               for c in cidrs.values())
    # host-gw: each node routes the other's pod CIDR via the other's address, marked as ours.
    multinode.wait_for("node-a's route to node-b's pods", lambda: our_routes(a) == {cidrs[b.name]: b.ip})
    multinode.wait_for("node-b's route to node-a's pods", lambda: our_routes(b) == {cidrs[a.name]: a.ip})
    # Each engine bridge carries its node's pod CIDR.
    for node in (a, b):
        multinode.wait_for(f"{node.bridge} up", lambda node=node: "inet" in node.ip_cmd("addr", "show", node.bridge))
        addr = json.loads(node.ip_cmd("-j", "addr", "show", node.bridge))[0]["addr_info"][0]
        assert ip_address(addr["local"]) in ip_network(cidrs[node.name])


def test_pod_on_a_reaches_pod_on_b_by_pod_ip_and_through_a_service(multinode: MultiNode) -> None:
    a, b = multinode.nodes.values()
    multinode.wait_for("both nodes with pod CIDRs", lambda: pod_cidr(multinode, a) and pod_cidr(multinode, b))
    multinode.kubectl.run("apply", "-f", "-", input=web(b.name))
    web_ip = multinode.wait_for("web-b Running and Ready", lambda: ready_ip(multinode, "web-b"), within=240)
    assert ip_address(web_ip) in ip_network(pod_cidr(multinode, b))

    # Pod to pod across nodes: the server sees the client's own pod IP (no masquerade inside the cluster).
    client = run_client(multinode, "client-ip", a, f"http://{web_ip}:8080/cgi-bin/ip", "self")
    assert ip_address(client["status"]["podIP"]) in ip_network(pod_cidr(multinode, a))

    # Through a Service's ClusterIP, programmed by node-a's service proxy.
    multinode.kubectl.run("expose", "pod", "web-b", "--name", "web", "--port", "80", "--target-port", "8080")
    svc = multinode.wait_for("the web Service", lambda: multinode.get("service", "web"))
    cluster_ip = svc["spec"]["clusterIP"]
    run_client(multinode, "client-svc", a, f"http://{cluster_ip}/index.html", "hello-from-b")


def test_routes_follow_nodes_and_foreign_routes_are_left_alone(multinode: MultiNode) -> None:
    a, b = multinode.nodes.values()
    cidr_b = multinode.wait_for("node-b's pod CIDR", lambda: pod_cidr(multinode, b))
    multinode.wait_for("node-a's route to node-b", lambda: our_routes(a) == {cidr_b: b.ip})
    # A route somebody else made, inside the cluster CIDR: the agent must never remove it.
    a.ip_cmd("route", "add", "10.244.250.0/24", "via", multinode.host_ip)
    multinode.kubectl.run("delete", "node", b.name)
    multinode.wait_for("node-a's route to node-b removed", lambda: our_routes(a) == {}, within=120)
    assert "10.244.250.0/24" in a.ip_cmd("route", "show", "10.244.250.0/24")

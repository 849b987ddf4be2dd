"""Seed 002's kubia flow on a real node: three replicas of a kubia image built with ``kubelite build``,
exposed with ``kubectl expose rc kubia --type=LoadBalancer``; the host reaches every pod through the
cluster IP, the node port (on 127.0.0.1 and on the node's address) and the external IP; a pod that turns
unready (its readiness file removed with ``kubectl exec``) leaves the rotation; after ``kubectl scale
--replicas=1`` only one pod answers, and it reaches itself through its service (hairpin). From inside a
pod, cluster DNS (10.96.0.10, through the proxy to the server) resolves the service by its full and its
short name."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from tests.e2e.network.conftest import Node, wait_for

pytestmark = pytest.mark.e2e

RC = """
apiVersion: v1
kind: ReplicationController
metadata: {name: kubia}
spec:
  replicas: 3
  selector: {app: kubia}
  template:
    metadata: {labels: {app: kubia}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: kubia
        image: kubia:v1
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
          periodSeconds: 1
          failureThreshold: 1
"""


def hit(url: str) -> str:
    """One request on a fresh connection; the pod's answer, or the error."""
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return str(resp.read().decode().strip())
    except OSError as err:
        return f"error: {err}"


def answers(url: str, n: int) -> set[str]:
    return {hit(url) for _ in range(n)}


def ready_pods(node: Node) -> list[dict[str, Any]]:
    pods = json.loads(node.kubectl.run("get", "pods", "-l", "app=kubia", "-o", "json").stdout)["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp") and any(
        c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))]


def spreads_over(url: str, pods: set[str], tries: int = 150) -> bool:
    """Every pod in ``pods`` answers, and nothing else does, within ``tries`` fresh connections."""
    seen: set[str] = set()
    for _ in range(tries):
        seen.add(hit(url))
        if not seen <= pods:
            return False
        if seen == pods:
            return True
    return False


def test_kubia_through_cluster_ip_node_port_and_load_balancer(node: Node) -> None:
    node.kubectl.run("create", "-f", "-", input=RC)
    pods = wait_for(node, "three kubia pods Ready", lambda: (p := ready_pods(node)) and len(p) == 3 and p,
                    within=180)
    names = {f"You've hit {p['metadata']['name']}" for p in pods}

    node.kubectl.run("expose", "rc", "kubia", "--type=LoadBalancer", "--name", "kubia-http", "--port", "80",
                     "--target-port", "8080")
    svc = wait_for(node, "an EXTERNAL-IP on kubia-http", lambda: _with_ingress(node), within=60)
    listing = node.kubectl.run("get", "svc", "kubia-http").stdout
    external = svc["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert external in listing, listing
    cluster_ip, node_port = svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["nodePort"]
    node_ip = next(a["address"] for a in json.loads(node.kubectl.run("get", "node", node.name, "-o", "json").stdout)
                   ["status"]["addresses"] if a["type"] == "InternalIP")
    urls = [f"http://{cluster_ip}/", f"http://127.0.0.1:{node_port}/", f"http://{node_ip}:{node_port}/",
            f"http://{external}/"]
    for url in urls:
        wait_for(node, f"all three pods answering on {url}", lambda u=url: spreads_over(u, names), within=90)

    # A pod whose readiness probe starts failing leaves every path's rotation.
    victim = sorted(p["metadata"]["name"] for p in pods)[0]
    wait_for(node, f"the readiness file removed in {victim}",
             lambda: node.exec(victim, "kubia", ["rm", "-f", "/www/ready"])[1] == 0, within=60)
    rest = names - {f"You've hit {victim}"}
    for url in urls:
        wait_for(node, f"{victim} out of rotation on {url}", lambda u=url: spreads_over(u, rest), within=90)

    # kube-dns is the server's DNS, published at 10.96.0.10 and listed as a cluster service.
    dns = json.loads(node.kubectl.run("get", "svc", "kube-dns", "-n", "kube-system", "-o", "json").stdout)
    assert dns["spec"]["clusterIP"] == "10.96.0.10"
    assert "KubeDNS is running at" in node.kubectl.run("cluster-info").stdout

    # From inside a pod: cluster DNS by full and short name, and the service through its name.
    resolv = wait_for(node, "resolv.conf read in a pod",
                      lambda: (r := node.exec(victim, "kubia", ["cat", "/etc/resolv.conf"]))[1] == 0 and r[0])
    assert "nameserver 10.96.0.10" in resolv and "search default.svc.cluster.local" in resolv, resolv
    fqdn = "kubia-http.default.svc.cluster.local"
    out, _ = wait_for(node, f"nslookup {fqdn} in a pod",
                       lambda: (r := node.exec(victim, "kubia", ["nslookup", fqdn]))[1] == 0 and r)
    assert re.search(rf"Address:\s*{re.escape(cluster_ip)}\b", out), out
    # The short name goes through the C library's resolver and the search path (busybox's nslookup
    # does not apply search domains); ping prints the address it resolved, whether or not ICMP answers.
    wait_for(node, "the short name resolving in a pod", lambda: f"PING kubia-http ({cluster_ip})" in node.exec(
        victim, "kubia", ["ping", "-c", "1", "-W", "1", "kubia-http"])[0])
    # (busybox's wget -T crashes on Debian 12's busybox-static: bound it with timeout instead.)
    wait_for(node, "a pod reaching the service by name", lambda: (r := node.exec(
        victim, "kubia", ["timeout", "10", "wget", "-q", "-O", "-", "http://kubia-http/"]))[1] == 0
        and r[0].strip() in rest)

    # In-cluster clients reach the API server at 10.96.0.1:443 (its Endpoints mirrored to a slice).
    wait_for(node, "a pod connecting to the kubernetes Service", lambda: node.exec(
        victim, "kubia", ["nc", "-w", "5", "10.96.0.1", "443", "-e", "true"])[1] == 0)

    # Ready again (whichever pod the scale-down keeps must serve), then down to one replica.
    wait_for(node, f"the readiness file back in {victim}",
             lambda: node.exec(victim, "kubia", ["sh", "-c", "echo ok > /www/ready"])[1] == 0, within=60)
    wait_for(node, f"{victim} Ready again", lambda: len(ready_pods(node)) == 3)
    node.kubectl.run("scale", "rc", "kubia", "--replicas=1")
    wait_for(node, "one kubia pod left", lambda: len(_pods(node)) == 1, within=120)
    (left,) = _pods(node)
    only = {f"You've hit {left}"}
    for url in urls:
        wait_for(node, f"only {left} answering on {url}", lambda u=url: answers(u, 20) == only, within=90)
    # Hairpin: the one pod reaches itself through its own service.
    wait_for(node, "the pod reaching itself through its service", lambda: node.exec(
        left, "kubia", ["timeout", "10", "wget", "-q", "-O", "-", f"http://{cluster_ip}/"])[0].strip() in only)
    # What `kubelite service --url` prints opens from this machine.
    printed = subprocess.run([sys.executable, "-m", "kubelite", "service", "kubia-http", "--url", "--kubeconfig",
                              str(node.server.kubeconfig)], check=True, capture_output=True, text=True,
                             timeout=60).stdout.split()
    assert f"http://127.0.0.1:{node_port}" in printed and f"http://{external}:80" in printed, printed
    assert {hit(url) for url in printed} == only

    node.kubectl.run("delete", "svc", "kubia-http")
    node.kubectl.run("delete", "rc", "kubia")


def _with_ingress(node: Node) -> dict[str, Any] | None:
    svc: dict[str, Any] = json.loads(node.kubectl.run("get", "svc", "kubia-http", "-o", "json").stdout)
    return svc if (svc.get("status", {}).get("loadBalancer") or {}).get("ingress") else None


def _pods(node: Node) -> list[str]:
    items = json.loads(node.kubectl.run("get", "pods", "-l", "app=kubia", "-o", "json").stdout)["items"]
    return [p["metadata"]["name"] for p in items]

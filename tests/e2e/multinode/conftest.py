"""Two nodes on one machine: each ``kubelite agent`` in a network namespace of its own, joined by a LAN.

Topology (every name carries a random tag; the LAN subnet is random in 10.253.0.0/16)::

    host netns                 lan netns (bridge br0)          node-a / node-b netns
    klh<tag> 10.253.N.1/24 --- ph                  pa --------- eth0 10.253.N.2/24, default via .1
      apiserver, controller-manager                pb --------- eth0 10.253.N.3/24, default via .1
      (--allocate-node-cidrs), scheduler                         kubelite agent --cluster-cidr ...

For the VXLAN backend (``multinode_vxlan``) each node also gets ``data0`` on a subnet of its own
(10.252.M.2/24 and 10.252.M+1.2/24) behind a router namespace, with its default route (so its InternalIP)
there: the nodes then share no L2 segment, only the control-plane LAN.

The LAN bridge lives in a namespace of its own, so bridged frames never meet the host's firewall
(``br_netfilter`` is loaded here). The agents run under ``nsenter --net``: they keep the host's mount
namespace, so the pod namespaces under /run/netns and the containers' mounts are visible to the teardown,
which runs the engine teardown inside each node's network namespace, then deletes the namespaces (and
with them every link, route and nftables table made inside). Everything goes, even on failure.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from kubelite.runtime.bootstrap import bootstrap_busybox
from tests.e2e.apiserver.conftest import Kubectl, ServerProcess, wait_healthy

CLUSTER_CIDR = "10.244.0.0/16"
TEARDOWN = ("import sys\nfrom kubelite.runtime.lifecycle import Engine\n"
            "from kubelite.runtime.network.ipam import load_conf\n"
            "from kubelite.testing.engine_harness import teardown_engine\n"
            "root = sys.argv[1]\nteardown_engine(Engine(root, net=load_conf(root)), root)\n")


def sh(*argv: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} -> {out.returncode}: {out.stderr.strip()}")
    return out


@dataclass
class HostServer(ServerProcess):
    """``kubelite apiserver`` listening on the host end of the LAN, not on loopback."""

    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"


@dataclass
class Node:
    name: str
    netns: str
    ip: str
    root: str
    bridge: str
    table: str
    lan_ip: str = ""  # its address on the test LAN (the control plane's network); ip is its InternalIP
    proc: subprocess.Popen[bytes] | None = None

    def ip_cmd(self, *args: str) -> str:
        return sh("ip", "-n", self.netns, *args).stdout


@dataclass
class MultiNode:
    tag: str
    lan: str
    host_ip: str
    server: HostServer
    kubectl: Kubectl
    nodes: dict[str, Node]
    backend: str = "host-gw"
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in sorted(self.server.data_dir.glob("*.log")))

    def diagnose(self, node: Node) -> str:
        """The node's routes and nftables ruleset, for a failure message."""
        net = ["nsenter", f"--net=/run/netns/{node.netns}", "--"]
        return (f"--- routes of {node.name}\n{sh('ip', '-n', node.netns, 'route', check=False).stdout}"
                f"--- nft ruleset of {node.name}\n{sh(*net, 'nft', 'list', 'ruleset', check=False).stdout}"
                f"--- endpointslices\n{self.kubectl.run('get', 'endpointslices', '-o', 'wide', check=False).stdout}")

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = self.server.data_dir / f"{name}.log"
        proc = subprocess.Popen(argv, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"), start_new_session=True)
        self.procs[name] = proc
        return proc

    def kubelite(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "kubelite", *args]

    def start_agent(self, node: Node) -> None:
        node.proc = self.start(node.name, [
            "nsenter", f"--net=/run/netns/{node.netns}", "--",
            *self.kubelite("--root", node.root, "agent", "--node-name", node.name,
                           "--kubeconfig", str(self.server.kubeconfig), "--cluster-cidr", CLUSTER_CIDR,
                           "--network-backend", self.backend)])

    def stop_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def wait_for(self, what: str, check: Any, within: float = 180) -> Any:
        deadline = time.monotonic() + within
        while True:
            result = check()
            if result:
                return result
            for name, p in self.procs.items():
                if p.poll() is not None:
                    pytest.fail(f"{name} exited {p.returncode} while waiting for {what}\n{self.logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}\n{self.logs()}")
            time.sleep(0.25)

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        out = self.kubectl.run("get", kind, name, "-o", "json", "--ignore-not-found")
        return json.loads(out.stdout) if out.stdout.strip() else None


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _lan(host_ip: str, lan: str, host_veth: str, nodes: list[Node]) -> None:
    for ns in (lan, *(n.netns for n in nodes)):
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", lan, "link", "add", "br0", "type", "bridge")
    sh("ip", "-n", lan, "link", "set", "br0", "up")
    sh("ip", "link", "add", host_veth, "type", "veth", "peer", "name", "ph", "netns", lan)
    sh("ip", "addr", "add", f"{host_ip}/24", "dev", host_veth)
    sh("ip", "link", "set", host_veth, "up")
    sh("ip", "-n", lan, "link", "set", "ph", "master", "br0", "up")
    for node, port in zip(nodes, ("pa", "pb"), strict=True):
        sh("ip", "-n", lan, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", node.netns)
        sh("ip", "-n", lan, "link", "set", port, "master", "br0", "up")
        node.ip_cmd("addr", "add", f"{node.lan_ip}/24", "dev", "eth0")
        node.ip_cmd("link", "set", "eth0", "up")
        if node.ip == node.lan_ip:
            node.ip_cmd("route", "add", "default", "via", host_ip)


def _routed(router: str, nodes: list[Node]) -> None:
    """Each node also on a subnet of its own behind a router namespace, its default route (hence its
    InternalIP) there: the nodes reach each other only through the router, never on one L2 segment."""
    sh("ip", "netns", "add", router)
    sh("ip", "-n", router, "link", "set", "lo", "up")
    sh("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    for node, port in zip(nodes, ("ra", "rb"), strict=True):
        gateway = node.ip.rsplit(".", 1)[0] + ".1"
        sh("ip", "-n", router, "link", "add", port, "type", "veth", "peer", "name", "data0", "netns", node.netns)
        sh("ip", "-n", router, "addr", "add", f"{gateway}/24", "dev", port)
        sh("ip", "-n", router, "link", "set", port, "up")
        node.ip_cmd("addr", "add", f"{node.ip}/24", "dev", "data0")
        node.ip_cmd("link", "set", "data0", "up")
        node.ip_cmd("route", "add", "default", "via", gateway)


@pytest.fixture(scope="module")
def multinode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MultiNode]:
    """Two nodes on one LAN, host-gw routes."""
    yield from _cluster(tmp_path_factory, "host-gw")


@pytest.fixture(scope="module")
def multinode_vxlan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MultiNode]:
    """Two nodes on different subnets behind a router, a VXLAN overlay."""
    yield from _cluster(tmp_path_factory, "vxlan")


def _cluster(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[MultiNode]:
    for tool in ("ip", "nft", "nsenter"):
        if sh("sh", "-c", f"command -v {tool}", check=False).returncode != 0:
            pytest.fail(f"{tool} not found: install iproute2, nftables and util-linux (make test does)")
    tag = secrets.token_hex(3)
    prefix = f"10.253.{secrets.randbelow(250)}"
    host_ip, lan, host_veth, router = f"{prefix}.1", f"kln-lan-{tag}", f"klh{tag}", f"kln-rt-{tag}"
    routed = backend == "vxlan"
    data = 2 * secrets.randbelow(120)  # the routed subnets: 10.252.<data>.0/24 and 10.252.<data+1>.0/24
    nodes = []
    for index, (letter, last) in enumerate((("a", 2), ("b", 3))):
        root = tempfile.mkdtemp(prefix=f"kl-mn{letter}-")
        lan_ip = f"{prefix}.{last}"
        node = Node(name=f"node-{letter}-{tag}", netns=f"kln-{letter}-{tag}",
                    ip=f"10.252.{data + index}.2" if routed else lan_ip, lan_ip=lan_ip, root=root,
                    bridge=f"klb{tag}{letter}", table=f"kl_mn{tag}{letter}")
        os.makedirs(os.path.join(root, "network"))
        with open(os.path.join(root, "network", "config.json"), "w") as fh:
            json.dump({"bridge": node.bridge, "table": node.table}, fh)
        nodes.append(node)
    workdir = tmp_path_factory.mktemp("multinode")
    server: HostServer | None = None
    cluster: MultiNode | None = None
    try:
        _lan(host_ip, lan, host_veth, nodes)
        if routed:
            _routed(router, nodes)
        for node in nodes:
            bootstrap_busybox(node.root)
        port = _free_port(host_ip)
        log = workdir / "server.log"
        proc = subprocess.Popen([sys.executable, "-m", "kubelite", "apiserver", "--data-dir", str(workdir),
                                 "--listen", f"{host_ip}:{port}"],
                                stdout=log.open("ab"), stderr=subprocess.STDOUT,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
        server = HostServer(proc, workdir, port, log, host=host_ip)
        wait_healthy(server, 60)
        cluster = MultiNode(tag, lan, host_ip, server, Kubectl(server, workdir / "kcache"),
                            {n.name: n for n in nodes}, backend=backend)
        cluster.start("controller-manager", cluster.kubelite(
            "controller-manager", "--kubeconfig", str(server.kubeconfig), "--allocate-node-cidrs",
            "--cluster-cidr", CLUSTER_CIDR))
        cluster.start("scheduler", cluster.kubelite("scheduler", "--kubeconfig", str(server.kubeconfig)))
        for node in nodes:
            cluster.start_agent(node)
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop_all()
        if server is not None:
            server.stop()
        for node in nodes:
            if os.path.exists(f"/run/netns/{node.netns}"):
                sh("nsenter", f"--net=/run/netns/{node.netns}", "--", sys.executable, "-c", TEARDOWN, node.root,
                   check=False, timeout=120)
            else:
                sh(sys.executable, "-c", TEARDOWN, node.root, check=False, timeout=120)
        for ns in (*(n.netns for n in nodes), lan, router):
            sh("ip", "netns", "del", ns, check=False)
        sh("ip", "link", "del", host_veth, check=False)

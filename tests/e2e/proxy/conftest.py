"""Test hosts for the proxy's e2e tests: a node namespace with a bridge, two pod namespaces running
TCP servers that answer their own name, all created here and torn down even on failure."""

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

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

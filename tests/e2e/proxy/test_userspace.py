"""The userspace proxy mode (no nftables at all) relaying for real inside the test's namespaces: TCP to
a cluster IP from the node and from a pod, a node port on 127.0.0.1, UDP to a cluster IP (as DNS uses),
and a scale-down seen by new connections. The proxy runs in the node namespace as a child process."""

import select
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.proxy.conftest import CLIENT, request, sh, wait_for_servers

pytestmark = pytest.mark.e2e

PROXY = """
import asyncio, sys
from kubelite.proxy.model import Endpoint, ServicePort
from kubelite.proxy.userspace import UserspaceBackend

def ports(ips):
    eps = tuple(Endpoint(ip, 8080) for ip in ips)
    return [ServicePort("default", "kubia", "http", "TCP", 80, ("10.96.0.20",), node_port=30080, endpoints=eps),
            ServicePort("kube-system", "dns", "dns", "UDP", 53, ("10.96.0.10",),
                        endpoints=(Endpoint("10.244.0.2", 5353),))]

async def main():
    backend = UserspaceBackend()
    await backend.sync(ports(["10.244.0.2", "10.244.0.3"]))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    line = await loop.run_in_executor(None, sys.stdin.readline)  # "scale": keep only the second pod
    await backend.sync(ports(["10.244.0.3"]))
    print("scaled", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    await backend.cleanup()

asyncio.run(main())
"""

UDP_SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5353))
while True:
    data, addr = s.recvfrom(512); s.sendto(sys.argv[1].encode() + b":" + data, addr)
"""

UDP_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b"ping", (sys.argv[1], int(sys.argv[2]))); print(s.recvfrom(512)[0].decode())
"""


def in_ns(ns: str, code: str, *args: str) -> str:
    out = sh("ip", "netns", "exec", ns, sys.executable, "-c", code, *args, check=False)
    return out.stdout.strip() if out.returncode == 0 else f"error: {out.stderr.strip()[-200:]}"


@pytest.fixture
def proxy(net: dict[str, Any]) -> Iterator[subprocess.Popen[str]]:
    procs = [subprocess.Popen(["ip", "netns", "exec", net["pods"][0], sys.executable, "-c", UDP_SERVER,
                               net["pods"][0]])]
    proc = subprocess.Popen(["ip", "netns", "exec", net["node"], sys.executable, "-c", PROXY],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    procs.append(proc)  # type: ignore[arg-type]
    try:
        yield proc
    finally:
        for p in procs:
            p.kill()
            p.wait()


def read_line(proc: subprocess.Popen[str], want: str) -> None:
    """The proxy's next line, within a deadline (it prints promptly, or dies and readline gives "")."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    assert ready, f"the proxy said nothing within 60 s (exit {proc.poll()})"
    line = proc.stdout.readline().strip()
    assert line == want, f"proxy said {line!r}, exit {proc.poll()}"


def test_userspace_relays_tcp_and_udp(net: dict[str, Any], proxy: subprocess.Popen[str]) -> None:
    node, pods = net["node"], net["pods"]
    wait_for_servers(node, ["10.244.0.2", "10.244.0.3"])
    read_line(proxy, "ready")
    for target in (("10.96.0.20", 80), ("127.0.0.1", 30080)):
        seen: set[str] = set()
        for _ in range(60):
            seen.add(request(node, *target))
            if seen == set(pods):
                break
        assert seen == set(pods), (target, seen)
    assert {in_ns(pods[1], CLIENT, "10.96.0.20", "80") for _ in range(20)} <= set(pods)  # from a pod
    assert in_ns(pods[1], UDP_CLIENT, "10.96.0.10", "53") == f"{pods[0]}:ping"

    assert proxy.stdin is not None
    proxy.stdin.write("scale\n")
    proxy.stdin.flush()
    read_line(proxy, "scaled")
    assert {request(node, "10.96.0.20", 80) for _ in range(20)} == {pods[1]}

"""Service networking: traffic through the proxy's nftables rules against going to the pod directly,
and the time to program many services.

Data path: a throwaway node namespace with a bridge and one pod namespace running a TCP sink (reads
until EOF, then answers) and an accept-and-close server. kubelite's real rules (``proxy.rules.compute``
applied by ``NftBackend``) map a ClusterIP and a NodePort on 127.0.0.1 to the pod. A client in the node
namespace measures throughput (MB/s, one connection streaming ``--mb`` MB) and connection rate
(connect + close, sequential) to the pod IP, the ClusterIP and the NodePort, interleaved so that noise
hits every path alike. Ratio = through the service / direct (target >= 0.9: the kernel forwards). The
userspace mode's relay (for hosts without nftables) is measured beside them, with no target.

Control path: in another throwaway namespace, the time to program 1,000 and 10,000 services (two
endpoints each) from nothing (``NftBackend``'s first sync: a few transactions for a large table), and
then one endpoint change at that size (the incremental diff every later sync sends), with the ruleset's
size.

Run: ``python -m bench.network`` (``--quick`` for smaller counts while developing). Needs root, ip, nft.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from bench.harness import Row, render
from kubelite.proxy.backend import NftBackend
from kubelite.proxy.model import Endpoint, ServicePort
from kubelite.proxy.nft import render_diff, render_full
from kubelite.proxy.rules import ProxyConfig, Table, compute

POD_IP, CLUSTER_IP, NODE_PORT = "10.244.0.2", "10.96.0.20", 30080
USERSPACE_IP = "10.96.0.30"  # served by the userspace relay (no nft rule names it)

RELAY = """
import asyncio, sys
from kubelite.proxy.model import Endpoint, ServicePort
from kubelite.proxy.userspace import UserspaceBackend
async def main():
    backend = UserspaceBackend()
    await backend.sync([ServicePort("bench", f"us-{t}", "http", "TCP", p, (sys.argv[1],),
                                    endpoints=(Endpoint(sys.argv[2], t),)) for t, p in ((8080, 80), (8084, 84))])
    print("ready", flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    finally:
        await backend.cleanup()
asyncio.run(main())
"""

SERVERS = """
import socket, sys, threading
def sink():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 8080)); s.listen(128)
    buf = bytearray(1 << 20)
    while True:
        c, _ = s.accept(); total = 0
        while (n := c.recv_into(buf)):
            total += n
        c.sendall(str(total).encode()); c.close()
def closer(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(1024)
    while True:
        c, _ = s.accept(); c.close()
for port in (8081, 8082, 8083, 8084):
    threading.Thread(target=closer, args=(port,), daemon=True).start()
sink()
"""

CLIENT = """
import socket, sys, time
mode, host, port, amount = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
if mode == "mbps":
    chunk = b"x" * (1 << 20); n = int(amount)
    start = time.perf_counter()
    s = socket.create_connection((host, port))
    for _ in range(n):
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR); got = int(s.recv(64)); s.close()
    assert got == n << 20, got
    print(n / (time.perf_counter() - start))
else:
    count = 0; end = time.perf_counter() + amount; start = time.perf_counter()
    while time.perf_counter() < end:
        s = socket.create_connection((host, port)); s.recv(1); s.close(); count += 1
    print(count / (time.perf_counter() - start))
"""


def sh(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=300).stdout


@contextmanager
def namespaces() -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:6]
    node, pod = f"kl-bn-{tag}", f"kl-bp-{tag}"
    server: subprocess.Popen[bytes] | None = None
    try:
        for ns in (node, pod):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", node, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", node, "addr", "add", "10.244.0.1/24", "dev", "br0")
        sh("ip", "-n", node, "link", "set", "br0", "up")
        sh("ip", "-n", node, "route", "add", "10.96.0.0/12", "dev", "br0")
        sh("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1")
        sh("ip", "link", "add", f"vb{tag}", "netns", node, "type", "veth", "peer", "eth0", "netns", pod)
        sh("ip", "-n", node, "link", "set", f"vb{tag}", "master", "br0", "up")
        sh("ip", "-n", pod, "addr", "add", f"{POD_IP}/24", "dev", "eth0")
        sh("ip", "-n", pod, "link", "set", "eth0", "up")
        sh("ip", "-n", pod, "route", "add", "default", "via", "10.244.0.1")
        server = subprocess.Popen(["ip", "netns", "exec", pod, sys.executable, "-c", SERVERS])
        yield node, pod
    finally:
        if server is not None:
            server.kill()
            server.wait()
        for ns in (node, pod):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


def client(node: str, mode: str, host: str, port: int, amount: float) -> float:
    return float(sh("ip", "netns", "exec", node, sys.executable, "-c", CLIENT, mode, host, str(port), str(amount)))


def wait_serving(node: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            client(node, "mbps", POD_IP, 8080, 1)
            return
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def service(i: int, endpoints: tuple[str, ...]) -> ServicePort:
    return ServicePort(namespace="bench", name=f"svc{i}", port_name="http", protocol="TCP", port=80,
                       cluster_ips=(f"10.{96 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}",),
                       endpoints=tuple(Endpoint(ip, 8080) for ip in endpoints))


def data_path(mb: int, seconds: float, rounds: int) -> list[Row]:
    with namespaces() as (node, _pod):
        backend = NftBackend(prefix=["ip", "netns", "exec", node])
        # Port 80 (node port 30080) streams to 8080. Connection rates go to a server port of their own per
        # path (direct 8081, ClusterIP 82 -> 8082, node port 30083 -> 8083): the server's TIME_WAIT
        # sockets of one path must not meet the SYNs of another, whose TCP timestamps (offset per address
        # pair) look older and get the SYN dropped, a one-second retransmit that has nothing to do with NAT.
        ports = [ServicePort(namespace="bench", name=f"svc-{target}", port_name="http", protocol="TCP",
                             port=port, cluster_ips=(CLUSTER_IP,), node_port=NODE_PORT + target - 8080,
                             endpoints=(Endpoint(POD_IP, target),))
                 for target, port in ((8080, 80), (8082, 82), (8083, 83))]
        asyncio.run(backend.sync(compute(ports, ProxyConfig(cluster_cidr="10.244.0.0/16",
                                                            local_subnet="10.244.0.0/24"))))
        wait_serving(node)
        # The userspace mode's relay, in the node namespace, on a cluster IP of its own.
        relay = subprocess.Popen(["ip", "netns", "exec", node, sys.executable, "-c", RELAY, USERSPACE_IP, POD_IP],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert relay.stdout is not None and relay.stdout.readline().strip() == "ready", "relay did not start"
            paths = {"direct": (POD_IP, 8080, 8081), "clusterip": (CLUSTER_IP, 80, 82),
                     "nodeport": ("127.0.0.1", NODE_PORT, NODE_PORT + 3),
                     "userspace clusterip": (USERSPACE_IP, 80, 84)}
            mbps: dict[str, list[float]] = {k: [] for k in paths}
            conns: dict[str, list[float]] = {k: [] for k in paths}
            order = list(paths)
            for r in range(rounds):
                # Rotate who goes first each round, so a burst of load from elsewhere hits every path alike.
                for name in order[r % len(order):] + order[:r % len(order)]:
                    host, data_port, conn_port = paths[name]
                    mbps[name].append(client(node, "mbps", host, data_port, mb))
                    conns[name].append(client(node, "conns", host, conn_port, seconds))
        finally:
            relay.kill()
            relay.wait()
    rows = []
    for name in ("clusterip", "nodeport", "userspace clusterip"):
        target = None if name.startswith("userspace") else 0.9  # the relay is the fallback, not the target
        rows.append(Row(f"throughput via {name} ({mb} MB stream)", mbps[name], mbps["direct"], unit="MB/s",
                        reference_name="pod IP", lower_is_better=False, target=target))
        rows.append(Row(f"connections via {name}", conns[name], conns["direct"], unit="conn/s",
                        reference_name="pod IP", lower_is_better=False, target=target))
    return rows


def ports_for(count: int, moved: bool = False) -> list[ServicePort]:
    """``count`` services with two endpoints each; ``moved``: service 0's first endpoint has a new IP."""
    out = []
    for i in range(count):
        first = f"10.244.{(i >> 7) & 255}.{(2 * i) % 250 + 2}"
        out.append(service(i, ("10.244.255.254" if moved and i == 0 else first,
                               f"10.245.{(i >> 7) & 255}.{(2 * i) % 250 + 3}")))
    return out


def control_path(counts: list[int]) -> list[Row]:
    rows = []
    cfg = ProxyConfig(cluster_cidr="10.244.0.0/15")
    ns = f"kl-bc-{uuid.uuid4().hex[:6]}"
    sh("ip", "netns", "add", ns)
    try:
        for count in counts:
            backend = NftBackend(prefix=["ip", "netns", "exec", ns])
            t0 = time.perf_counter()
            table = compute(ports_for(count), cfg)
            compute_ms = (time.perf_counter() - t0) * 1000
            script = render_full(table)
            t0 = time.perf_counter()
            asyncio.run(backend.sync(table))
            full_ms = (time.perf_counter() - t0) * 1000
            changed: Table = compute(ports_for(count, moved=True), cfg)
            diff = render_diff(table, changed)
            t0 = time.perf_counter()
            asyncio.run(backend.sync(changed))
            diff_ms = (time.perf_counter() - t0) * 1000
            listed = sh("ip", "netns", "exec", ns, "nft", "list", "table", "ip", "kubelite").count("\n")
            size = (f"{len(table.chains):,} chains, {listed:,} lines listed, script {len(script) / 1e6:.1f} MB; "
                    f"diff {diff.count(chr(10))} commands")
            rows.append(Row(f"program {count:,} services from nothing (compute {compute_ms:,.0f} ms)", [full_ms],
                            unit="ms"))
            rows.append(Row(f"one endpoint change at {count:,} services", [diff_ms], unit="ms"))
            print(f"  {count:,} services: {size}", flush=True)
            asyncio.run(backend.cleanup())
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.network")
    parser.add_argument("--quick", action="store_true", help="smaller counts while developing")
    args = parser.parse_args(argv if argv is not None else [])
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: install iproute2 and nftables (make bench does)")
    mb, seconds, rounds = (64, 0.5, 3) if args.quick else (256, 1.0, 9)
    rows = data_path(mb, seconds, rounds)
    print(render("service data path (kernel nftables DNAT) vs. the pod IP", rows), flush=True)
    counts = [1000] if args.quick else [1000, 10000]
    control = control_path(counts)
    print(render("programming services with the nft backend", control), flush=True)
    print(f"  medians of {rounds} interleaved rounds; load average {' '.join(_loadavg())}", flush=True)


def _loadavg() -> list[str]:
    with open("/proc/loadavg") as fh:
        return fh.read().split()[:3]


if __name__ == "__main__":
    main(sys.argv[1:])

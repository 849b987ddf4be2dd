"""Pod startup latency on one real node: a burst of N busybox pods created through the API server, each
timed from its create request to Running as a watch sees it (p50, p99), against the raw engine starting
the same N pod sandboxes + containers through the same CRI-like interface with the kubelet's parallelism,
timed from the start of the burst. Also the agent's own memory per running pod.

Real processes: ``kubelite server`` (SQLite; API server, controllers, scheduler) and ``kubelite agent`` on
a private engine root with busybox bootstrapped, its own bridge, subnet and nft table.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.harness import Row, render

PODS = int(os.environ.get("BENCH_KUBELET_PODS", "100"))
WORKERS = 4  # the agent's default pod-worker count; the reference uses as many threads


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(root: str, *argv: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kubelite", "--root", root, *argv], stdout=log.open("ab"),
                            stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))


def _pss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _pod(i: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"burst-{i}", "labels": {"bench": "burst"}},
            "spec": {"terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "c", "image": "busybox", "imagePullPolicy": "Never",
                                     "command": ["sleep", "3600"]}]}}


async def _burst(kubeconfig: Path, agent_pid: int) -> tuple[list[float], float, float]:
    """Latencies (s) create-request -> Running for the burst, its wall time, and the agent's PSS (MiB)
    sampled while all N pods run."""
    from kubelite.client.rest import Client

    async with Client.from_kubeconfig(kubeconfig) as client:
        pods = client.resource("v1", "pods")
        start_rv = (await pods.list("default"))["metadata"]["resourceVersion"]
        sent: dict[str, float] = {}
        running: dict[str, float] = {}
        done = asyncio.Event()

        async def watch() -> None:
            async for event in pods.watch("default", resource_version=start_rv):
                obj = event.object
                name = obj["metadata"]["name"]
                if name not in running and obj.get("status", {}).get("phase") == "Running":
                    running[name] = time.perf_counter()
                    if len(running) >= PODS:
                        done.set()
                        return

        watcher = asyncio.create_task(watch())
        gate = asyncio.Semaphore(32)

        async def create(i: int) -> None:
            async with gate:
                sent[f"burst-{i}"] = time.perf_counter()
                await pods.create(_pod(i), "default")

        begin = time.perf_counter()
        await asyncio.gather(*(create(i) for i in range(PODS)))
        try:
            await asyncio.wait_for(done.wait(), timeout=600)
        finally:
            watcher.cancel()
        wall = max(running.values()) - begin
        busy_pss = _pss_mib(agent_pid)
        latencies = [running[n] - sent[n] for n in sent]
        await pods.delete_collection("default", label_selector="bench=burst")
        deadline = time.monotonic() + 300
        while (await pods.list("default", label_selector="bench=burst"))["items"]:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        return latencies, wall, busy_pss


def _reference(root: str) -> tuple[list[float], float]:
    """The engine alone: the same N sandboxes + containers, WORKERS at a time, timed from the burst start."""
    from kubelite.runtime.cri import ContainerConfig, EngineRuntime, SandboxConfig

    rt = EngineRuntime.open(root)
    begin = time.perf_counter()

    def one(i: int) -> tuple[float, str]:
        sid = rt.run_pod_sandbox(SandboxConfig(name=f"ref-{i}", namespace="bench", uid=f"ref-{i}",
                                               hostname=f"ref-{i}", labels={"bench": "ref"}))
        cid = rt.create_container(sid, ContainerConfig(name="c", image="busybox", command=["sleep", "3600"]))
        rt.start_container(cid)
        return time.perf_counter() - begin, sid

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(one, range(PODS)))
    wall = time.perf_counter() - begin
    def remove(sid: str) -> None:
        rt.stop_pod_sandbox(sid)
        rt.remove_pod_sandbox(sid)

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(remove, [sid for _, sid in results]))
    return [t for t, _ in results], wall


def main() -> None:
    from kubelite.runtime.bootstrap import bootstrap_busybox
    from kubelite.runtime.lifecycle import Engine
    from kubelite.testing.engine_harness import new_engine_root, teardown_engine

    root, net = new_engine_root("kl-bench-kubelet-")
    bootstrap_busybox(root)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        port, kport, node = _free_port(), _free_port(), f"bench-{os.getpid()}"
        try:
            ref_lat, ref_wall = _reference(root)
            procs["server"] = _spawn(root, "server", "--data-dir", str(data), "--listen", f"127.0.0.1:{port}",
                                     log=data / "server.log")
            kubeconfig = data / "kubeconfig"
            deadline = time.monotonic() + 60
            while not kubeconfig.exists():
                if time.monotonic() > deadline or procs["server"].poll() is not None:
                    raise RuntimeError((data / "server.log").read_text()[-2000:])
                time.sleep(0.1)
            procs["agent"] = _spawn(root, "agent", "--kubeconfig", str(kubeconfig), "--node-name", node,
                                    "--kubelet-port", str(kport), log=data / "agent.log")
            try:
                # The agent's baseline once registered (before any pod), then with N pods running.
                asyncio.run(_wait_node(kubeconfig, node))
                idle_pss = _pss_mib(procs["agent"].pid)
                latencies, wall, busy_pss = asyncio.run(_burst(kubeconfig, procs["agent"].pid))
            except Exception:
                print((data / "agent.log").read_text()[-3000:], file=sys.stderr)
                raise
        finally:
            for p in procs.values():
                p.send_signal(signal.SIGINT)
            for p in procs.values():
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            teardown_engine(Engine(root, net=net), root)
    per_pod = (busy_pss - idle_pss) / PODS
    rows = [
        Row(f"pod startup p50, burst of {PODS}", [statistics.median(latencies) * 1000],
            [statistics.median(ref_lat) * 1000], reference_name="engine alone, same parallelism"),
        Row(f"pod startup p99, burst of {PODS}", [_pct(latencies, 0.99) * 1000], [_pct(ref_lat, 0.99) * 1000],
            reference_name="engine alone", target=2000, target_on="value"),
        Row(f"whole burst to all Running ({PODS})", [wall * 1000], [ref_wall * 1000], reference_name="engine alone"),
        Row("agent PSS per running pod", [per_pod], [], unit="MiB"),
    ]
    print(render(f"kubelet: pod startup on one node, {PODS} busybox pods", rows))
    print(f"agent PSS idle {idle_pss:.1f} MiB, with {PODS} pods {busy_pss:.1f} MiB")


async def _wait_node(kubeconfig: Path, node: str) -> None:
    from kubelite.client.rest import Client

    async with Client.from_kubeconfig(kubeconfig) as client:
        deadline = time.monotonic() + 120
        while True:
            items = (await client.resource("v1", "nodes").list())["items"]
            if any(n["metadata"]["name"] == node and any(c.get("type") == "Ready" and c.get("status") == "True"
                                                         for c in n.get("status", {}).get("conditions", []))
                   for n in items):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the node never became Ready")
            await asyncio.sleep(0.2)


if __name__ == "__main__":
    main()

"""``kubelite up``: how long until the node is Ready and the first pod Running, and what an idle cluster
costs in memory.

- Cold: a new data dir (certificates generated, empty SQLite store) on an engine root where the one-time
  setup is done (busybox bootstrapped). Warm: ``kubelite down`` then ``up`` again on the same data dir.
- "node Ready" is the moment the API shows the node Ready *and* its Lease renewed after ``up`` started,
  so a warm resume is not credited with the Ready condition the previous agent left behind. "first pod
  Running" adds creating a busybox pod through the API once ``up`` returns and seeing it Running.
- Idle memory: the server's and the agent's process trees (PSS and RSS summed over every process) after
  30 s without pods.

References from the same run: a bare ``python3 -c pass`` (the floor under any Python process start),
``runc run`` of the same busybox bundle (the floor under a container start, from bench/engine.py), and a
bare interpreter's memory. Anchors from the issue, not measured here: k3d 19.9 s, kind 33.0 s and
minikube 50.8 s to a working cluster (minikube's time-to-k8s), k3s asks 512 MB+. Targets: node Ready
<= 2 s after the one-time setup, idle RSS <= 150 MB.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import Row, render, time_call

RUNS = int(os.environ.get("BENCH_UP_RUNS", "3"))
IDLE_SECONDS = float(os.environ.get("BENCH_UP_IDLE", "30"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kubelite(root: str, *argv: str) -> list[str]:
    return [sys.executable, "-m", "kubelite", "--root", root, *argv]


class Cluster:
    """One data dir on the bench's engine root, started and stopped with the CLI as a user does."""

    def __init__(self, root: str, data_dir: Path) -> None:
        self.root, self.data_dir = root, data_dir
        self.listen, self.kubelet_port = f"127.0.0.1:{_free_port()}", _free_port()
        self.node = os.uname().nodename.lower()
        self.pods = 0

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def up_argv(self) -> list[str]:
        return _kubelite(self.root, "up", "--data-dir", str(self.data_dir), "--listen", self.listen,
                         "--kubelet-port", str(self.kubelet_port), "--no-kubeconfig", "--timeout", "120")

    def down(self) -> None:
        subprocess.run(_kubelite(self.root, "down", "--data-dir", str(self.data_dir)), check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def start(self) -> tuple[float, float, float]:
        """``up`` from now: (node Ready, ``up`` returned, first pod Running), in ms from the start."""
        from kubelite.client.rest import Client

        t0, wall0 = time.perf_counter(), datetime.now(UTC)
        proc = await asyncio.create_subprocess_exec(*self.up_argv(), stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.DEVNULL)
        waiter = asyncio.create_task(proc.wait())
        while not self.kubeconfig.exists():
            if waiter.done():
                raise RuntimeError(f"kubelite up exited {proc.returncode}; see {self.data_dir / 'logs'}")
            await asyncio.sleep(0.01)
        async with Client.from_kubeconfig(self.kubeconfig) as client:
            deadline = time.monotonic() + 120
            while not await self._node_fresh(client, wall0):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"node not Ready after 120 s; see {self.data_dir / 'logs'}")
                if waiter.done() and proc.returncode:
                    raise RuntimeError(f"kubelite up exited {proc.returncode}; see {self.data_dir / 'logs'}")
                await asyncio.sleep(0.01)
            ready = (time.perf_counter() - t0) * 1000
            if await waiter:
                raise RuntimeError(f"kubelite up exited {proc.returncode}; see {self.data_dir / 'logs'}")
            returned = (time.perf_counter() - t0) * 1000
            await self._run_pod(client)
            running = (time.perf_counter() - t0) * 1000
        return ready, returned, running

    async def _node_fresh(self, client: Any, since: datetime) -> bool:
        from kubelite.client.errors import ApiError, TransportError

        try:
            node = await client.resource("v1", "nodes").get(self.node)
            lease = await client.resource("coordination.k8s.io/v1", "leases").get(self.node, "kube-node-lease")
        except (ApiError, TransportError):
            return False
        conditions = (node.get("status") or {}).get("conditions") or []
        if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            return False
        renewed = (lease.get("spec") or {}).get("renewTime") or ""
        try:
            return datetime.fromisoformat(renewed.replace("Z", "+00:00")) >= since
        except ValueError:
            return False

    async def _run_pod(self, client: Any) -> None:
        self.pods += 1
        name = f"first-{self.pods}"
        pods = client.resource("v1", "pods")
        await pods.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "up"}},
                           "spec": {"terminationGracePeriodSeconds": 0, "containers": [
                               {"name": "c", "image": "busybox", "imagePullPolicy": "Never",
                                "command": ["sleep", "3600"]}]}}, "default")
        deadline = time.monotonic() + 120
        while ((await pods.get(name, "default")).get("status") or {}).get("phase") != "Running":
            if time.monotonic() > deadline:
                raise RuntimeError(f"pod {name} not Running after 120 s; see {self.data_dir / 'logs'}")
            await asyncio.sleep(0.01)

    async def remove_pods(self) -> None:
        """Delete the bench's pods and wait until the kubelet has removed them (the next cluster on this
        engine root would otherwise spend its start-up cleaning them)."""
        from kubelite.client.rest import Client

        async with Client.from_kubeconfig(self.kubeconfig) as client:
            pods = client.resource("v1", "pods")
            await pods.delete_collection("default", label_selector="bench=up")
            deadline = time.monotonic() + 120
            while (await pods.list("default", label_selector="bench=up"))["items"]:
                if time.monotonic() > deadline:
                    raise RuntimeError("bench pods not removed after 120 s")
                await asyncio.sleep(0.1)


def _tree(pid: int) -> list[int]:
    """``pid`` and every descendant, from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _memory_mib(pids: list[int]) -> tuple[float, float]:
    """(PSS, RSS) summed over ``pids``, in MiB."""
    pss = rss = 0
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
    return pss / 1024, rss / 1024


def _bare_interpreter_mib() -> tuple[float, float]:
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/proc/{proc.pid}/smaps_rollup").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)  # past the interpreter's start-up: its resident set is settled
        return _memory_mib([proc.pid])
    finally:
        proc.communicate(b"")


def main() -> None:
    from bench.engine import Bench

    if os.geteuid() != 0:
        raise SystemExit("bench/up.py needs root (kubelite up runs a kubelet on runc)")
    engine = Bench()  # busybox bootstrapped on a private root (bridge, subnet, nft table) + a runc bundle
    clusters: list[Cluster] = []
    cold: list[tuple[float, float, float]] = []
    warm: list[tuple[float, float, float]] = []
    python_pass: list[float] = []
    runc: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="kl-bench-up-") as tmp:
            for i in range(RUNS):
                python_pass.append(time_call(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True)))
                runc.append(time_call(engine.runc_run))
                cluster = Cluster(engine.root, Path(tmp) / f"data{i}")
                clusters.append(cluster)
                cold.append(asyncio.run(cluster.start()))
                cluster.down()
                warm.append(asyncio.run(cluster.start()))
                asyncio.run(cluster.remove_pods())
                if i < RUNS - 1:
                    cluster.down()
            # The last cluster, idle: no pods, nothing asked of it for IDLE_SECONDS.
            last = clusters[-1]
            time.sleep(IDLE_SECONDS)
            trees = []
            for part in ("server", "agent"):
                trees += _tree(int((last.data_dir / "run" / f"{part}.pid").read_text()))
            idle_pss, idle_rss = _memory_mib(trees)
            bare_pss, bare_rss = _bare_interpreter_mib()
            for c in clusters:
                c.down()
    finally:
        for c in clusters:
            c.down()
        engine.close()

    def col(samples: list[tuple[float, float, float]], i: int) -> list[float]:
        return [s[i] for s in samples]

    rows = [
        Row("up -> node Ready, cold (new data dir)", col(cold, 0), python_pass, reference_name="python3 -c pass"),
        Row("up -> node Ready, warm (resume)", col(warm, 0), python_pass, reference_name="python3 -c pass",
            target=2000, target_on="value"),
        Row("`kubelite up` returns, cold", col(cold, 1)),
        Row("`kubelite up` returns, warm", col(warm, 1)),
        Row("up -> first pod Running, cold", col(cold, 2), runc, reference_name="runc run, same busybox"),
        Row("up -> first pod Running, warm", col(warm, 2), runc, reference_name="runc run, same busybox"),
        Row(f"idle RSS, server + agent trees ({IDLE_SECONDS:g} s idle)", [idle_rss], [bare_rss], unit="MiB",
            reference_name="bare python3", target=150, target_on="value"),
        Row("idle PSS, server + agent trees", [idle_pss], [bare_pss], unit="MiB", reference_name="bare python3"),
    ]
    print(render("kubelite up: single-node cluster start and idle cost", rows))
    print(f"{len(trees)} processes in the two trees; anchors (not measured here): k3d 19.9 s, kind 33.0 s, "
          "minikube 50.8 s to a working cluster; k3s asks 512 MB+")


if __name__ == "__main__":
    main()

"""Controllers at work and at rest, with real processes: ``kubelite apiserver`` (SQLite), the controller
manager, the scheduler and simulated nodes.

- An RC scaled 0 -> N: time until N pods are Running, against creating N pods directly through the
  same API server in the same run (the API's own cost, the floor any controller pays).
- Controller-manager CPU while idle, over a quiet window, from /proc (reference: the scheduler's, as a
  second idle component measured in the same window).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import Row, render

REPLICAS = int(os.environ.get("BENCH_RC_REPLICAS", "1000"))
NODES = int(os.environ.get("BENCH_RC_NODES", "20"))
IDLE_WINDOW = float(os.environ.get("BENCH_IDLE_SECONDS", "10"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(*argv: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kubelite", *argv], stdout=log.open("ab"),
                            stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rc(name: str, replicas: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"app": name},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


async def _measure(kubeconfig: Path) -> tuple[float, float]:
    from kubelite.client.rest import Client

    async with Client.from_kubeconfig(kubeconfig) as client:
        pods = client.resource("v1", "pods")
        # Reference: N plain pod creates through the same server, 32 in flight.
        gate = asyncio.Semaphore(32)

        async def create(i: int) -> None:
            async with gate:
                await pods.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"direct-{i}"},
                                   "spec": {"containers": [{"name": "c", "image": "busybox"}]}}, "bench-direct")

        await client.resource("v1", "namespaces").create(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench-direct"}})
        start = time.perf_counter()
        await asyncio.gather(*(create(i) for i in range(REPLICAS)))
        direct = time.perf_counter() - start

        start = time.perf_counter()
        await client.resource("v1", "replicationcontrollers").create(_rc("scale", REPLICAS), "default")
        while True:
            items = (await pods.list("default", label_selector="app=scale"))["items"]
            if sum(1 for p in items if (p.get("status") or {}).get("phase") == "Running") >= REPLICAS:
                break
            await asyncio.sleep(0.2)
        return time.perf_counter() - start, direct


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        port = _free_port()
        procs = {"server": _spawn("apiserver", "--data-dir", str(data), "--listen", f"127.0.0.1:{port}",
                                  log=data / "server.log")}
        kubeconfig = data / "kubeconfig"
        try:
            deadline = time.monotonic() + 60
            while not kubeconfig.exists():
                if time.monotonic() > deadline or procs["server"].poll() is not None:
                    raise RuntimeError((data / "server.log").read_text()[-2000:])
                time.sleep(0.1)
            for name, argv in (("controller-manager", ["controller-manager"]), ("scheduler", ["scheduler"]),
                               ("sim", ["sim", "nodes", "--count", str(NODES)])):
                procs[name] = _spawn(*argv, "--kubeconfig", str(kubeconfig), log=data / f"{name}.log")
            rc_time, direct_time = asyncio.run(_measure(kubeconfig))
            time.sleep(3)  # let the last status writes settle before the quiet window
            before = {n: _cpu_seconds(procs[n].pid) for n in ("controller-manager", "scheduler")}
            time.sleep(IDLE_WINDOW)
            after = {n: _cpu_seconds(procs[n].pid) for n in ("controller-manager", "scheduler")}
            idle = {n: 100.0 * (after[n] - before[n]) / IDLE_WINDOW for n in before}
        finally:
            for p in procs.values():
                p.send_signal(signal.SIGINT)
            for p in procs.values():
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
    rows = [
        Row(f"RC 0 -> {REPLICAS} Running ({NODES} sim nodes)", [rc_time], [direct_time], unit="s",
            reference_name=f"{REPLICAS} direct pod creates"),
        Row("controller-manager CPU while idle", [idle["controller-manager"]], [idle["scheduler"]], unit="%",
            reference_name="scheduler, same window"),
    ]
    print(render("controllers (real processes, SQLite)", rows))


if __name__ == "__main__":
    main()

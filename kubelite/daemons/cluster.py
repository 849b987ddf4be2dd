"""``kubelite up/down/status/logs``: the single-node cluster's processes, managed from the CLI.

Layout under the data dir (default ``/var/lib/kubelite/server``)::

    kubeconfig          written by the API server on its first start
    state.db            the SQLite store (objects survive down/up, kills and reboots)
    run/<part>.pid      pid of each running part (server, agent)
    logs/<part>.log     its output

Parts run detached in their own session, so they outlive the CLI. ``up`` starts what is not running
and waits on readiness (the API's /readyz, then the node Ready), never on sleeps; a part that dies while
starting is reported with the tail of its log. ``down`` sends SIGTERM and, after a grace period, SIGKILL.
A pid file is trusted only if that process's command line is ours, so a recycled pid is never killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PARTS = ("server", "agent")


class ClusterError(Exception):
    """A part could not start or stop; the message says which and why, with its log's tail."""


@dataclass(frozen=True)
class ClusterConfig:
    data_dir: Path = Path("/var/lib/kubelite/server")
    engine_root: Path = Path("/var/lib/kubelite")
    listen: str = "127.0.0.1:6443"
    node_name: str = field(default_factory=lambda: os.uname().nodename)
    timeout: float = 60.0
    with_agent: bool = True
    kubelet_port: int = 10250  # the agent's HTTPS endpoint; tests and second clusters pick a free one

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def pid_file(self, part: str) -> Path:
        return self.data_dir / "run" / f"{part}.pid"

    def log_file(self, part: str) -> Path:
        return self.data_dir / "logs" / f"{part}.log"

    def argv(self, part: str) -> list[str]:
        base = [sys.executable, "-m", "kubelite"]
        if part == "server":
            # Cluster DNS on this host's address, a free port, published as kube-dns at 10.96.0.10.
            return [*base, "server", "--data-dir", str(self.data_dir), "--listen", self.listen,
                    "--cluster-dns", "0.0.0.0:0"]
        return [*base, "--root", str(self.engine_root), "agent", "--kubeconfig", str(self.kubeconfig),
                "--node-name", self.node_name, "--kubelet-port", str(self.kubelet_port),
                "--cluster-dns", CLUSTER_DNS]


def running_pid(config: ClusterConfig, part: str) -> int | None:
    """The pid of ``part`` if its pid file names a live kubelite process."""
    try:
        pid = int(config.pid_file(part).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    if b"kubelite" not in cmdline or part.encode() not in cmdline:
        return None
    return pid


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def spawn(config: ClusterConfig, part: str) -> int:
    for d in (config.data_dir / "run", config.data_dir / "logs"):
        d.mkdir(parents=True, exist_ok=True)
    log = config.log_file(part).open("ab")
    proc = subprocess.Popen(config.argv(part), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    config.pid_file(part).write_text(f"{proc.pid}\n")
    return proc.pid


def api_ready(config: ClusterConfig) -> bool:
    """/readyz answers ok (a loopback health probe, so the server's certificate is not checked)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(f"https://{config.listen}/readyz", context=ctx, timeout=2) as resp:
            return bool(resp.status == 200) and config.kubeconfig.exists()
    except OSError:
        return False


def wait_for(config: ClusterConfig, part: str, ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + config.timeout
    while not ready():
        if running_pid(config, part) is None:
            raise ClusterError(f"{part} exited while starting; last lines of {config.log_file(part)}:\n"
                               f"{_tail(config.log_file(part))}")
        if time.monotonic() > deadline:
            raise ClusterError(f"{what} not reached after {config.timeout:g}s; last lines of "
                               f"{config.log_file(part)}:\n{_tail(config.log_file(part))}")
        time.sleep(0.05)


def stop(config: ClusterConfig, part: str, grace: float = 15.0) -> bool:
    """Stop ``part`` if it runs; returns whether it was running."""
    pid = running_pid(config, part)
    if pid is None:
        config.pid_file(part).unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while running_pid(config, part) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    if running_pid(config, part) is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while running_pid(config, part) is not None:
            time.sleep(0.02)
    config.pid_file(part).unlink(missing_ok=True)
    return True


def node_ready(config: ClusterConfig, since: float = 0.0) -> bool:
    """The node this machine registers reports Ready (read through the API) and its agent renewed the
    node's Lease at or after ``since`` (wall-clock seconds): on a resume, the Ready condition the previous
    agent left behind stays True for up to 40 s and says nothing about the agent just started."""
    import asyncio
    from datetime import datetime

    from kubelite.client.errors import ApiError, TransportError
    from kubelite.client.rest import Client

    async def check() -> bool:
        async with Client.from_kubeconfig(config.kubeconfig) as client:
            try:
                node = await client.resource("v1", "nodes").get(config.node_name)
                lease = await client.resource("coordination.k8s.io/v1", "leases").get(
                    config.node_name, "kube-node-lease")
            except (ApiError, TransportError):
                return False
            conditions = (node.get("status") or {}).get("conditions") or []
            if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                return False
            renewed = (lease.get("spec") or {}).get("renewTime") or ""
            try:
                return datetime.fromisoformat(renewed.replace("Z", "+00:00")).timestamp() >= since
            except ValueError:
                return False

    return asyncio.run(check())


CLUSTER_DNS = "10.96.0.10"


def dns_ready(config: ClusterConfig) -> bool:
    """Cluster DNS answers for the ``kubernetes`` Service at its cluster IP, as a pod would ask it."""
    from dnslib import QTYPE, DNSRecord

    question = DNSRecord.question("kubernetes.default.svc.cluster.local", "A")
    try:
        reply = DNSRecord.parse(question.send(CLUSTER_DNS, 53, timeout=1.0))
    except (OSError, ValueError):
        return False
    return any(r.rtype == QTYPE.A for r in reply.rr)

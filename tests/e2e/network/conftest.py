"""A one-node cluster as a user runs it, for service networking: ``kubelite server --cluster-dns`` (API
server, controllers, scheduler, DNS published as kube-dns) and ``kubelite agent`` (kubelet and service
proxy) on a private engine root with its own bridge, subnet and nftables tables; real kubectl 1.32.
Everything (processes, containers, bridge, both nft tables, the root) goes away even on failure."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kubelite.runtime.bootstrap import bootstrap_busybox
from kubelite.runtime.lifecycle import Engine
from kubelite.testing.engine_harness import new_engine_root, teardown_engine
from tests.e2e.apiserver.conftest import KUBECTL_DIR, Kubectl, ServerProcess, free_port, wait_healthy


@dataclass
class Node:
    server: ServerProcess
    root: str
    name: str
    kubectl: Kubectl
    kubelet_port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in self.server.data_dir.glob("*.log"))

    def kubelite(self, *argv: str, log: str | None = None) -> subprocess.Popen[bytes]:
        out = (self.server.data_dir / f"{log}.log").open("ab") if log else subprocess.DEVNULL
        return subprocess.Popen([sys.executable, "-m", "kubelite", "--root", self.root, *argv],
                                stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))

    def stop_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def exec(self, pod: str, container: str, command: list[str]) -> tuple[str, int]:
        """``kubectl exec`` (through the API server to the kubelet); returns (stdout+stderr, exit code)."""
        out = self.kubectl.run("exec", pod, "-c", container, "--", *command, check=False)
        return out.stdout + out.stderr, out.returncode


def start_server(data_dir: Path) -> ServerProcess:
    """``kubelite server`` with cluster DNS on this host's address and a kernel-picked port."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubelite", "server", "--data-dir", str(data_dir),
         "--listen", f"127.0.0.1:{port}", "--cluster-dns", "0.0.0.0:0"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    server = ServerProcess(proc, data_dir, port, log)
    try:
        wait_healthy(server, deadline_s=90)
    except BaseException:
        server.stop(signal.SIGKILL)
        raise
    return server


KUBIA_SH = """#!/bin/sh
# kubia: answer every request with this pod's name; /ready serves the readiness probe until removed.
mkdir -p /www
echo "You've hit $(hostname)" > /www/index.html
echo ok > /www/ready
exec httpd -f -p 8080 -h /www
"""

DOCKERFILE = """FROM busybox
COPY kubia.sh /kubia.sh
RUN chmod +x /kubia.sh
CMD ["/kubia.sh"]
"""


@pytest.fixture(scope="module", params=["nftables", "userspace"])
def node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """The node, once with each proxy mode: kernel rules, and the agent relaying itself."""
    for tool in ("nft", "runc", "conmon"):
        if not any(os.access(os.path.join(d, tool), os.X_OK) for d in os.environ.get("PATH", "").split(":")):
            pytest.fail(f"{tool} not found: make test installs it", pytrace=False)
    root, net = new_engine_root("kl-net-")
    server: ServerProcess | None = None
    node: Node | None = None
    try:
        bootstrap_busybox(root)
        context = tmp_path_factory.mktemp("kubia-image")
        (context / "kubia.sh").write_text(KUBIA_SH)
        (context / "Dockerfile").write_text(DOCKERFILE)
        build = subprocess.run([sys.executable, "-m", "kubelite", "--root", root, "build", "-q", "-t", "kubia:v1",
                                str(context)], check=False, capture_output=True, text=True, timeout=300)
        assert build.returncode == 0, build.stderr
        server = start_server(tmp_path_factory.mktemp("cluster"))
        node = Node(server, root, f"kl-net-{secrets.token_hex(3)}",
                    Kubectl(server, server.data_dir / "kcache", binary=str(KUBECTL_DIR / "kubectl.1.32")),
                    free_port())
        node.procs["agent"] = node.kubelite("agent", "--kubeconfig", str(server.kubeconfig), "--node-name",
                                            node.name, "--kubelet-port", str(node.kubelet_port),
                                            "--cluster-dns", "10.96.0.10", "--proxy-mode", request.param,
                                            log="agent")
        yield node
    finally:
        if node is not None:
            node.stop_all()
        if server is not None:
            server.stop()
        teardown_engine(Engine(root, net=net), root)


def wait_for(node: Node, what: str, check: Any, within: float = 120) -> Any:
    """Poll ``check`` until truthy; on timeout fail with the cluster's logs."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{node.logs()}")
        time.sleep(0.25)

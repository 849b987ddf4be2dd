"""The e2e kubelet cluster: ``kubelite apiserver``, ``controller-manager``, ``scheduler`` and ``kubelite agent``
as real processes on a private engine root (busybox bootstrapped; its own bridge, subnet and nft table),
one per test module, and the helpers its tests share."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from kubelite.runtime.bootstrap import bootstrap_busybox
from kubelite.runtime.lifecycle import Engine
from kubelite.testing.engine_harness import new_engine_root, teardown_engine
from tests.e2e.apiserver.conftest import Kubectl, ServerProcess, free_port, start_server


@dataclass
class Cluster:
    server: ServerProcess
    root: str
    node: str
    kubectl: Kubectl
    kubelet_port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.server.data_dir.glob("*.log"))

    def start(self, *verb: str) -> None:
        log = self.server.data_dir / f"{verb[0]}.log"
        self.procs[verb[0]] = subprocess.Popen(
            [sys.executable, "-m", "kubelite", "--root", self.root, *verb, "--kubeconfig", str(self.server.kubeconfig)],
            stdout=log.open("ab"), stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))

    def start_agent(self) -> None:
        self.start("agent", "--node-name", self.node, "--kubelet-port", str(self.kubelet_port))

    def stop_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root, net = new_engine_root("kl-agent-")
    bootstrap_busybox(root)
    server = start_server(tmp_path_factory.mktemp("cluster"))
    cluster = Cluster(server, root, f"kl-node-{secrets.token_hex(3)}", Kubectl(server, server.data_dir / "kcache"),
                      free_port())
    try:
        cluster.start("controller-manager")
        cluster.start("scheduler")
        cluster.start_agent()
        yield cluster
    finally:
        cluster.stop_all()
        server.stop()
        teardown_engine(Engine(root, net=net), root)


def wait_for(cluster: Cluster, what: str, check: Any, within: float = 90) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{cluster.logs()}")
        time.sleep(0.25)


def get_pod(cluster: Cluster, name: str) -> dict[str, Any] | None:
    out = cluster.kubectl.run("get", "pod", name, "-o", "json", "--ignore-not-found")
    return json.loads(out.stdout) if out.stdout.strip() else None


def ready(cluster: Cluster, name: str) -> dict[str, Any] | None:
    pod = get_pod(cluster, name)
    if not pod or pod.get("status", {}).get("phase") != "Running":
        return None
    conds = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
    return pod if conds.get("Ready") == "True" and pod["status"].get("podIP") else None



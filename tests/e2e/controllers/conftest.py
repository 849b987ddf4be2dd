"""A real-process cluster for the controllers' e2e tests: ``kubelite server`` on SQLite, the controller
manager, the scheduler and two simulated nodes, stopped at the end of the module even on failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.apiserver.conftest import Kubectl, ServerProcess, start_server


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("cluster"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for verb in (["controller-manager"], ["scheduler"], ["sim", "nodes", "--count", "2", "--heartbeat", "5"]):
            log = server.data_dir / f"{verb[0]}.log"
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "kubelite", *verb, "--kubeconfig", str(server.kubeconfig)],
                stdout=log.open("ab"), stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1")))
        yield server
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        server.stop()


@pytest.fixture
def kubectl(cluster: ServerProcess, tmp_path: Path) -> Kubectl:
    return Kubectl(cluster, tmp_path / "cache")

"""``kubelite up/status/down`` as a user runs them: real processes, real kubectl through the merged
context, objects surviving down/up and a kill -9 of the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kubelite(*args: str, home: Path, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "kubelite", *args], capture_output=True, text=True,
                            timeout=timeout, env=dict(os.environ, HOME=str(home)), check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"kubelite {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def kubectl(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["kubectl", f"--cache-dir={home}/.kube/cache", *args], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, HOME=str(home)), check=False)


def test_up_status_down_and_resume(tmp_path: Path) -> None:
    home, data, root = tmp_path / "home", tmp_path / "cluster", tmp_path / "engine"
    home.mkdir()
    common = ["--data-dir", str(data)]
    listen = f"127.0.0.1:{free_port()}"
    try:
        started = time.monotonic()
        up = kubelite("--root", str(root), "up", *common, "--listen", listen, home=home)
        assert "kubelite is up" in up.stdout, up.stdout
        assert time.monotonic() - started < 60
        assert (data / "kubeconfig").exists()
        status = kubelite("--root", str(root), "status", *common, "--listen", listen, home=home)
        assert "server   Running" in status.stdout and "Ready" in status.stdout

        # The merged context is current: plain kubectl talks to the cluster.
        namespaces = kubectl("get", "namespaces", home=home)
        assert namespaces.returncode == 0, namespaces.stderr
        assert "kube-system" in namespaces.stdout
        assert kubectl("create", "configmap", "kept", "--from-literal=a=b", home=home).returncode == 0

        kubelite("--root", str(root), "down", *common, home=home)
        stopped = kubelite("--root", str(root), "status", *common, "--listen", listen, home=home, check=False)
        assert stopped.returncode == 1 and "server   Stopped" in stopped.stdout

        kubelite("--root", str(root), "up", *common, "--listen", listen, "--no-kubeconfig", home=home)
        assert "a" in kubectl("get", "configmap", "kept", "-o", "jsonpath={.data}", home=home).stdout

        # A killed server is noticed and restarted by the next up, with its objects.
        pid = int((data / "run" / "server.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        kubelite("--root", str(root), "up", *common, "--listen", listen, "--no-kubeconfig", home=home)
        assert kubectl("get", "configmap", "kept", home=home).returncode == 0
        # A killed agent leaves its node Ready for a while; the next up waits for the new agent's
        # heartbeat on the node's Lease, not for that stale condition.
        pid = int((data / "run" / "agent.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        killed_at = time.time()
        kubelite("--root", str(root), "up", *common, "--listen", listen, "--no-kubeconfig", home=home)
        node = os.uname().nodename.lower()
        renewed = kubectl("get", "lease", "-n", "kube-node-lease", node, "-o", "jsonpath={.spec.renewTime}",
                          home=home).stdout
        assert datetime.fromisoformat(renewed.replace("Z", "+00:00")).timestamp() >= killed_at - 1, renewed
        logs = kubelite("cluster-logs", "server", *common, "-n", "5", home=home)
        assert logs.stdout.strip()
    finally:
        kubelite("--root", str(root), "down", *common, home=home, check=False)

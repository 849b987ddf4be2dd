"""``kubelite agent --server URL --token T --certificate-authority F`` (no kubeconfig) as a real process:
the agent that replaces the cluster's one runs pods, and the API server reaches its endpoint for
``kubectl logs`` and ``exec`` (the endpoint trusts the API server's client certificate through the CA
given on the command line)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kubelite.client.kubeconfig import load_kubeconfig
from tests.e2e.kubelet.conftest import Cluster, get_pod, ready, wait_for

pytestmark = pytest.mark.e2e

POD = """
apiVersion: v1
kind: Pod
metadata: {name: flagged}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: busybox, command: ["sh", "-c", "echo hello-from-flags; exec sleep 3600"]}]
"""


def test_agent_with_server_and_token_flags(cluster: Cluster, tmp_path: Path) -> None:
    conf = load_kubeconfig(cluster.server.kubeconfig).resolve()
    assert conf.token and conf.ca_data
    ca = tmp_path / "ca.crt"
    ca.write_bytes(conf.ca_data)
    old = cluster.procs["agent"]
    old.send_signal(signal.SIGINT)
    old.wait(timeout=30)
    log = cluster.server.data_dir / "agent.log"
    cluster.procs["agent"] = subprocess.Popen(
        [sys.executable, "-m", "kubelite", "--root", cluster.root, "agent", "--node-name", cluster.node,
         "--kubelet-port", str(cluster.kubelet_port), "--server", conf.server, "--token", conf.token,
         "--certificate-authority", str(ca), "--kubeconfig", str(tmp_path / "no-such-kubeconfig")],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    cluster.kubectl.run("apply", "-f", "-", input=POD)
    wait_for(cluster, "the pod Ready under the --server agent", lambda: ready(cluster, "flagged"))
    assert cluster.procs["agent"].poll() is None
    logs = wait_for(cluster, "kubectl logs through the API server",
                    lambda: cluster.kubectl.run("logs", "flagged", check=False).stdout, within=30)
    assert logs == "hello-from-flags\n"
    assert cluster.kubectl.run("exec", "flagged", "--", "hostname").stdout == "flagged\n"
    cluster.kubectl.run("delete", "pod", "flagged")
    assert get_pod(cluster, "flagged") is None


def test_server_without_token_is_one_line(cluster: Cluster) -> None:
    done = subprocess.run([sys.executable, "-m", "kubelite", "--root", cluster.root, "agent", "--server",
                           "https://127.0.0.1:1"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert done.stderr.strip() == "Error: --server needs --token (or use --kubeconfig)"

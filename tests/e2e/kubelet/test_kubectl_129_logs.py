"""``kubectl logs`` (whole, ``--tail``, ``-f`` receiving a line written after it started) with kubectl 1.29,
the older of the two versions issue 7 names: plain HTTP through the API server's pods/log proxy to the
kubelet, which 1.29 must read exactly as 1.32 does (the 1.32 runs are in test_kubectl_streaming.py)."""

from __future__ import annotations

import dataclasses
import os
import select
import subprocess
import time

import pytest

from tests.e2e.apiserver.conftest import KUBECTL_DIR
from tests.e2e.kubelet.conftest import Cluster, ready, wait_for

pytestmark = pytest.mark.e2e
K129 = str(KUBECTL_DIR / "kubectl.1.29")
POD = """
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: busybox, command: ["sh", "-c", "echo one; echo two; echo three; exec sleep 3600"]}]
"""


def _read_until(proc: subprocess.Popen[bytes], needle: bytes, within: float = 60) -> bytes:
    assert proc.stdout is not None
    fd, seen = proc.stdout.fileno(), b""
    deadline = time.monotonic() + within
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {needle!r} within {within}s; saw {seen!r}")
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError(f"the stream ended before {needle!r}; saw {seen!r}")
            seen += chunk
    return seen


def test_logs_and_follow_with_kubectl_129(cluster: Cluster) -> None:
    kubectl = dataclasses.replace(cluster.kubectl, binary=K129)
    assert "v1.29" in kubectl.run("version", "--client").stdout
    cluster.kubectl.run("apply", "-f", "-", input=POD)
    wait_for(cluster, "talker Ready", lambda: ready(cluster, "talker"))
    wait_for(cluster, "three lines logged", lambda: kubectl.run("logs", "talker").stdout == "one\ntwo\nthree\n")
    assert kubectl.run("logs", "talker", "--tail=1").stdout == "three\n"
    env = dict(os.environ, KUBECONFIG=str(kubectl.server.kubeconfig))
    follower = subprocess.Popen([K129, f"--cache-dir={kubectl.cache_dir}", "logs", "-f", "talker"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        before = _read_until(follower, b"three\n")
        kubectl.run("exec", "talker", "--", "sh", "-c", "echo written-later > /proc/1/fd/1")
        after = _read_until(follower, b"written-later\n")
        assert before + after == b"one\ntwo\nthree\nwritten-later\n"
        assert follower.poll() is None
    finally:
        follower.kill()
        follower.wait(timeout=30)
    cluster.kubectl.run("delete", "pod", "talker", "--wait=false")

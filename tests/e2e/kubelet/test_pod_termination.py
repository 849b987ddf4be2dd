"""Graceful termination on the real engine through real kubectl: ``kubectl delete pod`` stops a container
with its image's STOPSIGNAL (SIGTERM without one), the process's handler runs and the pod is gone when
kubectl returns; a process that ignores the signal is SIGKILLed after terminationGracePeriodSeconds, not
the default 30 s. The handlers write into a hostPath volume, which is the host's directory itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.kubelet.conftest import Cluster, get_pod, ready, wait_for

pytestmark = pytest.mark.e2e

SCRIPT = ('trap "echo got-USR1 > /out/signal; exit 0" USR1; trap "echo got-TERM > /out/signal; exit 0" TERM; '
          'echo started > /out/started; while true; do sleep 0.2; done')


def _pod(name: str, image: str, out: Path, script: str, grace: int = 30) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: {grace}
  volumes: [{{name: out, hostPath: {{path: {out}, type: Directory}}}}]
  containers:
  - name: c
    image: {image}
    command: ["sh", "-c", {script!r}]
    volumeMounts: [{{name: out, mountPath: /out}}]
"""


@pytest.fixture
def out_dirs() -> Iterator[list[Path]]:
    made: list[Path] = []
    yield made
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


def _dir(out_dirs: list[Path]) -> Path:
    d = Path(tempfile.mkdtemp(prefix="kl-term-"))
    out_dirs.append(d)
    return d


def _delete_timed(cluster: Cluster, name: str) -> float:
    began = time.monotonic()
    cluster.kubectl.run("delete", "pod", name, timeout=120)
    took = time.monotonic() - began
    assert get_pod(cluster, name) is None  # kubectl returned after the kubelet's final delete
    return took


def test_stop_signal_from_the_image_or_sigterm(cluster: Cluster, out_dirs: list[Path], tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM busybox\nSTOPSIGNAL SIGUSR1\n")
    built = subprocess.run([sys.executable, "-m", "kubelite", "--root", cluster.root, "build", "-q", "-t",
                            "stopper:1", str(context)], capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    usr1, term = _dir(out_dirs), _dir(out_dirs)
    cluster.kubectl.run("apply", "-f", "-", input=_pod("usr1", "stopper:1", usr1, SCRIPT)
                        + "---" + _pod("term", "busybox", term, SCRIPT))
    for name, d in (("usr1", usr1), ("term", term)):
        wait_for(cluster, f"{name} Ready", lambda name=name: ready(cluster, name))
        wait_for(cluster, f"{name}'s handlers installed", (d / "started").exists, within=30)
    assert _delete_timed(cluster, "usr1") < 25
    assert (usr1 / "signal").read_text().strip() == "got-USR1"
    assert _delete_timed(cluster, "term") < 25
    assert (term / "signal").read_text().strip() == "got-TERM"


def test_a_process_ignoring_the_signal_is_killed_after_the_grace_period(cluster: Cluster,
                                                                        out_dirs: list[Path]) -> None:
    d = _dir(out_dirs)
    stubborn = 'trap "" TERM; echo started > /out/started; while true; do sleep 0.2; done'
    cluster.kubectl.run("apply", "-f", "-", input=_pod("stubborn", "busybox", d, stubborn, grace=3))
    wait_for(cluster, "stubborn Ready", lambda: ready(cluster, "stubborn"))
    wait_for(cluster, "stubborn's trap installed", (d / "started").exists, within=30)
    took = _delete_timed(cluster, "stubborn")
    assert 3 <= took < 25, took  # SIGKILL after the pod's 3 s, not the default 30 s

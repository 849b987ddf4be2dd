"""Graceful termination on the real engine through real kubectl: ``kubectl delete pod`` stops a container
with its image's STOPSIGNAL (SIGTERM without one), the process's handler runs and the pod is gone when
kubectl returns; a process that ignores the signal is SIGKILLed after terminationGracePeriodSeconds, not
the default 30 s. The handlers write into a hostPath volume, which is the host's directory itself. A
container's terminationMessagePath (or its log's tail under FallbackToLogsOnError) becomes the message
of its terminated state."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


MESSAGES = """
apiVersion: v1
kind: Pod
metadata: {name: told}
spec:
  restartPolicy: Never
  containers:
  - {name: file, image: busybox, command: ["sh", "-c", "echo 'config key missing' > /dev/termination-log; exit 3"]}
  - name: custom
    image: busybox
    command: ["sh", "-c", "echo done-here > /tmp/why"]
    terminationMessagePath: /tmp/why
  - name: logs
    image: busybox
    command: ["sh", "-c", "echo starting; echo cannot-connect >&2; exit 2"]
    terminationMessagePolicy: FallbackToLogsOnError
  - name: quiet
    image: busybox
    command: ["sh", "-c", "echo not-a-message; exit 1"]
"""


def test_termination_messages(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=MESSAGES)

    def terminated() -> dict[str, dict[str, Any]]:
        pod = get_pod(cluster, "told") or {}
        states = {c["name"]: c["state"] for c in pod.get("status", {}).get("containerStatuses") or []}
        done = {n: s["terminated"] for n, s in states.items() if "terminated" in s}
        return done if len(done) == 4 else {}

    done = wait_for(cluster, "every container of told terminated", terminated)
    assert done["file"]["message"] == "config key missing\n" and done["file"]["exitCode"] == 3
    assert done["custom"]["message"] == "done-here\n" and done["custom"]["reason"] == "Completed"
    assert done["logs"]["message"] == "starting\ncannot-connect\n" and done["logs"]["exitCode"] == 2
    assert "message" not in done["quiet"]  # the default policy never reads the log
    cluster.kubectl.run("delete", "pod", "told", "--wait=false")

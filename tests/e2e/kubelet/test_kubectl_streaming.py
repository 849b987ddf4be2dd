"""Issue 7's streaming through the API server with the real kubectl 1.32: ``logs`` (follow, tail,
timestamps, limit, previous), ``exec`` (exit codes, piped stdin, a real terminal), ``attach`` to a tty
container, ``cp`` both ways, and the errors kubectl prints for a wrong container or an unscheduled pod.

The API server relays each upgraded connection byte for byte to the kubelet on the pod's node; the
kubelet runs the command in the runc container. Interactive sessions run kubectl on a pseudo-terminal
we hold the master side of, as a person's terminal would be."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.apiserver.conftest import KUBECTL_DIR, Kubectl
from tests.e2e.kubelet.conftest import Cluster, get_pod, ready, wait_for

pytestmark = pytest.mark.e2e

KUBECTL = str(KUBECTL_DIR / "kubectl.1.32")


@pytest.fixture(scope="module")
def kubectl(cluster: Cluster) -> Kubectl:
    return dataclasses.replace(cluster.kubectl, binary=KUBECTL)


@pytest.fixture(params=["1.32", "1.29"])
def any_kubectl(request: pytest.FixtureRequest, cluster: Cluster) -> Kubectl:
    """kubectl 1.32 (WebSocket channels) and 1.29 (SPDY/3.1 only): both reach the kubelet through the
    same byte relay."""
    return dataclasses.replace(cluster.kubectl, binary=str(KUBECTL_DIR / f"kubectl.{request.param}"))


def _pod(name: str, command: str, *, extra: str = "", container: str = "c") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: {container}
    image: busybox
    command: ["sh", "-c", {json.dumps(command)}]
{extra}"""


@pytest.fixture(scope="module")
def shell(cluster: Cluster, kubectl: Kubectl) -> Iterator[str]:
    """A running pod to exec into; its first lines are the log tests' material."""
    kubectl.run("apply", "-f", "-", input=_pod("shell", "echo one; echo two; echo three; exec sleep 100000"))
    wait_for(cluster, "the shell pod Ready", lambda: ready(cluster, "shell"))
    # conmon writes the log a moment after the container runs: wait for it rather than race it.
    wait_for(cluster, "the shell's first lines logged", lambda: kubectl.run("logs", "shell").stdout.count("\n") == 3)
    yield "shell"
    kubectl.run("delete", "pod", "shell", "--wait=false", check=False)


# ------------------------------------------------------------------------------------------- helpers


class Terminal:
    """kubectl on a pseudo-terminal: what it prints is read from the master side, keys written to it."""

    def __init__(self, kubectl: Kubectl, *args: str) -> None:
        self.master, slave = pty.openpty()
        env = dict(os.environ, KUBECONFIG=str(kubectl.server.kubeconfig), TERM="xterm")
        self.proc = subprocess.Popen([kubectl.binary, f"--cache-dir={kubectl.cache_dir}", *args], stdin=slave,
                                     stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.seen = b""

    def expect(self, pattern: bytes, within: float = 60) -> re.Match[bytes]:
        deadline = time.monotonic() + within
        while (match := re.search(pattern, self.seen)) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} on the terminal within {within}s; saw {self.seen!r}")
            ready_fds, _, _ = select.select([self.master], [], [], left)
            if ready_fds:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # EIO: kubectl exited and the slave side is gone
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"kubectl ended before {pattern!r}; saw {self.seen!r}")
                self.seen += chunk
        return match

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait(self, within: float = 60) -> int:
        return self.proc.wait(timeout=within)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        with contextlib.suppress(OSError):
            os.close(self.master)


@contextlib.contextmanager
def terminal(kubectl: Kubectl, *args: str) -> Iterator[Terminal]:
    term = Terminal(kubectl, *args)
    try:
        yield term
    finally:
        term.close()


def _read_until(proc: subprocess.Popen[bytes], needle: bytes, within: float = 60) -> bytes:
    """What a running process printed on stdout, up to and including ``needle``."""
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


# ---------------------------------------------------------------------------------------------- logs


def test_logs_whole_tail_timestamps_and_limit(kubectl: Kubectl, shell: str) -> None:
    assert kubectl.run("logs", shell).stdout == "one\ntwo\nthree\n"
    assert kubectl.run("logs", shell, "--tail=1").stdout == "three\n"
    assert kubectl.run("logs", shell, "-c", "c", "--limit-bytes=4").stdout == "one\n"
    stamped = kubectl.run("logs", shell, "--timestamps").stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == ["one", "two", "three"]
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ", line) for line in stamped), stamped
    assert kubectl.run("logs", shell, "--since=1h").stdout == "one\ntwo\nthree\n"
    assert kubectl.run("logs", shell, "--since-time=2000-01-01T00:00:00Z").stdout == "one\ntwo\nthree\n"
    assert kubectl.run("logs", shell, "--since-time=2999-01-01T00:00:00Z").stdout == ""


def test_logs_follow_sees_a_line_written_after_it_started(kubectl: Kubectl, shell: str) -> None:
    env = dict(os.environ, KUBECONFIG=str(kubectl.server.kubeconfig))
    follower = subprocess.Popen([kubectl.binary, f"--cache-dir={kubectl.cache_dir}", "logs", "-f", shell],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        before = _read_until(follower, b"three\n")
        # Written by the container's first process (its stdout is the log), after the follow began.
        kubectl.run("exec", shell, "--", "sh", "-c", "echo written-later > /proc/1/fd/1")
        after = _read_until(follower, b"written-later\n")
        assert before + after == b"one\ntwo\nthree\nwritten-later\n"
        assert follower.poll() is None  # still following
    finally:
        follower.kill()
        follower.wait(timeout=30)


def test_logs_previous_after_a_restart(cluster: Cluster, kubectl: Kubectl) -> None:
    # The emptyDir outlives the container, so each run knows its number; the first run fails.
    script = "n=$(cat /d/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /d/n; echo run-$n; " \
             "[ $n -ge 2 ] && exec sleep 100000; exit 1"
    extra = """    volumeMounts: [{name: d, mountPath: /d}]
  volumes: [{name: d, emptyDir: {}}]
"""
    kubectl.run("apply", "-f", "-", input=_pod("restarter", script, extra=extra))

    def restarted_and_ready() -> bool:
        pod = ready(cluster, "restarter")
        return bool(pod and pod["status"]["containerStatuses"][0]["restartCount"] >= 1)

    wait_for(cluster, "the restarter pod restarted and Ready", restarted_and_ready, within=120)
    wait_for(cluster, "the second run logged", lambda: kubectl.run("logs", "restarter").stdout != "")
    assert kubectl.run("logs", "restarter").stdout == "run-2\n"
    assert kubectl.run("logs", "restarter", "--previous").stdout == "run-1\n"
    kubectl.run("delete", "pod", "restarter", "--wait=false")


# ---------------------------------------------------------------------------------------------- exec


def test_exec_propagates_exit_code_and_streams(any_kubectl: Kubectl, shell: str) -> None:
    kubectl = any_kubectl
    out = kubectl.run("exec", shell, "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert out.returncode == 3, out
    assert out.stdout == "out\n"
    assert "err\n" in out.stderr and "command terminated with exit code 3" in out.stderr
    assert kubectl.run("exec", shell, "-c", "c", "--", "cat", "/etc/hostname").stdout == "shell\n"


def test_exec_with_piped_stdin(kubectl: Kubectl, shell: str) -> None:
    payload = "".join(f"line {i} of the piped input\n" for i in range(2000))  # ~60 KB: several frames
    out = kubectl.run("exec", "-i", shell, "--", "sh", "-c", "tr a-z A-Z", input=payload)
    assert out.stdout == payload.upper()


def test_exec_it_runs_a_shell_on_a_real_terminal(kubectl: Kubectl, shell: str) -> None:
    with terminal(kubectl, "exec", "-it", shell, "--", "sh") as term:
        term.expect(rb"/ # ")  # busybox's interactive prompt (then it asks the terminal for the cursor)
        term.type(b"echo $((6*7)); tty; exit\n")
        term.expect(rb"\r\n42\r\n")
        term.expect(rb"/dev/pts/\d+")
        assert term.wait() == 0


# ---------------------------------------------------------------------------------------------- attach


def test_attach_to_a_tty_container_keeps_its_shell(cluster: Cluster, any_kubectl: Kubectl) -> None:
    kubectl, name = any_kubectl, "console-" + any_kubectl.binary.rsplit(".", 1)[-1]
    pod = _pod(name, "exec sh", extra="    stdin: true\n    tty: true\n")
    kubectl.run("apply", "-f", "-", input=pod)
    wait_for(cluster, "the console pod Ready", lambda: ready(cluster, name))
    with terminal(kubectl, "attach", "-it", name) as term:
        term.expect(rb"If you don't see a command prompt")
        term.type(b"echo $((6*7))\n")
        term.expect(rb"\r\n42\r\n")
    # The session ended from our side only: the shell (stdinOnce unset) waits for the next one.
    with terminal(kubectl, "attach", "-it", name) as term:
        term.expect(rb"If you don't see a command prompt")
        term.type(b"echo again-$((1+1))\n")
        term.expect(rb"\r\nagain-2\r\n")
        term.type(b"exit\n")
        assert term.wait() == 0
    status = (get_pod(cluster, name) or {})["status"]["containerStatuses"][0]
    assert status["restartCount"] in (0, 1), status  # the exit above may already have been seen
    kubectl.run("delete", "pod", name, "--wait=false")


def test_attach_without_a_terminal_streams_stdout_and_stderr(kubectl: Kubectl, shell: str) -> None:
    env = dict(os.environ, KUBECONFIG=str(kubectl.server.kubeconfig))
    attached = subprocess.Popen([kubectl.binary, f"--cache-dir={kubectl.cache_dir}", "attach", shell],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert attached.stderr is not None
        # Output only reaches sessions already attached, so write until one line arrives.
        deadline = time.monotonic() + 60
        while not select.select([attached.stdout], [], [], 1)[0]:
            assert time.monotonic() < deadline and attached.poll() is None, "kubectl attach showed nothing"
            kubectl.run("exec", shell, "--", "sh", "-c", "echo to-out > /proc/1/fd/1; echo to-err > /proc/1/fd/2")
        assert _read_until(attached, b"to-out\n").endswith(b"to-out\n")
        err_seen = b""
        while b"to-err\n" not in err_seen:
            assert time.monotonic() < deadline, f"no stderr line; saw {err_seen!r}"
            if select.select([attached.stderr], [], [], 1)[0]:
                err_seen += os.read(attached.stderr.fileno(), 4096)
    finally:
        attached.kill()
        attached.wait(timeout=30)


# ---------------------------------------------------------------------------------------------- cp


def test_cp_both_ways(kubectl: Kubectl, shell: str, tmp_path: Path) -> None:
    local = tmp_path / "in.txt"
    local.write_text("copied into the pod\n" * 500)
    kubectl.run("cp", str(local), f"{shell}:/tmp/in.txt")
    assert kubectl.run("exec", shell, "--", "cat", "/tmp/in.txt").stdout == local.read_text()
    back = tmp_path / "hostname"
    kubectl.run("cp", f"{shell}:/etc/hostname", str(back))
    assert back.read_text() == "shell\n"


# ---------------------------------------------------------------------------------------------- errors


def test_wrong_container_and_unscheduled_pod_are_kubectl_errors(cluster: Cluster, any_kubectl: Kubectl,
                                                                shell: str) -> None:
    kubectl = any_kubectl
    out = kubectl.run("exec", shell, "-c", "nope", "--", "true", check=False)
    assert out.returncode != 0 and "container nope is not valid for pod shell" in out.stderr, out
    out = kubectl.run("logs", shell, "-c", "nope", check=False)
    assert out.returncode != 0 and "container nope is not valid for pod shell" in out.stderr, out
    # No scheduler serves this name, so the pod stays without a node.
    floating = "floating-" + kubectl.binary.rsplit(".", 1)[-1]
    kubectl.run("apply", "-f", "-", input=_pod(floating, "sleep 1000", extra="  schedulerName: nobody\n"))
    out = kubectl.run("exec", floating, "--", "true", check=False)
    assert out.returncode != 0 and f"pod {floating} does not have a host assigned" in out.stderr, out
    assert kubectl.run("logs", floating).stdout == ""  # kube answers an empty log for it
    kubectl.run("delete", "pod", floating, "--wait=false")


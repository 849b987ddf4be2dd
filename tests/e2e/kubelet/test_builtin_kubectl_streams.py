"""The built-in ``kubelite kubectl``'s streaming verbs against real processes: ``exec`` (exit codes,
piped stdin, a real terminal), ``attach`` to a tty container, ``port-forward`` to a busybox httpd by
pod and by service, and ``get -w`` seeing a pod created after it started.

Each runs ``python -m kubelite kubectl`` as a user would; interactive ones on a pseudo-terminal we hold
the master side of. The pods are set up with the real kubectl (the cluster fixture's), so a failure
here is the built-in client's."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.e2e.kubelet.conftest import Cluster, get_pod, ready, wait_for

pytestmark = pytest.mark.e2e


def _argv(cluster: Cluster, verb: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "kubelite", "kubectl", verb, "--kubeconfig", str(cluster.server.kubeconfig), *args]


def kl(cluster: Cluster, verb: str, *args: str, input: bytes | None = None,
       within: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(_argv(cluster, verb, *args), input=input, capture_output=True, timeout=within, check=False)


def _pod(name: str, command: str, *, extra: str = "", labels: str = "") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{{labels}}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", {json.dumps(command)}]
{extra}"""


@pytest.fixture(scope="module")
def shell(cluster: Cluster) -> Iterator[str]:
    cluster.kubectl.run("apply", "-f", "-", input=_pod("bshell", "exec sleep 100000"))
    wait_for(cluster, "the shell pod Ready", lambda: ready(cluster, "bshell"))
    yield "bshell"
    cluster.kubectl.run("delete", "pod", "bshell", "--wait=false", check=False)


class Terminal:
    """A process on a pseudo-terminal: what it prints is read from the master side, keys written to it."""

    def __init__(self, argv: list[str], size: tuple[int, int] = (24, 80)) -> None:
        self.master, slave = pty.openpty()
        self.resize(*size)
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                                     env=dict(os.environ, TERM="xterm"))
        os.close(slave)
        self.seen = b""

    def expect(self, pattern: bytes, within: float = 90) -> None:
        deadline = time.monotonic() + within
        while re.search(pattern, self.seen) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} on the terminal within {within}s; saw {self.seen!r}")
            if select.select([self.master], [], [], left)[0]:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # EIO: the process exited and the slave side is gone
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the process ended before {pattern!r}; saw {self.seen!r}")
                self.seen += chunk

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def resize(self, rows: int, columns: int) -> None:
        """What a terminal emulator does when its window changes: new size, SIGWINCH to the session."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        if getattr(self, "proc", None) is not None:
            self.proc.send_signal(signal.SIGWINCH)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        with contextlib.suppress(OSError):
            os.close(self.master)


@contextlib.contextmanager
def terminal(argv: list[str], size: tuple[int, int] = (24, 80)) -> Iterator[Terminal]:
    term = Terminal(argv, size)
    try:
        yield term
    finally:
        term.close()


@contextlib.contextmanager
def background(argv: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def read_until(proc: subprocess.Popen[bytes], pattern: bytes, within: float = 90, *,
               stderr: bool = False) -> re.Match[bytes]:
    """Read the process's stdout (or stderr) until ``pattern`` matches it."""
    stream = proc.stderr if stderr else proc.stdout
    assert stream is not None
    fd, seen = stream.fileno(), b""
    deadline = time.monotonic() + within
    while (match := re.search(pattern, seen)) is None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {pattern!r} within {within}s; saw {seen!r}")
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                err = proc.stderr.read() if proc.stderr and not stderr else b""
                raise AssertionError(f"the process ended before {pattern!r}; saw {seen!r}, stderr {err!r}")
            seen += chunk
    return match


def fetch(url: str, within: float = 60) -> bytes:
    """GET ``url``; a connection the forwarder could not complete yet is retried until the deadline."""
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:
                body: bytes = resp.read()
                return body
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# ------------------------------------------------------------------------------------------------ exec


def test_exec_prints_output_and_returns_the_exit_code(cluster: Cluster, shell: str) -> None:
    ok = kl(cluster, "exec", shell, "--", "sh", "-c", "echo out; echo err >&2")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, b"out\n", b"err\n")
    failed = kl(cluster, "exec", shell, "--", "sh", "-c", "exit 3")
    assert failed.returncode == 3
    assert failed.stderr.decode().strip() == "command terminated with exit code 3"


def test_exec_stdin_is_piped_to_the_command(cluster: Cluster, shell: str) -> None:
    data = b"".join(b"line %d\n" % i for i in range(2000))
    result = kl(cluster, "exec", "-i", shell, "--", "wc", "-lc", input=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [b"2000", str(len(data)).encode()]  # all of it, then end of input


def test_exec_t_without_a_terminal_warns_and_runs_without_one(cluster: Cluster, shell: str) -> None:
    result = kl(cluster, "exec", "-it", shell, "--", "sh", "-c", "tty; true", input=b"")
    assert result.returncode == 0
    assert result.stderr.decode() == "Unable to use a TTY - input is not a terminal or the right kind of file\n"
    assert result.stdout == b"not a tty\n"


def test_exec_errors_are_one_line(cluster: Cluster, shell: str) -> None:
    missing = kl(cluster, "exec", "nope", "--", "true")
    assert missing.returncode != 0
    assert missing.stderr.decode().strip() == 'Error: Error from server (NotFound): pods "nope" not found'
    wrong = kl(cluster, "exec", shell, "-c", "zz", "--", "true")
    assert wrong.returncode != 0 and b"Traceback" not in wrong.stderr
    assert wrong.stderr.decode().count("\n") == 1 and "zz" in wrong.stderr.decode()


def test_exec_it_runs_a_shell_on_a_terminal(cluster: Cluster, shell: str) -> None:
    with terminal(_argv(cluster, "exec", "-it", shell, "--", "sh")) as term:
        term.expect(rb"/ # ")  # busybox's prompt (then it asks the terminal for the cursor)
        term.type(b"echo $((6*7)); exit\n")
        term.expect(rb"\r\n42\r\n")
        assert term.proc.wait(timeout=60) == 0
    with terminal(_argv(cluster, "exec", "-it", shell, "--", "sh")) as term:
        term.expect(rb"/ # ")
        term.type(b"tty; exit 5\n")
        term.expect(rb"\r\n/dev/pts/\d+\r\n")  # the command ran on a terminal
        assert term.proc.wait(timeout=60) == 5


def test_exec_it_follows_the_terminal_size(cluster: Cluster, shell: str) -> None:
    with terminal(_argv(cluster, "exec", "-it", shell, "--", "sh"), size=(33, 111)) as term:
        term.expect(rb"/ # ")
        asks_until(term, b"stty size\n", rb"\r\n33 111\r\n")  # sent when the session opened
        term.resize(44, 99)
        asks_until(term, b"stty size\n", rb"\r\n44 99\r\n")  # sent again on SIGWINCH
        term.type(b"exit\n")
        assert term.proc.wait(timeout=60) == 0


def asks_until(term: Terminal, keys: bytes, pattern: bytes, within: float = 90) -> None:
    """Type ``keys`` until ``pattern`` shows: a resize and the keys typed after it travel on different
    channels, so the first answer may predate the new size."""
    deadline = time.monotonic() + within
    while True:
        term.type(keys)
        try:
            term.expect(pattern, within=5)
            return
        except AssertionError:
            if time.monotonic() > deadline or term.proc.poll() is not None:
                raise


# ---------------------------------------------------------------------------------------------- attach


def test_attach_to_a_tty_container(cluster: Cluster) -> None:
    name = "bconsole"
    cluster.kubectl.run("apply", "-f", "-", input=_pod(name, "exec sh", extra="    stdin: true\n    tty: true\n"))
    try:
        wait_for(cluster, "the console pod Ready", lambda: ready(cluster, name))
        with terminal(_argv(cluster, "attach", "-it", name)) as term:
            term.expect(rb"If you don't see a command prompt")
            term.type(b"echo $((6*7))\n")
            term.expect(rb"\r\n42\r\n")
            term.type(b"exit\n")
            assert term.proc.wait(timeout=60) == 0
        assert (get_pod(cluster, name) or {}).get("status", {}).get("containerStatuses")
    finally:
        cluster.kubectl.run("delete", "pod", name, "--wait=false", check=False)


# ---------------------------------------------------------------------------------------- port-forward


@pytest.fixture(scope="module")
def web(cluster: Cluster) -> Iterator[str]:
    script = "mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www"
    ports = "    ports:\n    - {name: http, containerPort: 8080}\n"
    cluster.kubectl.run("apply", "-f", "-", input=_pod("bweb", script, extra=ports, labels="app: bweb"))
    cluster.kubectl.run("apply", "-f", "-", input="""
apiVersion: v1
kind: Service
metadata: {name: bweb}
spec:
  selector: {app: bweb}
  ports: [{name: web, port: 80, targetPort: http}]
""")
    wait_for(cluster, "the web pod Ready", lambda: ready(cluster, "bweb"))
    yield "bweb"
    cluster.kubectl.run("delete", "service", "bweb", "--wait=false", check=False)
    cluster.kubectl.run("delete", "pod", "bweb", "--wait=false", check=False)


@pytest.mark.parametrize("target,port", [("pod/bweb", "8080"), ("bweb", "http"), ("svc/bweb", "80"),
                                         ("service/bweb", "web")])
def test_port_forward_serves_local_connections(cluster: Cluster, web: str, target: str, port: str) -> None:
    with background(_argv(cluster, "port-forward", target, f":{port}")) as proc:
        match = read_until(proc, rb"Forwarding from 127\.0\.0\.1:(\d+) -> 8080\n")
        local = int(match.group(1))
        for _ in range(3):  # each connection is its own stream
            assert fetch(f"http://127.0.0.1:{local}/") == b"hello-from-bweb\n"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0


def test_port_forward_to_a_deployment_reaches_one_of_its_pods(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input="""
apiVersion: apps/v1
kind: Deployment
metadata: {name: bdeploy}
spec:
  replicas: 1
  selector: {matchLabels: {app: bdeploy}}
  template:
    metadata: {labels: {app: bdeploy}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox
        command: ["sh", "-c", "mkdir -p /www && echo deployed > /www/index.html && exec httpd -f -p 81 -h /www"]
""")
    try:
        def running() -> bool:
            out = cluster.kubectl.run("get", "pods", "-l", "app=bdeploy", "-o", "json").stdout
            return any(p["status"].get("phase") == "Running" for p in json.loads(out)["items"])

        wait_for(cluster, "a running pod of the deployment", running)
        with background(_argv(cluster, "port-forward", "deploy/bdeploy", ":81")) as proc:
            local = int(read_until(proc, rb"Forwarding from 127\.0\.0\.1:(\d+) -> 81\n").group(1))
            assert fetch(f"http://127.0.0.1:{local}/") == b"deployed\n"
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=60) == 0
    finally:
        cluster.kubectl.run("delete", "deployment", "bdeploy", "--wait=false", check=False)


def test_port_forward_errors_are_one_line(cluster: Cluster, web: str) -> None:
    bad = kl(cluster, "port-forward", "svc/bweb", "81")
    assert bad.returncode != 0
    assert bad.stderr.decode().strip() == "Error: Service bweb does not have a service port 81"
    missing = kl(cluster, "port-forward", "nope", "80")
    assert missing.stderr.decode().strip() == 'Error: Error from server (NotFound): pods "nope" not found'
    unnamed = kl(cluster, "port-forward", "pod/bweb", "8080:nope")
    assert unnamed.stderr.decode().strip() == "Error: Pod 'bweb' does not have a named port 'nope'"


def test_port_forward_refuses_a_pod_that_is_not_running(cluster: Cluster) -> None:
    pod = _pod("bstuck", "exec sleep 100000", extra="  nodeSelector: {nowhere: at-all}\n")
    cluster.kubectl.run("apply", "-f", "-", input=pod)
    try:
        stuck = kl(cluster, "port-forward", "bstuck", "80")
        assert stuck.returncode != 0
        assert stuck.stderr.decode().strip() == (
            "Error: unable to forward port because pod is not running. Current status=Pending")
        unplaced = kl(cluster, "exec", "bstuck", "--", "true")
        assert unplaced.returncode != 0
        assert unplaced.stderr.decode().strip() == (
            "Error: Error from server (BadRequest): pod bstuck does not have a host assigned")
    finally:
        cluster.kubectl.run("delete", "pod", "bstuck", "--wait=false", check=False)


# ---------------------------------------------------------------------------------------------- get -w


def test_get_watch_sees_a_new_pod(cluster: Cluster) -> None:
    with background(_argv(cluster, "get", "pods", "-w", "-l", "watch=me")) as proc:
        read_until(proc, rb"No resources found in default namespace\.\n", stderr=True)  # listed: now watching
        cluster.kubectl.run("apply", "-f", "-", input=_pod("bwatched", "exec sleep 100000", labels="watch: me"))
        try:
            read_until(proc, rb"NAME +READY +STATUS +RESTARTS +AGE\nbwatched +\S+ +\S+ +\S+")
        finally:
            cluster.kubectl.run("delete", "pod", "bwatched", "--wait=false", check=False)


def test_get_watch_by_name_follows_that_object_only(cluster: Cluster, shell: str) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=_pod("bnamed", "exec sleep 100000"))
    try:
        with background(_argv(cluster, "get", "pod", "bnamed", "-w", "--show-labels")) as proc:
            read_until(proc, rb"NAME +READY +STATUS +RESTARTS +AGE +LABELS\nbnamed ")
            cluster.kubectl.run("label", "pod", shell, "touched=1", "--overwrite")  # another pod changes first
            cluster.kubectl.run("label", "pod", "bnamed", "touched=1", "--overwrite")
            seen = read_until(proc, rb"(?m)^bnamed .*touched=1$").string  # every row, in order, up to ours
            assert shell.encode() not in seen
    finally:
        cluster.kubectl.run("delete", "pod", "bnamed", "--wait=false", check=False)

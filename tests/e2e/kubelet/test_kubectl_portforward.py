"""Issue 7's SPDY side through the API server with real kubectl: ``port-forward`` with kubectl 1.32 and
1.31 (SPDY tunnelled in a WebSocket), 1.32 forced to plain SPDY, 1.30 and 1.29 (plain SPDY only);
``exec`` (``-i``, exit codes, a terminal) with kubectl 1.29, 1.28 (channel protocol v4) and 1.32 told to
use SPDY (``KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false``); ``attach -it`` and ``cp`` over SPDY.

The pod serves HTTP with busybox httpd on port 80 of its own network namespace; port-forward reaches it
on the pod's loopback. The API server relays each upgraded connection byte for byte to the kubelet."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pty
import select
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.apiserver.conftest import KUBECTL_DIR, Kubectl, free_port
from tests.e2e.kubelet.conftest import Cluster, ready, wait_for

pytestmark = pytest.mark.e2e

K132, K129 = str(KUBECTL_DIR / "kubectl.1.32"), str(KUBECTL_DIR / "kubectl.1.29")
K131, K130, K128 = (str(KUBECTL_DIR / f"kubectl.1.{minor}") for minor in (31, 30, 28))
SPDY_ONLY = {"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false", "KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"}
WEB = """
apiVersion: v1
kind: Pod
metadata: {name: pf-web, labels: {app: pf-web}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: busybox
    command: ["sh", "-c", "mkdir -p /w; echo hello-through-port-forward > /w/index.html;
                          head -c 3000000 /dev/urandom > /w/big; exec httpd -f -p 80 -h /w"]
"""


@pytest.fixture(scope="module")
def web(cluster: Cluster) -> Iterator[str]:
    cluster.kubectl.run("apply", "-f", "-", input=WEB)
    wait_for(cluster, "the pf-web pod Ready", lambda: ready(cluster, "pf-web"))
    yield "pf-web"
    cluster.kubectl.run("delete", "pod", "pf-web", "--wait=false", check=False)


def _kubectl(cluster: Cluster, binary: str) -> Kubectl:
    return dataclasses.replace(cluster.kubectl, binary=binary)


def _env(kubectl: Kubectl, extra: dict[str, str]) -> dict[str, str]:
    return dict(os.environ, KUBECONFIG=str(kubectl.server.kubeconfig), **extra)


def _run(kubectl: Kubectl, extra: dict[str, str], *args: str, input: str | None = None,
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([kubectl.binary, f"--cache-dir={kubectl.cache_dir}", *args], input=input,
                          capture_output=True, text=True, env=_env(kubectl, extra), timeout=120, check=False)


def _read_until(fd: int, needle: bytes, within: float = 90) -> bytes:
    seen = b""
    deadline = time.monotonic() + within
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {needle!r} within {within}s; saw {seen!r}")
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # a pty whose other side is gone
                chunk = b""
            if not chunk:
                raise AssertionError(f"the output ended before {needle!r}; saw {seen!r}")
            seen += chunk
    return seen


@contextlib.contextmanager
def port_forward(kubectl: Kubectl, extra: dict[str, str], *mappings: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([kubectl.binary, f"--cache-dir={kubectl.cache_dir}", "port-forward", "--address",
                             "127.0.0.1", "pod/pf-web", *mappings], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=_env(kubectl, extra))
    try:
        assert proc.stdout is not None
        _read_until(proc.stdout.fileno(), b"Forwarding from 127.0.0.1:" + mappings[-1].split(":")[0].encode())
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=30)


def _get(port: int, path: str = "/") -> str:
    return _fetch(port, path).decode()


def _fetch(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as resp:
        return bytes(resp.read())


@pytest.mark.parametrize(("binary", "extra"), [(K132, {}), (K132, SPDY_ONLY), (K131, {}), (K130, {}), (K129, {})],
                         ids=["1.32-websocket", "1.32-spdy", "1.31-websocket", "1.30-spdy", "1.29-spdy"])
def test_port_forward_reaches_the_pods_loopback(cluster: Cluster, web: str, binary: str,
                                                extra: dict[str, str]) -> None:
    kubectl = _kubectl(cluster, binary)
    local = free_port()
    with port_forward(kubectl, extra, f"{local}:80") as proc:
        # Several connections in a row and at once: each is its own pair of streams in one session.
        assert _get(local) == "hello-through-port-forward\n"
        assert _get(local) == "hello-through-port-forward\n"
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(lambda _: _get(local), range(4))) == ["hello-through-port-forward\n"] * 4
        # Megabytes, far past SPDY's initial 64 KB window: neither side waits for WINDOW_UPDATEs.
        big = _fetch(local, "/big")
        digest = _run(kubectl, extra, "exec", web, "--", "md5sum", "/w/big").stdout.split()[0]
        assert len(big) == 3_000_000 and hashlib.md5(big).hexdigest() == digest
        assert proc.poll() is None


SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: pf-svc}
spec:
  selector: {app: pf-web}
  ports: [{name: http, port: 8080, targetPort: 80}]
"""


def test_port_forward_to_a_service_picks_its_pod_and_target_port(cluster: Cluster, web: str) -> None:
    kubectl = _kubectl(cluster, K132)
    kubectl.run("apply", "-f", "-", input=SERVICE)
    try:
        local = free_port()
        proc = subprocess.Popen([kubectl.binary, f"--cache-dir={kubectl.cache_dir}", "port-forward", "--address",
                                 "127.0.0.1", "svc/pf-svc", f"{local}:8080"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=_env(kubectl, {}))
        try:
            assert proc.stdout is not None
            _read_until(proc.stdout.fileno(), f"Forwarding from 127.0.0.1:{local} -> 80".encode())
            assert _get(local) == "hello-through-port-forward\n"
        finally:
            proc.kill()
            proc.wait(timeout=30)
    finally:
        kubectl.run("delete", "service", "pf-svc", check=False)


def test_port_forward_to_a_closed_port_reports_the_error(cluster: Cluster, web: str) -> None:
    kubectl = _kubectl(cluster, K129)
    local = free_port()
    with port_forward(kubectl, {}, f"{local}:81") as proc:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{local}/", timeout=30):
            pass
        assert proc.stdout is not None
        seen = _read_until(proc.stdout.fileno(), b"connection refused")
        assert b"error forwarding port 81 to pod default/pf-web" in seen


@pytest.mark.parametrize(("binary", "extra"), [(K129, {}), (K128, {}), (K132, SPDY_ONLY)],
                         ids=["1.29", "1.28-v4", "1.32-spdy"])
def test_exec_over_spdy(cluster: Cluster, web: str, binary: str, extra: dict[str, str]) -> None:
    kubectl = _kubectl(cluster, binary)
    out = _run(kubectl, extra, "exec", web, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert out.returncode == 3, out
    assert out.stdout == "out\n" and "err\n" in out.stderr
    assert "command terminated with exit code 3" in out.stderr
    payload = "".join(f"line {i} of the piped input\n" for i in range(3000))  # ~90 KB: many frames
    out = _run(kubectl, extra, "exec", "-i", web, "--", "sh", "-c", "tr a-z A-Z", input=payload)
    assert out.returncode == 0 and out.stdout == payload.upper(), out.stderr


@pytest.mark.parametrize(("binary", "extra"), [(K129, {}), (K132, SPDY_ONLY)], ids=["1.29", "1.32-spdy"])
def test_exec_with_a_terminal_over_spdy(cluster: Cluster, web: str, binary: str, extra: dict[str, str]) -> None:
    kubectl = _kubectl(cluster, binary)
    master, slave = pty.openpty()
    proc = subprocess.Popen([kubectl.binary, f"--cache-dir={kubectl.cache_dir}", "exec", "-it", web, "--", "sh"],
                            stdin=slave, stdout=slave, stderr=slave, env=_env(kubectl, {**extra, "TERM": "xterm"}),
                            start_new_session=True)
    os.close(slave)
    try:
        _read_until(master, b"/ # ")  # busybox's interactive prompt
        os.write(master, b"echo $((6*7)); tty; exit\n")
        seen = _read_until(master, b"/dev/pts/")
        assert b"42" in seen
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        os.close(master)


def test_cp_both_ways_with_kubectl_129(cluster: Cluster, web: str, tmp_path: Path) -> None:
    kubectl = _kubectl(cluster, K129)
    src = tmp_path / "up.txt"
    src.write_text("copied up with kubectl 1.29\n" * 500)
    out = _run(kubectl, {}, "cp", str(src), f"{web}:/tmp/up.txt")
    assert out.returncode == 0, out.stderr
    assert _run(kubectl, {}, "exec", web, "--", "cat", "/tmp/up.txt").stdout == src.read_text()
    dst = tmp_path / "down.txt"
    out = _run(kubectl, {}, "cp", f"{web}:/w/index.html", str(dst))
    assert out.returncode == 0, out.stderr
    assert dst.read_text() == "hello-through-port-forward\n"


CONSOLE = """
apiVersion: v1
kind: Pod
metadata: {name: NAME}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh"]
    stdin: true
    tty: true
"""


@pytest.mark.parametrize(("binary", "extra"), [(K129, {}), (K132, SPDY_ONLY)], ids=["1.29", "1.32-spdy"])
def test_attach_with_a_terminal_over_spdy(cluster: Cluster, binary: str, extra: dict[str, str]) -> None:
    kubectl = _kubectl(cluster, binary)
    name = "console-" + binary[-2:] + ("-spdy" if extra else "")
    cluster.kubectl.run("apply", "-f", "-", input=CONSOLE.replace("NAME", name))
    wait_for(cluster, f"the {name} pod Ready", lambda: ready(cluster, name))
    master, slave = pty.openpty()
    proc = subprocess.Popen([kubectl.binary, f"--cache-dir={kubectl.cache_dir}", "attach", "-it", name],
                            stdin=slave, stdout=slave, stderr=slave, env=_env(kubectl, {**extra, "TERM": "xterm"}),
                            start_new_session=True)
    os.close(slave)
    try:
        _read_until(master, b"If you don't see a command prompt")
        os.write(master, b"echo $((6*7))-attached\n")
        _read_until(master, b"42-attached")
        os.write(master, b"exit\n")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        os.close(master)
        cluster.kubectl.run("delete", "pod", name, "--wait=false", check=False)


def test_official_python_client_port_forward(cluster: Cluster, web: str) -> None:
    """kubernetes.stream.portforward: a WebSocket with the v4 channel protocol, ``?ports=80``."""
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config
    from kubernetes.stream import portforward

    api_client = k8s_config.new_client_from_config(config_file=str(cluster.server.kubeconfig))  # type: ignore[no-untyped-call]
    core = k8s.CoreV1Api(api_client)
    forward = portforward(core.connect_get_namespaced_pod_portforward, web, "default", ports="80")
    sock = forward.socket(80)
    sock.setblocking(True)
    sock.settimeout(60)
    try:
        sock.sendall(b"GET / HTTP/1.0\r\nHost: pod\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):  # httpd answers and closes: the port's socket ends
            answer += chunk
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.") and answer.endswith(b"\r\n\r\nhello-through-port-forward\n")
    assert forward.error(80) is None

"""Real processes: ``kubelite apiserver`` on SQLite over HTTPS, driven by the real kubectl binaries."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

KUBECTL_DIR = Path("/usr/lib/google-cloud-sdk/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    data_dir: Path
    port: int
    log: Path

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def wait_healthy(server: ServerProcess, deadline_s: float = 30.0) -> None:
    """Poll /readyz (anonymous) until it answers ok, failing early if the process died."""
    import ssl
    import urllib.request

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited {server.proc.returncode}: {server.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(server.url + "/readyz", context=ctx, timeout=1) as resp:
                if resp.status == 200 and server.kubeconfig.exists():
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"server not ready: {server.log.read_text()[-2000:]}")


def start_server(data_dir: Path, *extra: str, port: int | None = None) -> ServerProcess:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubelite", "apiserver", "--data-dir", str(data_dir),
         "--listen", f"127.0.0.1:{port}", *extra],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    server = ServerProcess(proc, data_dir, port, log)
    try:
        wait_healthy(server)
    except BaseException:
        server.stop(signal.SIGKILL)
        raise
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path_factory.mktemp("kubelite"))
    try:
        yield srv
    finally:
        srv.stop()


@dataclass
class Kubectl:
    server: ServerProcess
    cache_dir: Path
    binary: str = "kubectl"

    def run(self, *args: str, input: str | None = None, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, KUBECONFIG=str(self.server.kubeconfig))
        result = subprocess.run([self.binary, f"--cache-dir={self.cache_dir}", *args], input=input,
                                capture_output=True, text=True, env=env, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} -> {result.returncode}\n{result.stdout}\n"
                                 f"{result.stderr}")
        return result


@pytest.fixture
def kubectl(server: ServerProcess, tmp_path: Path) -> Kubectl:
    return Kubectl(server, tmp_path / "cache")

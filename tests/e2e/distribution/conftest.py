"""A real ``kubelite registry serve`` process on a free loopback port, and the tools the tests drive."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def require_tool(name: str) -> str:
    """The path of a system tool the test needs; a clear failure (never a skip) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `apt-get install {name}` (the registry e2e tests drive it)",
                    pytrace=False)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kubelite(*args: str, check: bool = True, timeout: float = 120,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubelite", *args], capture_output=True, text=True,
                          check=check, timeout=timeout, env=env)


@dataclass
class RegistryProcess:
    root: Path
    port: int
    log: Path
    extra: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        logf = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kubelite", "registry", "serve", "--addr", self.host,
             "--root", str(self.root), *self.extra],
            stdout=logf, stderr=logf, start_new_session=True)
        logf.close()
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"registry exited with {self.proc.returncode}: {self.log.read_text()}")
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return  # 401: listening, with auth on
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"registry did not come up: {self.log.read_text()}")
                time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RegistryProcess]:
    reg = RegistryProcess(tmp_path / "registry", free_port(), tmp_path / "registry.log")
    reg.start()
    try:
        yield reg
    finally:
        reg.stop()


def skopeo(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    tool = require_tool("skopeo")
    result = subprocess.run([tool, *args], check=False, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        pytest.fail(f"skopeo {' '.join(args)} failed ({result.returncode}): {result.stderr}", pytrace=False)
    return result

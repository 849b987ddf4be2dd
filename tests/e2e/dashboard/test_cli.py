"""``kubelite dashboard`` given bad input answers one line and a non-zero status, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def dashboard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubelite", "dashboard", "--no-open", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_missing_kubeconfig_is_one_line(tmp_path: Path) -> None:
    result = dashboard("--kubeconfig", str(tmp_path / "missing.yaml"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: cannot read kubeconfig {tmp_path / 'missing.yaml'}: "
                                                  "No such file or directory"]


def test_a_port_out_of_range_or_taken_is_one_line(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
        "current-context: x\n")
    result = dashboard("--kubeconfig", str(kubeconfig), "--port", "70000")
    assert result.returncode == 1 and result.stderr.strip() == "Error: --port 70000: not a port number"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = dashboard("--kubeconfig", str(kubeconfig), "--port", str(port))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("warning: the API server at https://127.0.0.1:1 does not answer yet"), lines
    assert lines[-1].startswith(f"Error: cannot serve on 127.0.0.1:{port}:") and "address already in use" in lines[-1]
    assert "Traceback" not in result.stderr

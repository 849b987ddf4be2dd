"""Seed 003's walkthrough, from examples/kubia-docker/README.md: build, run -p -d, curl, inspect, exec,
stop, rm, through the real CLI (build included)."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from kubelite.runtime.bootstrap import bootstrap_busybox
from kubelite.runtime.lifecycle import Engine
from kubelite.testing.engine_harness import free_port, new_engine_root, teardown_engine, wait_for

pytestmark = pytest.mark.e2e

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "kubia-docker")


@pytest.fixture
def root() -> Iterator[str]:
    path, net = new_engine_root("kl-kubia-")
    try:
        bootstrap_busybox(path)
        yield path
    finally:
        teardown_engine(Engine(path, net=net), path)


def test_kubia_walkthrough(root: str) -> None:
    import subprocess

    def kl(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "kubelite", "--root", root, *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, (args, proc.stderr)
        return proc.stdout

    assert "Successfully tagged kubia:latest" in kl("build", "-t", "kubia", os.path.abspath(EXAMPLE))
    port = free_port()
    cid = kl("run", "--name", "kubia-container", "-p", f"{port}:8080", "-d", "kubia").strip()
    body = wait_for(
        lambda: urllib.request.urlopen(f"http://localhost:{port}/", timeout=2).read(), what="kubia to answer"
    )
    assert body == f"You've hit {cid[:12]}\n".encode()
    assert "kubia-container" in kl("ps")
    doc = json.loads(kl("inspect", "kubia-container"))[0]
    assert doc["Config"]["Cmd"] == ["/run.sh"] and doc["Config"]["ExposedPorts"] == {"8080/tcp": {}}
    assert doc["Config"]["StopSignal"] == "SIGTERM" and doc["State"]["Running"] is True
    assert "httpd -f -p 8080" in kl("exec", "kubia-container", "ps")
    assert kl("exec", "kubia-container", "hostname").strip() == cid[:12]
    t0 = time.monotonic()
    kl("stop", "kubia-container")
    assert time.monotonic() - t0 < 5  # run.sh handles SIGTERM: no 10 s grace period wait
    assert json.loads(kl("inspect", "kubia-container"))[0]["State"]["ExitCode"] == 0
    kl("rm", "kubia-container")
    assert kl("ps", "-a", "-q") == ""

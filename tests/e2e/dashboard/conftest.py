"""A real cluster for the dashboard's browser tests, and the browser.

The cluster: the API server, controller manager and scheduler (real processes on SQLite) and one real
node (``kubelite agent`` on a private engine root with busybox bootstrapped, its own bridge, subnet and
nft table), so pods are runc containers with logs and a shell. ``kubelite dashboard`` runs as a process
against it, on a port the kernel picks (read from the URL it prints). The browser is Debian's headless
Chromium driven by Selenium through Debian's chromedriver: nothing is downloaded.

Set ``KUBELITE_SCREENSHOTS=docs/dashboard`` to keep screenshots of the main pages there.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kubelite.runtime.bootstrap import bootstrap_busybox
from kubelite.runtime.lifecycle import Engine
from kubelite.testing.engine_harness import new_engine_root, teardown_engine
from tests.e2e.apiserver.conftest import Kubectl, ServerProcess, free_port, start_server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 180.0  # generous: the machine is shared and pods start real containers


@dataclass
class Cluster:
    server: ServerProcess
    root: str
    node: str
    kubectl: Kubectl
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.server.data_dir.glob("*.log"))

    def start(self, *verb: str) -> subprocess.Popen[bytes]:
        log = self.server.data_dir / f"{verb[0]}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "kubelite", "--root", self.root, *verb, "--kubeconfig", str(self.server.kubeconfig)],
            stdout=log.open("ab"), stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self.procs[verb[0]] = proc
        return proc

    def stop_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@dataclass
class Dashboard:
    url: str  # the login URL, with its token
    token: str

    @property
    def base(self) -> str:
        return self.url.split("/?", 1)[0]


def wait_until(check: Callable[[], Any], what: str, within: float = WAIT, on_fail: Callable[[], str] = str) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` after the deadline."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within:g}s waiting for {what}\n{on_fail()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root, net = new_engine_root("kl-dash-")
    server: ServerProcess | None = None
    cluster: Cluster | None = None
    try:
        bootstrap_busybox(root)
        server = start_server(tmp_path_factory.mktemp("dashboard"))
        cluster = Cluster(server, root, f"kl-dash-{secrets.token_hex(3)}", Kubectl(server, server.data_dir / "kcache"))
        cluster.start("controller-manager")
        cluster.start("scheduler")
        cluster.start("agent", "--node-name", cluster.node, "--kubelet-port", str(free_port()))
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop_all()
        if server is not None:
            server.stop()
        teardown_engine(Engine(root, net=net), root)  # also reaps containers that outlived their records


@pytest.fixture(scope="module")
def dashboard(cluster: Cluster) -> Iterator[Dashboard]:
    proc = cluster.start("dashboard", "--no-open")
    log = cluster.server.data_dir / "dashboard.log"
    try:
        def printed() -> str | None:
            if proc.poll() is not None:
                pytest.fail(f"kubelite dashboard exited {proc.returncode}: {log.read_text()}")
            found = re.search(r"(http://\S+/\?token=(\S+))", log.read_text())
            return found.group(0) if found else None

        url = wait_until(printed, "kubelite dashboard to print its URL", within=60)
        yield Dashboard(url=url, token=url.rsplit("token=", 1)[1])
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(binary):
            pytest.fail(f"{binary} is missing: apt-get install chromium chromium-driver (make test does)",
                        pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    profile = tempfile.mkdtemp(prefix="kl-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver: Any, name: str) -> None:
    """Keep a screenshot of the current page when KUBELITE_SCREENSHOTS names a directory."""
    out = os.environ.get("KUBELITE_SCREENSHOTS")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(out) / f"{name}.png"))

"""The examples' walkthroughs run as their READMEs say: ``kubelite image bootstrap``, ``kubelite build``,
``kubelite up``, then real kubectl 1.32 through the context ``up`` merged into ``~/.kube/config``.

What differs from a user's machine, so the tests never collide with anything else running here: a
private engine root (its own bridge, subnet and nft table), a private HOME (so ``~/.kube/config`` is
the test's), a free API port and a free kubelet port. The engine root is shared by the whole session,
so the Debian base the redis and guestbook images build on is bootstrapped once (about a minute, in the
background from the session's start, while the busybox examples run); each test module
starts its own cluster on it and stops it, and the session removes every container, sandbox, mount,
link and nft table of the root at the end, whatever happened.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kubelite.runtime.lifecycle import Engine
from kubelite.testing.engine_harness import teardown_engine, unique_net

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32"
# The one Debian base the redis and guestbook images share (examples/README.md says the same command).
BASE_TAG = "kubelite-examples:bookworm"
BASE_PACKAGES = "redis-server,php-cli,php-redis"

T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "debian_base: the test builds on the examples' Debian base image, whose "
                                       "bootstrap then starts in the background at the session's start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_taken_by(port: int) -> str | None:
    """What holds TCP ``port`` on this machine, or None: a listening socket, or a DNAT rule another
    cluster (or a ``kubelite run -p``) programmed in some nftables table, which no bind() would notice."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError as err:
            return f"a process listens on it ({err.strerror}; ss -ltnp 'sport = {port}' names it)"
    # The engine publishes ``tcp dport P dnat to ...``; the service proxy lists ``tcp . P : goto ...`` in
    # its node-port map.
    pattern = re.compile(rf"tcp dport {port} .*dnat|tcp \. {port} :")
    ruleset = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=False).stdout
    table = ""
    for line in ruleset.splitlines():
        if line.startswith("table "):
            table = line.removesuffix("{").strip()
        elif pattern.search(line):
            return f"nftables {table} forwards it (another cluster's node port or hostPort)"
    return None


@dataclass
class ExampleEngine:
    """The session's engine root: what ``kubelite --root`` is given."""

    root: Path
    _base: subprocess.Popen[bytes] | None = None
    _base_done: bool = False

    def kubelite(self, *args: str, home: Path | None = None, check: bool = True,
                 timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        if home is not None:
            env["HOME"] = str(home)
        result = subprocess.run([sys.executable, "-m", "kubelite", "--root", str(self.root), *args],
                                capture_output=True, text=True, timeout=timeout, env=env, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubelite {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def start_base(self) -> None:
        """Start bootstrapping the examples' Debian base in the background (about a minute, mostly
        downloads and dpkg), so it overlaps the busybox examples that run first."""
        log = (self.root / "bootstrap.log").open("wb")
        self._base = subprocess.Popen(
            [sys.executable, "-m", "kubelite", "--root", str(self.root), "image", "bootstrap", "debian:bookworm",
             "--include", BASE_PACKAGES, "-t", BASE_TAG], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def ensure_base(self) -> None:
        """The Debian base the redis and guestbook images build on, once its bootstrap has finished."""
        if self._base_done:
            return
        if self._base is None:
            self.start_base()
        assert self._base is not None
        code = self._base.wait(timeout=900)
        if code != 0:
            pytest.fail(f"kubelite image bootstrap debian:bookworm failed ({code}):\n"
                        f"{(self.root / 'bootstrap.log').read_text(errors='replace')[-3000:]}", pytrace=False)
        self._base_done = True

    def stop_base(self) -> None:
        """Let a bootstrap still running finish (it writes under the root the teardown removes); past a
        generous deadline, kill its whole process group (mmdebstrap and its children)."""
        if self._base is None or self._base.poll() is not None:
            return
        try:
            self._base.wait(timeout=600)
        except subprocess.TimeoutExpired:
            os.killpg(self._base.pid, signal.SIGKILL)
            self._base.wait()


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest) -> Iterator[ExampleEngine]:
    root = Path(tempfile.mkdtemp(prefix="kl-examples-"))
    net = unique_net()
    (root / "network").mkdir()
    (root / "network" / "config.json").write_text(
        json.dumps({"bridge": net.bridge, "subnet": net.subnet, "table": net.table}))
    eng = ExampleEngine(root)
    try:
        eng.kubelite("image", "bootstrap", "busybox")
        if any(item.get_closest_marker("debian_base") for item in request.session.items):
            eng.start_base()
        yield eng
    finally:
        eng.stop_base()
        teardown_engine(Engine(str(root), net=net), str(root))


@dataclass
class Cluster:
    """One ``kubelite up`` on the session's engine root, driven with plain ``kubectl`` as the README does."""

    engine: ExampleEngine
    data_dir: Path
    home: Path
    listen: str
    kubelet_port: int

    def up(self) -> subprocess.CompletedProcess[str]:
        return self.engine.kubelite("up", "--data-dir", str(self.data_dir), "--listen", self.listen,
                                    "--kubelet-port", str(self.kubelet_port), home=self.home, timeout=180)

    def down(self) -> subprocess.CompletedProcess[str]:
        return self.engine.kubelite("down", "--data-dir", str(self.data_dir), home=self.home, check=False)

    def kubelite(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return self.engine.kubelite(*args, home=self.home, check=check, timeout=timeout)

    def kubectl_env(self) -> dict[str, str]:
        """The environment plain ``kubectl`` runs in: the test's HOME, so ``~/.kube/config`` is ours."""
        return {k: v for k, v in os.environ.items() if k != "KUBECONFIG"} | {"HOME": str(self.home)}

    def kubectl(self, *args: str, check: bool = True, input: str | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([KUBECTL, *args], capture_output=True, text=True, input=input, timeout=timeout,
                                env=self.kubectl_env(), check=False, cwd=self.home)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} -> {result.returncode}\n{result.stdout}\n"
                                 f"{result.stderr}\n{self.logs()}")
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def pods(self, selector: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.json("get", "pods", "-l", selector)["items"]
        return items

    def ready_pods(self, selector: str, count: int) -> list[dict[str, Any]] | None:
        """Exactly ``count`` pods match, none terminating, all Running and Ready with an IP; else None."""
        pods = [p for p in self.pods(selector) if not p["metadata"].get("deletionTimestamp")]
        if len(pods) != count:
            return None
        for p in pods:
            status = p.get("status") or {}
            conds = {c["type"]: c["status"] for c in status.get("conditions") or []}
            if status.get("phase") != "Running" or conds.get("Ready") != "True" or not status.get("podIP"):
                return None
        return pods

    def logs(self) -> str:
        parts = []
        for log in sorted((self.data_dir / "logs").glob("*.log")):
            parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def wait(self, what: str, check: Callable[[], T | None], within: float = 120) -> T:
        """Poll ``check`` until it returns something truthy; fail with the cluster's logs at the deadline."""
        deadline = time.monotonic() + within
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {within:g}s waiting for {what}\n{self.logs()}", pytrace=False)
            time.sleep(0.25)


@pytest.fixture(scope="module")
def cluster(engine: ExampleEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A fresh single-node cluster for one walkthrough, stopped at the end (its pods go with the engine's
    teardown; the next module's agent removes any it finds without a pod)."""
    base = tmp_path_factory.mktemp("cluster")
    home = base / "home"
    home.mkdir()
    c = Cluster(engine, base / "data", home, f"127.0.0.1:{free_port()}", free_port())
    try:
        up = c.up()
        assert "kubelite is up" in up.stdout, up.stdout + up.stderr
        yield c
    finally:
        try:
            c.kubectl("delete", "all", "--all", "--wait=true", "--timeout=60s", check=False)
        finally:
            c.down()


def http_get(url: str, timeout: float = 3) -> str | None:
    """The body of a GET, or None when nothing answers (yet)."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return str(resp.read().decode())
    except OSError:
        return None

"""Fixtures for the container engine's e2e tests: a private engine root, bridge, subnet and nft table
per test module (unique names, so parallel runs never collide), torn down even on failure."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from kubelite.runtime.lifecycle import Engine
from kubelite.testing.dir_images import DirImageSource, make_busybox_rootfs
from kubelite.testing.engine_harness import teardown_engine, unique_net

TOOLS = {
    "runc": "runc",
    "conmon": "conmon",
    "nft": "nftables",
    "ip": "iproute2",
    "busybox": "busybox-static",
    "unshare": "util-linux",
}


@pytest.fixture(scope="session", autouse=True)
def _require_tools() -> None:
    missing = [
        f"{tool} (apt-get install {pkg})"
        for tool, pkg in TOOLS.items()
        if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    ]
    if missing:
        pytest.fail("container e2e tests need: " + ", ".join(missing), pytrace=False)


@pytest.fixture(scope="session")
def busybox_dir() -> Iterator[str]:
    work = tempfile.mkdtemp(prefix="kl-bb-")
    try:
        yield make_busybox_rootfs(os.path.join(work, "rootfs"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def engine(busybox_dir: str) -> Iterator[Engine]:
    root = tempfile.mkdtemp(prefix="kl-e2e-")
    images = DirImageSource(os.path.join(root, "dirimages"))
    images.add("busybox", busybox_dir, {"Cmd": ["sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]})
    images.add("stopper", busybox_dir, {"Cmd": ["sh"], "StopSignal": "SIGUSR1"})
    eng = Engine(root, images=images, net=unique_net())
    try:
        yield eng
    finally:
        teardown_engine(eng, root)


@pytest.fixture
def clean(engine: Engine) -> Iterator[Engine]:
    """The module's engine, with every container removed after the test."""
    try:
        yield engine
    finally:
        for ctr in list(engine.store.all()):
            try:
                engine.remove(ctr.id, force=True)
            except Exception:
                engine._reap(ctr)

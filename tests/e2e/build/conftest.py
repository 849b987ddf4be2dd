"""Fixtures for build e2e tests: one private engine root with the bootstrapped busybox image, shared
by the module's tests (each uses its own context and tags), unmounted and removed even on failure."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

TOOLS = {"runc": "runc", "busybox": "busybox-static"}


@pytest.fixture(scope="session", autouse=True)
def _require_tools() -> None:
    missing = [f"{tool} (apt-get install {pkg})" for tool, pkg in TOOLS.items()
               if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")]
    if missing:
        pytest.fail("build e2e tests need: " + ", ".join(missing), pytrace=False)


def _mounts_under(root: str) -> list[str]:
    with open("/proc/self/mountinfo") as fh:
        targets = [line.split()[4] for line in fh]
    return sorted((t for t in targets if t.startswith(root + "/")), key=len, reverse=True)


def _teardown(root: str) -> None:
    runc_root = os.path.join(root, "build", "runc")
    if os.path.isdir(runc_root):
        for cid in os.listdir(runc_root):
            subprocess.run(["runc", "--root", runc_root, "delete", "--force", cid], check=False,
                           capture_output=True)
    for target in _mounts_under(root):
        subprocess.run(["umount", "-l", target], check=False, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class Engine:
    root: str

    def build(self, context: str, *args: str) -> subprocess.CompletedProcess[str]:
        """``kubelite build`` as a user runs it: a separate process."""
        argv = [sys.executable, "-m", "kubelite", "--root", self.root, "build", *args, context]
        return subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    from kubelite.runtime.bootstrap import bootstrap_busybox

    root = tempfile.mkdtemp(prefix="kl-build-")
    try:
        bootstrap_busybox(root)
        yield Engine(root)
    finally:
        _teardown(root)


@contextlib.contextmanager
def image_rootfs(root: str, ref: str) -> Iterator[str]:
    """The image's filesystem as a container would see it (an overlay of its layers)."""
    from kubelite.runtime.images import ImageStore
    from kubelite.runtime.snapshots import Snapshotter, mounted

    image = ImageStore(root).resolve(ref)
    snaps = Snapshotter(root)
    key = f"test-{os.getpid()}"
    target = tempfile.mkdtemp(prefix="kl-view-")
    try:
        mounts = snaps.prepare(key, image)
        with mounted(snaps, mounts, target):
            yield target
    finally:
        with contextlib.suppress(Exception):
            snaps.remove(key)
        os.rmdir(target)


def write_tree(base: str, files: dict[str, str]) -> str:
    for rel, content in files.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(content)
    return base

"""Fixtures of the image-side e2e tests: a fresh engine root, the real CLI as a subprocess, and mount
points that are always unmounted, even when a test fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def need(tool: str, package: str) -> str:
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if path is None:
        pytest.fail(f"{tool} not found: install it with 'apt-get install {package}'", pytrace=False)
    return path


@pytest.fixture
def root(tmp_path) -> str:
    path = tmp_path / f"engine-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    return str(path)


class CLI:
    def __init__(self, root: str) -> None:
        self.root = root

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "kubelite", "--root", self.root, *args]

    def __call__(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=timeout, check=False,
                              cwd=REPO)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubelite {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return proc


@pytest.fixture
def kl(root: str) -> CLI:
    return CLI(root)


class Mounts:
    """Mount points made by a test; all unmounted at teardown."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.points: list[str] = []

    def new(self) -> str:
        path = os.path.join(self.base, f"mnt-{uuid.uuid4().hex[:8]}")
        os.makedirs(path)
        self.points.append(path)
        return path

    def cleanup(self) -> None:
        for path in reversed(self.points):
            subprocess.run(["umount", "-l", path], capture_output=True, check=False)


@pytest.fixture
def mounts(tmp_path) -> Iterator[Mounts]:
    m = Mounts(str(tmp_path))
    try:
        yield m
    finally:
        m.cleanup()


def is_mounted(path: str) -> bool:
    with open("/proc/self/mountinfo") as fh:
        return any(line.split()[4] == path for line in fh)

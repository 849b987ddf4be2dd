"""An in-process API server (HTTPS, memory storage) and a kubelite client opened from its kubeconfig."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from kubelite.client.rest import Client
from kubelite.testing.apiserver import RunningApiServer, running_apiserver


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[RunningApiServer]:
    async with running_apiserver(tmp_path / "data") as running:
        yield running


@pytest.fixture
async def client(api: RunningApiServer) -> AsyncIterator[Client]:
    async with Client.from_kubeconfig(api.kubeconfig) as c:
        yield c


async def eventually(check: Callable[[], bool], within: float = 10.0, what: str = "condition") -> None:
    """Poll ``check`` until it holds, failing after ``within`` seconds (never a bare sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def pod(name: str, namespace: str = "default", **labels: str) -> dict:
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }


@pytest.fixture
async def small_api(tmp_path: Path) -> AsyncIterator[RunningApiServer]:
    """A server whose watch history holds only 4 events per resource and that sends a bookmark after
    0.2 s of quiet, so 410 Gone and bookmarks happen within a test."""
    from kubelite.apiserver.config import ApiServerConfig
    from kubelite.apiserver.context import Limits

    cfg = ApiServerConfig(data_dir=tmp_path / "data", port=0, tls=True,
                          limits=Limits(watch_ring_size=4, bookmark_interval=0.2))
    async with running_apiserver(tmp_path / "data", config=cfg) as running:
        yield running


@pytest.fixture
async def small_client(small_api: RunningApiServer) -> AsyncIterator[Client]:
    async with Client.from_kubeconfig(small_api.kubeconfig) as c:
        yield c

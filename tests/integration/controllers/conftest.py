"""A real in-process API server, a client, and a running ReplicationManager for RCs and ReplicaSets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.replication.compute import REPLICA_SET, REPLICATION_CONTROLLER
from kubelite.controllers.replication.controller import ReplicationManager
from kubelite.testing.apiserver import running_apiserver


@dataclass
class Cluster:
    client: Client
    rc: ReplicationManager
    rs: ReplicationManager
    kubeconfig: Path


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with controllers_on(tmp_path, "memory://") as running:
        yield running


@pytest.fixture
async def sqlite_cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with controllers_on(tmp_path, f"sqlite:///{tmp_path / 'state.db'}") as running:
        yield running


@contextlib.asynccontextmanager
async def controllers_on(tmp_path: Path, storage_url: str) -> AsyncIterator[Cluster]:
    async with running_apiserver(tmp_path / "data", storage_url=storage_url) as api, \
            Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        rc = ReplicationManager(REPLICATION_CONTROLLER, client, factory)
        rs = ReplicationManager(REPLICA_SET, client, factory)
        tasks: list[asyncio.Task[None]] = []
        try:
            async with asyncio.TaskGroup() as tg:
                tasks = factory.start(tg)
                tasks += [tg.create_task(rc.run()), tg.create_task(rs.run())]
                yield Cluster(client, rc, rs, api.kubeconfig)
                for t in tasks:
                    t.cancel()
        finally:
            for t in tasks:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await t


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0, what: str = "condition") -> None:
    """Poll an async ``check`` against the API until it holds, failing after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def rc_body(name: str, replicas: int, **extra_spec: object) -> dict:
    return {
        "apiVersion": "v1", "kind": "ReplicationController",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"replicas": replicas, "selector": {"app": name},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
                 **extra_spec},
    }

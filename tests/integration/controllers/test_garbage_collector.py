"""Cascading deletion in all three modes, with the ReplicationController controller making the pods and
the garbage collector cleaning up, on a real in-process API server."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubelite.client.errors import NotFoundError
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.gc.controller import GarbageCollector
from kubelite.controllers.replication.compute import REPLICATION_CONTROLLER
from kubelite.controllers.replication.controller import ReplicationManager
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def controllers(tmp_path: Path) -> AsyncIterator[Client]:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        parts = [ReplicationManager(REPLICATION_CONTROLLER, client, factory), GarbageCollector(client, factory)]
        async with running(factory, *parts):
            yield client


def rc(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": 2, "selector": {"app": name},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


async def test_background_foreground_and_orphan(tmp_path: Path) -> None:
    async with controllers(tmp_path) as client:
        rcs, pods = client.resource("v1", "replicationcontrollers"), client.resource("v1", "pods")

        async def pod_names(app: str) -> list[str]:
            items = (await pods.list("default", label_selector=f"app={app}"))["items"]
            return sorted(p["metadata"]["name"] for p in items)

        async def gone(resource: Any, name: str) -> bool:
            try:
                await resource.get(name, "default")
            except NotFoundError:
                return True
            return False

        for name in ("bg", "fg", "orphan"):
            await rcs.create(rc(name))
        for name in ("bg", "fg", "orphan"):
            await eventually(lambda name=name: _count(pod_names(name), 2), f"{name} pods", within=20)

        await rcs.delete("bg", "default", propagation_policy="Background")
        await eventually(lambda: _count(pod_names("bg"), 0), "background: pods collected", within=20)

        await rcs.delete("fg", "default", propagation_policy="Foreground")
        owner = await rcs.get("fg", "default")  # still there, waiting for its pods
        assert "foregroundDeletion" in owner["metadata"]["finalizers"]
        await eventually(lambda: gone(rcs, "fg"), "foreground: the owner gone after its pods", within=20)
        assert await pod_names("fg") == []

        kept = await pod_names("orphan")
        await rcs.delete("orphan", "default", propagation_policy="Orphan")
        await eventually(lambda: gone(rcs, "orphan"), "orphan: the owner gone", within=20)
        assert await pod_names("orphan") == kept
        for name in kept:
            assert not (await pods.get(name, "default"))["metadata"].get("ownerReferences")


async def _count(names: Any, n: int) -> bool:
    return len(await names) == n

"""Pod GC on a real in-process API server: a pod bound to a node that does not exist is force-deleted."""

from pathlib import Path

import pytest

from kubelite.client.errors import NotFoundError
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.podgc.controller import PodGC
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def test_orphan_of_a_missing_node_is_collected(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        pods = client.resource("v1", "pods")
        await pods.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stranded"},
                           "spec": {"nodeName": "gone-node", "containers": [{"name": "c", "image": "busybox"}]}},
                          "default")
        factory = InformerFactory(client)
        gc = PodGC(client, factory)
        async with running(factory):
            await factory.wait_synced(10)
            await eventually(lambda: len(gc.pods.store.list()) == 1, "the pod in the cache")
            assert await gc.collect() == 1

            async def gone() -> bool:
                try:
                    await pods.get("stranded", "default")
                except NotFoundError:
                    return True
                return False

            await eventually(gone, "the stranded pod deleted")

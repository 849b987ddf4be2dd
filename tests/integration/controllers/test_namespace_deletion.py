"""Deleting a namespace deletes everything inside it, then the namespace itself."""

from pathlib import Path

import pytest

from kubelite.client.errors import NotFoundError
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.namespace.controller import NamespaceController
from kubelite.controllers.replication.compute import REPLICATION_CONTROLLER
from kubelite.controllers.replication.controller import ReplicationManager
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def test_namespace_is_emptied_then_removed(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        parts = [ReplicationManager(REPLICATION_CONTROLLER, client, factory), NamespaceController(client, factory)]
        async with running(factory, *parts):
            namespaces = client.resource("v1", "namespaces")
            await namespaces.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
            await client.resource("v1", "configmaps").create(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "b"}}, "shop")
            await client.resource("v1", "replicationcontrollers").create({
                "apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "web"},
                "spec": {"replicas": 2, "selector": {"app": "web"},
                         "template": {"metadata": {"labels": {"app": "web"}},
                                      "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}, "shop")
            pods = client.resource("v1", "pods")

            async def two_pods() -> bool:
                return len((await pods.list("shop"))["items"]) == 2

            await eventually(two_pods, "the RC's pods", within=20)
            await namespaces.delete("shop")
            ns = await namespaces.get("shop")
            assert ns["status"]["phase"] == "Terminating"

            async def gone() -> bool:
                try:
                    await namespaces.get("shop")
                except NotFoundError:
                    return True
                return False

            await eventually(gone, "the namespace removed", within=30)
            for api_version, plural in (("v1", "pods"), ("v1", "configmaps"), ("v1", "replicationcontrollers")):
                assert (await client.resource(api_version, plural).list("shop"))["items"] == []

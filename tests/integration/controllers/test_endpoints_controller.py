"""The Endpoints/EndpointSlice controller against a real in-process API server."""

from pathlib import Path
from typing import Any

import pytest

from kubelite.client.errors import NotFoundError
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.endpoints.controller import EndpointsController
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def running_pod(client: Client, name: str, ip: str, ready: bool = True) -> None:
    pods = client.resource("v1", "pods")
    container = {"name": "kubia", "image": "kubia", "ports": [{"name": "http", "containerPort": 8080}]}
    pod = await pods.create({"apiVersion": "v1", "kind": "Pod",
                             "metadata": {"name": name, "namespace": "default", "labels": {"app": "kubia"}},
                             "spec": {"nodeName": "node-a", "containers": [container]}})
    await set_ready(client, pod, ip, ready)


async def set_ready(client: Client, pod: dict[str, Any], ip: str, ready: bool) -> None:
    pod["status"] = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                     "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    await client.resource("v1", "pods").update_status(pod)


async def test_endpoints_follow_pods_and_readiness(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        controller = EndpointsController(client, factory)
        async with running(factory, controller):
            await client.resource("v1", "services").create({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kubia-http", "namespace": "default", "labels": {"app": "kubia"}},
                "spec": {"selector": {"app": "kubia"},
                         "ports": [{"name": "web", "port": 80, "targetPort": "http"}]}})
            await running_pod(client, "kubia-a", "10.244.0.2")
            await running_pod(client, "kubia-b", "10.244.0.3")
            endpoints = client.resource("v1", "endpoints")

            async def addresses(kind: str = "addresses") -> list[str]:
                try:
                    ep = await endpoints.get("kubia-http", "default")
                except NotFoundError:
                    return []
                return sorted(a["ip"] for s in ep.get("subsets") or [] for a in s.get(kind) or [])

            async def both_ready() -> bool:
                return await addresses() == ["10.244.0.2", "10.244.0.3"]

            await eventually(both_ready, "both pods in the endpoints")
            ep = await endpoints.get("kubia-http", "default")
            assert ep["subsets"][0]["ports"] == [{"name": "web", "port": 8080, "protocol": "TCP"}]
            slices = (await client.resource("discovery.k8s.io/v1", "endpointslices").list(
                "default", label_selector="kubernetes.io/service-name=kubia-http"))["items"]
            assert len(slices) == 1 and slices[0]["metadata"]["name"].startswith("kubia-http-")
            assert sorted(e["addresses"][0] for e in slices[0]["endpoints"]) == ["10.244.0.2", "10.244.0.3"]

            pod_b = await client.resource("v1", "pods").get("kubia-b", "default")
            await set_ready(client, pod_b, "10.244.0.3", ready=False)

            async def b_unready() -> bool:
                return await addresses() == ["10.244.0.2"] and \
                    await addresses("notReadyAddresses") == ["10.244.0.3"]

            await eventually(b_unready, "the unready pod out of rotation")

            await client.resource("v1", "services").delete("kubia-http", "default")

            async def cleaned() -> bool:
                try:
                    await endpoints.get("kubia-http", "default")
                except NotFoundError:
                    return True
                return False

            await eventually(cleaned, "the endpoints removed with the service")

"""Hand-written Endpoints of a selectorless Service become an EndpointSlice (what the proxy and DNS
read), follow changes, and go away with the Endpoints; the API server's own ``kubernetes`` Service is
mirrored too, and Endpoints marked skip-mirror are not."""

from pathlib import Path
from typing import Any

import pytest

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.endpointslicemirroring.controller import EndpointSliceMirroring
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def test_selectorless_service_endpoints_are_mirrored(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        services, endpoints = client.resource("v1", "services"), client.resource("v1", "endpoints")
        slices = client.resource("discovery.k8s.io/v1", "endpointslices")
        await services.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "external-service"},
                               "spec": {"ports": [{"port": 80}]}}, "default")
        await endpoints.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "external-service"},
                                "subsets": [{"addresses": [{"ip": "11.11.11.11"}, {"ip": "22.22.22.22"}],
                                             "ports": [{"port": 80}]}]}, "default")
        await services.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "own"},
                               "spec": {"ports": [{"port": 53}]}}, "default")
        await endpoints.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {
            "name": "own", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{"addresses": [{"ip": "10.0.0.9"}], "ports": [{"port": 53}]}]}, "default")

        async def addresses(service: str) -> list[str]:
            items: list[dict[str, Any]] = (await slices.list(
                "default", label_selector=f"kubernetes.io/service-name={service}"))["items"]
            return sorted(a for s in items for e in s["endpoints"] for a in e["addresses"])

        factory = InformerFactory(client)
        async with running(factory, EndpointSliceMirroring(client, factory)):
            async def mirrored() -> bool:
                return await addresses("external-service") == ["11.11.11.11", "22.22.22.22"]

            await eventually(mirrored, "the Endpoints mirrored", within=20)

            async def api_server_mirrored() -> bool:
                return len(await addresses("kubernetes")) == 1

            await eventually(api_server_mirrored, "the kubernetes Service's endpoint mirrored", within=20)

            current = await endpoints.get("external-service", "default")
            current["subsets"][0]["addresses"] = [{"ip": "33.33.33.33"}]
            await endpoints.update(current, "default")

            async def followed() -> bool:
                return await addresses("external-service") == ["33.33.33.33"]

            await eventually(followed, "the change followed", within=20)
            await endpoints.delete("external-service", "default")

            async def gone() -> bool:
                return await addresses("external-service") == []

            await eventually(gone, "the slice removed with the Endpoints", within=20)
            assert await addresses("own") == []

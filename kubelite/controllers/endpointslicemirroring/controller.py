"""The EndpointSliceMirroring controller: keys are ``namespace/name`` of a Service and its Endpoints.

``sync(key)``: mirror when the Service has no selector and its Endpoints are not marked skip-mirror
(``compute.should_mirror``); otherwise the desired set is empty. Then bring the slices this controller
owns (labels service-name and managed-by) to the desired bodies: update in place, create what is
missing, delete the rest. Slices are owned by the Service, so deleting it removes them too.
"""

from __future__ import annotations

from kubelite.client.errors import NotFoundError
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.reconciler import Reconciler
from kubelite.client.rest import Client
from kubelite.controllers.endpointslicemirroring.compute import (
    MANAGED_BY,
    JsonDict,
    mirrored_slices,
    should_mirror,
)

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"


class EndpointSliceMirroring:
    def __init__(self, client: Client, factory: InformerFactory, *, workers: int = 1) -> None:
        self.services: Informer = factory.informer("v1", "services")
        self.endpoints: Informer = factory.informer("v1", "endpoints")
        self.slices_api = client.resource("discovery.k8s.io/v1", "endpointslices")
        self.reconciler = Reconciler("endpointslice-mirroring", self.sync, workers=workers)
        self.reconciler.watch(self.services)
        self.reconciler.watch(self.endpoints)

    async def run(self) -> None:
        await self.reconciler.run([self.services, self.endpoints])

    async def sync(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        service = self.services.get(name, namespace)
        endpoints = self.endpoints.get(name, namespace)
        desired = mirrored_slices(endpoints) if endpoints and should_mirror(service, endpoints) else []
        selector = f"{SERVICE_NAME_LABEL}={name},{MANAGED_BY_LABEL}={MANAGED_BY}"
        existing: list[JsonDict] = sorted(
            (await self.slices_api.list(namespace, label_selector=selector))["items"],
            key=lambda s: s["metadata"]["name"])
        for i, body in enumerate(desired):
            if i < len(existing):
                current = existing[i]
                if any(current.get(k) != body[k] for k in ("addressType", "endpoints", "ports")):
                    current.update(body)
                    await self.slices_api.update(current, namespace)
                continue
            assert service is not None  # desired is empty without one
            owner = [{"apiVersion": "v1", "kind": "Service", "name": name, "uid": service["metadata"].get("uid"),
                      "controller": True, "blockOwnerDeletion": True}]
            await self.slices_api.create({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"generateName": f"{name}-", "namespace": namespace, "ownerReferences": owner,
                             "labels": {SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: MANAGED_BY}},
                **body}, namespace)
        for extra in existing[len(desired):]:
            try:
                await self.slices_api.delete(extra["metadata"]["name"], namespace)
            except NotFoundError:
                pass

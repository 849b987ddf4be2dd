"""The Endpoints and EndpointSlice controllers, as one reconciler keyed by Service.

Handlers only enqueue Service keys: a Service's own events, and for a pod event every Service in the
pod's namespace whose selector matches the pod's old or new labels. ``sync(key)``:

1. the Service is gone: delete its Endpoints and the slices this controller manages;
2. it has no selector: leave its Endpoints alone (they are the user's);
3. otherwise compute the desired Endpoints and slices from the cached pods (:mod:`.compute`) and
   converge: create or update the Endpoints, update slices in place in name order, create the missing
   ones (named ``<service>-`` plus a generated suffix) and delete the surplus.

HAZARD: cached objects are shared; everything here is read-only and writes go through the API.
"""

from __future__ import annotations

import logging
from typing import Any

from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import AlreadyExistsError, NotFoundError
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.reconciler import Reconciler
from kubelite.client.rest import Client
from kubelite.client.store import DeletedFinalStateUnknown, meta_namespace_key
from kubelite.controllers.endpoints.compute import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    desired_endpoints,
    desired_slices,
    service_selector,
)

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]


class EndpointsController:
    def __init__(self, client: Client, factory: InformerFactory, *, clock: Clock | None = None,
                 workers: int = 2) -> None:
        self.client = client
        self.clock = clock or RealClock()
        self.services: Informer = factory.informer("v1", "services")
        self.pods: Informer = factory.informer("v1", "pods")
        self.endpoints_api = client.resource("v1", "endpoints")
        self.slices_api = client.resource("discovery.k8s.io/v1", "endpointslices")
        self.reconciler = Reconciler("endpoint-controller", self.sync, workers=workers, clock=self.clock)
        self.reconciler.watch(self.services)
        self.pods.add_event_handler(self._pod_changed, lambda old, new: self._pod_changed(new, old),
                                    self._pod_changed)

    async def run(self) -> None:
        await self.reconciler.run([self.services, self.pods])

    def _pod_changed(self, pod: Any, old: JsonDict | None = None) -> None:
        obj = pod.obj if isinstance(pod, DeletedFinalStateUnknown) else pod
        if not isinstance(obj, dict):
            return
        ns = (obj.get("metadata") or {}).get("namespace", "")
        label_sets = [(obj.get("metadata") or {}).get("labels") or {}]
        if old is not None:
            label_sets.append((old.get("metadata") or {}).get("labels") or {})
        for svc in self.services.store.select(None, namespace=ns):
            selector = service_selector(svc)
            if selector is not None and any(selector.matches(labels) for labels in label_sets):
                self.reconciler.enqueue_key(meta_namespace_key(svc))

    async def sync(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        service = self.services.get(name, namespace)
        if service is None:
            await self._delete_all(namespace, name)
            return
        if service_selector(service) is None:
            return
        pods = self.pods.store.select(None, namespace=namespace)
        await self._sync_endpoints(service, desired_endpoints(service, pods))
        await self._sync_slices(service, desired_slices(service, pods))

    async def _delete_all(self, namespace: str, name: str) -> None:
        try:
            await self.endpoints_api.delete(name, namespace)
        except NotFoundError:
            pass
        for sl in await self._owned_slices(namespace, name):
            try:
                await self.slices_api.delete(sl["metadata"]["name"], namespace)
            except NotFoundError:
                pass

    async def _sync_endpoints(self, service: JsonDict, desired: JsonDict) -> None:
        meta = service["metadata"]
        labels = dict(meta.get("labels") or {})
        try:
            current = await self.endpoints_api.get(meta["name"], meta["namespace"])
        except NotFoundError:
            body = {"apiVersion": "v1", "kind": "Endpoints",
                    "metadata": {"name": meta["name"], "namespace": meta["namespace"], "labels": labels},
                    "subsets": desired["subsets"]}
            try:
                await self.endpoints_api.create(body, meta["namespace"])
            except AlreadyExistsError:
                self.reconciler.enqueue_key(meta_namespace_key(service))  # raced: converge next sync
            return
        if (current.get("subsets") or []) == desired["subsets"] and (current["metadata"].get("labels") or {}) == labels:
            return
        current["subsets"] = desired["subsets"]
        current["metadata"]["labels"] = labels
        await self.endpoints_api.update(current, meta["namespace"])

    async def _owned_slices(self, namespace: str, service_name: str) -> list[JsonDict]:
        selector = f"{SERVICE_NAME_LABEL}={service_name},{MANAGED_BY_LABEL}={MANAGED_BY}"
        items: list[JsonDict] = (await self.slices_api.list(namespace, label_selector=selector))["items"]
        return sorted(items, key=lambda s: s["metadata"]["name"])

    async def _sync_slices(self, service: JsonDict, desired: list[JsonDict]) -> None:
        meta = service["metadata"]
        ns, name = meta["namespace"], meta["name"]
        existing = await self._owned_slices(ns, name)
        labels = {SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: MANAGED_BY}
        owner = [{"apiVersion": "v1", "kind": "Service", "name": name, "uid": meta.get("uid"),
                  "controller": True, "blockOwnerDeletion": True}]
        for i, body in enumerate(desired):
            if i < len(existing):
                current = existing[i]
                if all(current.get(k) == body[k] for k in ("addressType", "endpoints", "ports")):
                    continue
                current.update(body)
                await self.slices_api.update(current, ns)
            else:
                await self.slices_api.create({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                                              "metadata": {"generateName": f"{name}-", "namespace": ns,
                                                           "labels": labels, "ownerReferences": owner},
                                              **body}, ns)
        for extra in existing[len(desired):]:
            try:
                await self.slices_api.delete(extra["metadata"]["name"], ns)
            except NotFoundError:
                pass

"""The garbage collector: carries out :func:`~.compute.plan` over every watched kind.

All events enqueue one key, so a burst costs one pass over the caches. Caches of different kinds lag
each other (a ReplicaSet's pods can arrive before the ReplicaSet), so before deleting a dependent
whose owners look absent, each owner is read live from the API, as Kubernetes' collector does; deletes
carry the dependent's uid as a precondition, so a re-created object of the same name is never hit.
"""

from __future__ import annotations

import logging
from typing import Any

from kubelite.api.resources import REGISTRY
from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import ConflictError, NotFoundError
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.reconciler import Reconciler
from kubelite.client.rest import Client
from kubelite.controllers.gc.compute import Ref, plan

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
KEY = "graph"
WATCHED = (
    ("v1", "pods"), ("v1", "replicationcontrollers"), ("v1", "services"), ("v1", "endpoints"),
    ("v1", "configmaps"), ("v1", "secrets"), ("apps/v1", "replicasets"), ("apps/v1", "deployments"),
    ("apps/v1", "daemonsets"), ("apps/v1", "statefulsets"), ("batch/v1", "jobs"), ("batch/v1", "cronjobs"),
    ("discovery.k8s.io/v1", "endpointslices"),
)


class GarbageCollector:
    def __init__(self, client: Client, factory: InformerFactory, *, clock: Clock | None = None) -> None:
        self.client = client
        self.informers: list[Informer] = [factory.informer(v, p) for v, p in WATCHED]
        self.kinds = {inf.resource.kind for inf in self.informers if inf.resource.kind}
        self.reconciler = Reconciler("garbage-collector", self.sync, workers=1, clock=clock or RealClock())
        for inf in self.informers:
            inf.add_event_handler(self._poke, lambda _old, _new: self._poke(None), self._poke)

    def _poke(self, _obj: Any) -> None:
        self.reconciler.enqueue_key(KEY)

    async def run(self) -> None:
        await self.reconciler.run(self.informers)

    def _api(self, api_version: str, kind: str) -> Any:
        resource = REGISTRY.by_api_version_kind(api_version, kind)
        if resource is None:
            return None
        return self.client.resource(api_version, resource.plural)

    async def _owner_present(self, ref: JsonDict, namespace: str) -> bool:
        api = self._api(ref.get("apiVersion", ""), ref.get("kind", ""))
        if api is None:
            return True  # a kind we do not know: never assume it gone
        try:
            owner = await api.get(ref.get("name", ""), namespace if api.namespaced else None)
        except NotFoundError:
            return False
        return bool((owner.get("metadata") or {}).get("uid") == ref.get("uid"))

    async def sync(self, key: str) -> None:
        objects = [obj for inf in self.informers for obj in inf.store.list()]
        todo = plan(objects, self.kinds)
        by_uid = {(o.get("metadata") or {}).get("uid"): o for o in objects}
        for ref, policy in todo.delete:
            dependent = by_uid.get(ref.uid) or {}
            owners = (dependent.get("metadata") or {}).get("ownerReferences") or []
            if policy == "Background" and any([await self._owner_present(o, ref.namespace) for o in owners]):
                continue  # the cache was behind: an owner exists
            await self._delete(ref, policy)
        for ref, uids in todo.remove_owner_refs:
            await self._strip_refs(by_uid.get(ref.uid) or {}, ref, set(uids))
        for ref, finalizer in todo.remove_finalizer:
            await self._drop_finalizer(by_uid.get(ref.uid) or {}, ref, finalizer)

    async def _delete(self, ref: Ref, policy: str) -> None:
        api = self._api(ref.api_version, ref.kind)
        if api is None:
            return
        try:
            await api.delete(ref.name, ref.namespace or None, propagation_policy=policy, uid=ref.uid)
            log.info("deleted dependent", extra={"object": f"{ref.kind}/{ref.namespace}/{ref.name}",
                                                 "propagation": policy})
        except (NotFoundError, ConflictError):
            pass  # gone already, or a new object of that name

    async def _strip_refs(self, obj: JsonDict, ref: Ref, uids: set[str]) -> None:
        api = self._api(ref.api_version, ref.kind)
        meta = obj.get("metadata") or {}
        if api is None or not meta:
            return
        kept = [r for r in meta.get("ownerReferences") or [] if r.get("uid") not in uids]
        patch = {"metadata": {"ownerReferences": kept or None, "resourceVersion": meta.get("resourceVersion")}}
        try:
            await api.patch(ref.name, patch, ref.namespace or None)
        except (NotFoundError, ConflictError):
            self.reconciler.enqueue_after(KEY, 0.5)

    async def _drop_finalizer(self, obj: JsonDict, ref: Ref, finalizer: str) -> None:
        api = self._api(ref.api_version, ref.kind)
        meta = obj.get("metadata") or {}
        if api is None or not meta:
            return
        kept = [f for f in meta.get("finalizers") or [] if f != finalizer]
        patch = {"metadata": {"finalizers": kept or None, "resourceVersion": meta.get("resourceVersion")}}
        try:
            await api.patch(ref.name, patch, ref.namespace or None)
        except (NotFoundError, ConflictError):
            self.reconciler.enqueue_after(KEY, 0.5)

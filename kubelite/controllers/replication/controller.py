"""The ReplicaSet and ReplicationController controllers: keep ``spec.replicas`` pods alive.

One :class:`ReplicationManager` serves one kind (:data:`~.compute.REPLICA_SET` or
:data:`~.compute.REPLICATION_CONTROLLER`). Informer handlers only enqueue owner keys and settle
expectations; ``sync(key)``:

1. reads the owner from the cache (gone: forget its expectations, return);
2. claims pods: adopts matching orphans, releases owned pods that stopped matching (conditional patches);
3. if expectations are satisfied, creates the missing pods in slow-start batches or deletes the surplus,
   least valuable first (see :func:`~.compute.deletion_order`), recording SuccessfulCreate /
   SuccessfulDelete (or FailedCreate / FailedDelete) Events;
4. writes the status computed by :func:`~.compute.compute_status` when it changed, and requeues itself
   for when a ready pod will have been ready for ``minReadySeconds``.

HAZARD: owners and pods come from informer caches and are shared: this module only reads them and
writes through the API.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import Any

from kubelite.api.meta import controller_ref
from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import ApiError, ConflictError, NotFoundError, TransportError
from kubelite.client.events import NORMAL, WARNING, EventRecorder
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.reconciler import Reconciler
from kubelite.client.rest import Client
from kubelite.client.store import DeletedFinalStateUnknown, meta_namespace_key
from kubelite.controllers.expectations import Expectations
from kubelite.controllers.replication import compute
from kubelite.controllers.replication.compute import Kind

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]


class ReplicationManager:
    """Constructed with its dependencies, starts nothing; ``await run()`` works until cancelled."""

    def __init__(self, kind: Kind, client: Client, factory: InformerFactory, *,
                 recorder: EventRecorder | None = None, clock: Clock | None = None, workers: int = 2,
                 burst_replicas: int = compute.BURST_REPLICAS) -> None:
        self.kind = kind
        self.client = client
        self.clock: Clock = clock or RealClock()
        self.burst_replicas = burst_replicas
        self.pods_api = client.resource("v1", "pods")
        self.owners_api = client.resource(kind.api_version, kind.plural)
        self.owners: Informer = factory.informer(kind.api_version, kind.plural)
        self.pods: Informer = factory.informer("v1", "pods")
        component = "replicaset-controller" if kind.kind == "ReplicaSet" else "replication-controller"
        self.recorder = recorder or EventRecorder(client, component, clock=self.clock)
        self.expectations = Expectations()
        self.reconciler = Reconciler(component, self.sync, workers=workers, clock=self.clock)
        self.owners.add_event_handler(self._owner_added, self._owner_updated, self._owner_deleted)
        self.pods.add_event_handler(self._pod_added, self._pod_updated, self._pod_deleted)

    async def run(self) -> None:
        await self.reconciler.run([self.owners, self.pods])

    # ------------------------------------------------------------------------ event handlers

    def _owner_added(self, owner: JsonDict) -> None:
        self.reconciler.enqueue(owner)

    def _owner_updated(self, old: JsonDict, new: JsonDict) -> None:
        self.reconciler.enqueue(new)

    def _owner_deleted(self, owner: JsonDict | DeletedFinalStateUnknown) -> None:
        key = owner.key if isinstance(owner, DeletedFinalStateUnknown) else meta_namespace_key(owner)
        self.expectations.delete(key)
        self.reconciler.enqueue_key(key)

    def _owner_key_of(self, pod: JsonDict) -> str | None:
        """The key of the owner of this kind controlling ``pod``, if it is in the cache with that uid."""
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != self.kind.kind:
            return None
        ns = (pod.get("metadata") or {}).get("namespace") or ""
        key = f"{ns}/{ref.get('name', '')}"
        owner = self.owners.store.get_by_key(key)
        if owner is None or (owner.get("metadata") or {}).get("uid") != ref.get("uid"):
            return None
        return key

    def _matching_owner_keys(self, pod: JsonDict) -> list[str]:
        ns = (pod.get("metadata") or {}).get("namespace") or ""
        labels = compute.labels_of(pod)
        return [meta_namespace_key(o) for o in self.owners.store.select(None, namespace=ns)
                if self.kind.selector(o).matches(labels)]

    def _pod_added(self, pod: JsonDict) -> None:
        if compute.is_being_deleted(pod):
            self._pod_deleted(pod)  # restarted controller seeing a pod already on its way out
            return
        key = self._owner_key_of(pod)
        if key is not None:
            self.expectations.creation_observed(key)
            self.reconciler.enqueue_key(key)
            return
        if controller_ref(pod) is None:
            for owner_key in self._matching_owner_keys(pod):  # an orphan: whoever matches may adopt it
                self.reconciler.enqueue_key(owner_key)

    def _pod_updated(self, old: JsonDict, new: JsonDict) -> None:
        if old.get("metadata", {}).get("resourceVersion") == new.get("metadata", {}).get("resourceVersion"):
            return  # resync or relist: owners are resynced by their own informer
        if compute.is_being_deleted(new) and not compute.is_being_deleted(old):
            self._pod_deleted(new)  # graceful deletion started: count it gone now, as Kubernetes does
            return
        old_key, new_key = self._owner_key_of(old), self._owner_key_of(new)
        if old_key and old_key != new_key:
            self.reconciler.enqueue_key(old_key)
        if new_key:
            self.reconciler.enqueue_key(new_key)
        elif controller_ref(new) is None and (compute.labels_of(old) != compute.labels_of(new) or old_key):
            for owner_key in self._matching_owner_keys(new):
                self.reconciler.enqueue_key(owner_key)

    def _pod_deleted(self, pod: JsonDict | DeletedFinalStateUnknown) -> None:
        obj = pod.obj if isinstance(pod, DeletedFinalStateUnknown) else pod
        key = self._owner_key_of(obj)
        if key is None:
            return
        self.expectations.deletion_observed(key, meta_namespace_key(obj))
        self.reconciler.enqueue_key(key)

    # ---------------------------------------------------------------------------------- sync

    async def sync(self, key: str) -> None:
        owner = self.owners.store.get_by_key(key)
        if owner is None:
            self.expectations.delete(key)
            return
        ns = (owner.get("metadata") or {}).get("namespace") or ""
        selector = self.kind.selector(owner)
        needs_sync = self.expectations.satisfied(key, self.clock.monotonic())
        claim = compute.claim_pods(owner, selector, self.pods.store.select(None, namespace=ns))
        active = [p for p in claim.owned if compute.is_active(p)]
        active += await self._adopt_and_release(owner, claim)

        manage_error: tuple[str, str] | None = None
        if needs_sync and not compute.is_being_deleted(owner):
            manage_error = await self._manage_replicas(key, owner, active)

        now = self.clock.now()
        status = compute.compute_status(owner, active, now, manage_error)
        if compute.status_changed(owner, status):
            await self._write_status(owner, status)
        min_ready = int((owner.get("spec") or {}).get("minReadySeconds") or 0)
        waits = [w for p in active if (w := compute.time_until_available(p, min_ready, now)) is not None]
        if waits:
            self.reconciler.enqueue_after(key, min(waits) + 0.1)
        if manage_error is not None:
            raise RuntimeError(f"{manage_error[0]}: {manage_error[1]}")  # transient: requeue with backoff

    async def _adopt_and_release(self, owner: JsonDict, claim: compute.Claim) -> list[JsonDict]:
        """Carry out the claim; returns the newly adopted active pods."""
        adopted: list[JsonDict] = []
        if claim.adopt:
            # Kubernetes re-reads the owner from the server before adopting: a cached owner may already
            # be deleted (or replaced by one of the same name), and adoption must not outlive it.
            fresh = await self.owners_api.get(owner["metadata"]["name"], owner["metadata"]["namespace"])
            if fresh["metadata"].get("uid") != owner["metadata"].get("uid") or compute.is_being_deleted(fresh):
                return []
            for pod in claim.adopt:
                try:
                    patched = await self.pods_api.patch(pod["metadata"]["name"], compute.adoption_patch(owner, pod),
                                                        pod["metadata"]["namespace"])
                except (NotFoundError, ConflictError):
                    continue  # changed or gone since we looked: the next sync sees it as it is
                if compute.is_active(patched):
                    adopted.append(patched)
        for pod in claim.release:
            try:
                await self.pods_api.patch(pod["metadata"]["name"], compute.release_patch(owner, pod),
                                          pod["metadata"]["namespace"])
            except (NotFoundError, ConflictError):
                continue
        return adopted

    async def _manage_replicas(self, key: str, owner: JsonDict, active: list[JsonDict]) -> tuple[str, str] | None:
        diff = len(active) - compute.replicas_of(owner)
        if diff < 0:
            return await self._create(key, owner, min(-diff, self.burst_replicas))
        if diff > 0:
            return await self._delete(key, owner, active, min(diff, self.burst_replicas))
        return None

    async def _create(self, key: str, owner: JsonDict, count: int) -> tuple[str, str] | None:
        self.expectations.expect_creations(key, count, self.clock.monotonic())
        done = 0
        for batch in compute.slow_start_batches(count):
            results = await asyncio.gather(*(self._create_one(owner) for _ in range(batch)))
            failures = [r for r in results if r is not None]
            done += batch
            if failures:
                # Creations that failed, and the batches we now skip, will never be observed.
                self.expectations.lower_creations(key, len(failures) + (count - done))
                return ("FailedCreate", failures[0])
        return None

    async def _create_one(self, owner: JsonDict) -> str | None:
        try:
            pod = await self.pods_api.create(compute.pod_from_template(owner))
        except (ApiError, TransportError) as err:
            self.recorder.emit(owner, WARNING, "FailedCreate", f"Error creating: {err}")
            return str(err)
        self.recorder.emit(owner, NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return None

    async def _delete(self, key: str, owner: JsonDict, active: list[JsonDict], count: int) -> tuple[str, str] | None:
        victims = compute.deletion_order(active)[:count]
        self.expectations.expect_deletions(key, [meta_namespace_key(p) for p in victims], self.clock.monotonic())
        results = await asyncio.gather(*(self._delete_one(key, owner, p) for p in victims))
        failures = [r for r in results if r is not None]
        return ("FailedDelete", failures[0]) if failures else None

    async def _delete_one(self, key: str, owner: JsonDict, pod: JsonDict) -> str | None:
        name = pod["metadata"]["name"]
        try:
            await self.pods_api.delete(name, pod["metadata"]["namespace"], uid=pod["metadata"].get("uid"))
        except NotFoundError:
            self.expectations.deletion_observed(key, meta_namespace_key(pod))  # already gone
            return None
        except (ApiError, TransportError) as err:
            self.expectations.deletion_observed(key, meta_namespace_key(pod))  # its event will never come
            self.recorder.emit(owner, WARNING, "FailedDelete", f"Error deleting: {err}")
            return str(err)
        self.recorder.emit(owner, NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")
        return None

    async def _write_status(self, owner: JsonDict, status: JsonDict) -> None:
        """PUT the status; on a conflict re-read once and retry, as Kubernetes does."""
        current = copy.deepcopy(owner)
        for attempt in range(2):
            current["status"] = status
            try:
                await self.owners_api.update_status(current)
                return
            except NotFoundError:
                return
            except ConflictError:
                if attempt:
                    raise
                current = await self.owners_api.get(owner["metadata"]["name"], owner["metadata"]["namespace"])
                if current["metadata"].get("uid") != owner["metadata"].get("uid"):
                    return
                # observedGeneration must describe the spec this status was computed from.
                status = dict(status, observedGeneration=int(owner["metadata"].get("generation") or 0))

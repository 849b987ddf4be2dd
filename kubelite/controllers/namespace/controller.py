"""The namespace controller: empties a Terminating namespace, then lets it go.

When a namespace is deleted the API server marks it Terminating and keeps it while its
``spec.finalizers`` holds ``kubernetes``. ``sync(name)`` deletes every object of every namespaced
resource the server serves in it (events.k8s.io events are the core events seen again, so they are
skipped) and requeues itself until none is left; then it removes the ``kubernetes`` finalizer through
the ``finalize`` subresource and the API server deletes the namespace, as Kubernetes does.
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

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
FINALIZER = "kubernetes"
RECHECK = 1.0


def content_resources() -> list[tuple[str, str]]:
    """(apiVersion, plural) of every namespaced resource whose objects the namespace holds."""
    return [(r.api_version, r.plural) for r in REGISTRY
            if r.namespaced and "delete" in r.verbs and "list" in r.verbs and r.storage_gvk is None]


class NamespaceController:
    def __init__(self, client: Client, factory: InformerFactory, *, clock: Clock | None = None) -> None:
        self.client = client
        self.namespaces: Informer = factory.informer("v1", "namespaces")
        self.namespaces_api = client.resource("v1", "namespaces")
        self.reconciler = Reconciler("namespace-controller", self.sync, workers=1, clock=clock or RealClock())
        self.reconciler.watch(self.namespaces)

    async def run(self) -> None:
        await self.reconciler.run([self.namespaces])

    async def sync(self, name: str) -> None:
        namespace = self.namespaces.get(name.strip("/"))
        if namespace is None or not namespace["metadata"].get("deletionTimestamp"):
            return
        name = namespace["metadata"]["name"]
        remaining = 0
        for api_version, plural in content_resources():
            api = self.client.resource(api_version, plural)
            items = (await api.list(name))["items"]
            for item in items:
                remaining += 1
                if item["metadata"].get("deletionTimestamp"):
                    continue  # already going (a pod waiting for its kubelet)
                try:
                    await api.delete(item["metadata"]["name"], name, propagation_policy="Background")
                except (NotFoundError, ConflictError):
                    pass
        if remaining:
            self.reconciler.enqueue_after(name, RECHECK)
            return
        finalizers = (namespace.get("spec") or {}).get("finalizers") or []
        if FINALIZER in finalizers:
            body = {"apiVersion": "v1", "kind": "Namespace", "metadata": dict(namespace["metadata"]),
                    "spec": {"finalizers": [f for f in finalizers if f != FINALIZER]}}
            try:
                await self.namespaces_api.replace_subresource(name, "finalize", body)
            except NotFoundError:
                return
            log.info("namespace emptied and finalized", extra={"namespace": name})

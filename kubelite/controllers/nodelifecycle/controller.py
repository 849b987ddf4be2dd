"""The node lifecycle controller: watches node heartbeats (Leases) and acts on silence.

Keys are node names. A node's key is requeued every ``monitor_period`` seconds, because a node going
silent produces no event at all. ``sync(node)``:

1. judge the node (:func:`~.compute.judge_node`): write Unknown conditions to its status, and set or
   clear the ``unreachable``/``not-ready`` taints;
2. for each pod bound to it, compute when its NoExecute tolerations run out
   (:func:`~.compute.eviction_time`): delete it now, or requeue the node for then.

A deleted pod on a silent node stays Terminating (no kubelet confirms it), but its controller counts
it gone at once and creates a replacement, which the scheduler keeps off the tainted node, as in
Kubernetes.
"""

from __future__ import annotations

import logging
from typing import Any

from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import ConflictError, NotFoundError
from kubelite.client.events import EventRecorder
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.reconciler import Reconciler
from kubelite.client.rest import Client
from kubelite.controllers.nodelifecycle.compute import DEFAULT_GRACE, eviction_time, judge_node

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
LEASE_NAMESPACE = "kube-node-lease"


class NodeLifecycleController:
    def __init__(self, client: Client, factory: InformerFactory, *, grace: float = DEFAULT_GRACE,
                 monitor_period: float = 5.0, clock: Clock | None = None) -> None:
        self.client = client
        self.clock = clock or RealClock()
        self.grace = grace
        self.monitor_period = monitor_period
        self.nodes: Informer = factory.informer("v1", "nodes")
        self.leases: Informer = factory.informer("coordination.k8s.io/v1", "leases")
        self.pods: Informer = factory.informer("v1", "pods")
        self.nodes_api = client.resource("v1", "nodes")
        self.pods_api = client.resource("v1", "pods")
        self.recorder = EventRecorder(client, "node-controller", clock=self.clock)
        self.reconciler = Reconciler("node-lifecycle-controller", self.sync, workers=2, clock=self.clock)
        self.nodes.add_event_handler(self._node_event, lambda _o, new: self._node_event(new), None)

    def _node_event(self, node: JsonDict) -> None:
        self.reconciler.enqueue_key((node.get("metadata") or {}).get("name", ""))

    async def run(self) -> None:
        await self.reconciler.run([self.nodes, self.leases, self.pods])

    async def sync(self, name: str) -> None:
        node = self.nodes.get(name)
        if node is None:
            return
        now = self.clock.now()
        lease = self.leases.get(name, LEASE_NAMESPACE)
        verdict = judge_node(node, lease, now, self.grace)
        if verdict.conditions is not None:
            await self._write_conditions(node, verdict.conditions)
            if verdict.state == "unknown":
                await self.recorder.normal(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady")
        if verdict.taints != list((node.get("spec") or {}).get("taints") or []):
            await self._write_taints(name, verdict.taints)
        next_check = self.monitor_period
        for pod in self.pods.store.select(None):
            if (pod.get("spec") or {}).get("nodeName") != name or (pod.get("metadata") or {}).get("deletionTimestamp"):
                continue
            when = eviction_time(pod, verdict.taints, now)
            if when is None:
                continue
            wait = (when - now).total_seconds()
            if wait <= 0:
                await self._evict(pod, name)
            else:
                next_check = min(next_check, wait)
        self.reconciler.enqueue_after(name, max(0.1, next_check))

    async def _write_conditions(self, node: JsonDict, conditions: list[JsonDict]) -> None:
        try:
            current = await self.nodes_api.get(node["metadata"]["name"])
            current.setdefault("status", {})["conditions"] = conditions
            await self.nodes_api.update_status(current)
        except (NotFoundError, ConflictError):
            pass  # the next sync sees the newer node

    async def _write_taints(self, name: str, taints: list[JsonDict]) -> None:
        try:
            current = await self.nodes_api.get(name)
            current.setdefault("spec", {})["taints"] = taints or None
            await self.nodes_api.update(current)
        except (NotFoundError, ConflictError):
            pass

    async def _evict(self, pod: JsonDict, node: str) -> None:
        meta = pod["metadata"]
        try:
            await self.pods_api.delete(meta["name"], meta.get("namespace"), uid=meta.get("uid"))
        except (NotFoundError, ConflictError):
            return
        key = f"{meta.get('namespace')}/{meta['name']}"
        await self.recorder.normal(pod, "TaintManagerEviction", f"Marking for deletion Pod {key}")
        log.info("evicted pod from unhealthy node", extra={"pod": f"{meta.get('namespace')}/{meta['name']}",
                                                          "node": node})

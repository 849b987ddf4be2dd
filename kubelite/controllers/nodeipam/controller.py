"""The node IPAM controller (kube-controller-manager's ``--allocate-node-cidrs``): every Node without a
pod CIDR gets the lowest free ``/node_mask`` subnet of the cluster CIDR in ``spec.podCIDR(s)``.

Keys are node names; one worker, so two nodes never get the same subnet from two concurrent syncs.
``sync(name)`` is level-triggered: the subnets in use are those on the Nodes in the cache plus the ones
this controller has written but not yet seen come back through the watch (``_pending``). A Node that
registers with its own ``--pod-cidr`` keeps it (the API makes podCIDR immutable once set) and its subnet
counts as used. A deleted Node's subnet is free once it leaves the cache; the deletion also re-enqueues
any Node still waiting, in case the range was full.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kubelite.client.errors import NotFoundError
from kubelite.client.events import EventRecorder
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.reconciler import PermanentError, Reconciler
from kubelite.client.rest import Client
from kubelite.client.store import DeletedFinalStateUnknown
from kubelite.controllers.nodeipam.cidrs import check, next_free

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class NodeIpamConfig:
    cluster_cidr: str = "10.244.0.0/16"
    node_mask_size: int = 24


def _cidrs(node: JsonDict) -> list[str]:
    spec = node.get("spec") or {}
    return list(spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else []))


class NodeIpamController:
    def __init__(self, client: Client, factory: InformerFactory, config: NodeIpamConfig | None = None) -> None:
        self.config = config or NodeIpamConfig()
        check(self.config.cluster_cidr, self.config.node_mask_size)  # a bad flag fails at start, not per node
        self.nodes: Informer = factory.informer("v1", "nodes")
        self.nodes_api = client.resource("v1", "nodes")
        self.recorder = EventRecorder(client, "cidrAllocator")
        self.reconciler = Reconciler("node-ipam-controller", self.sync, workers=1)
        self._pending: dict[str, str] = {}  # node name -> subnet written, not yet seen in the cache
        self.nodes.add_event_handler(self._enqueue, lambda _old, new: self._enqueue(new), self._deleted)

    def _enqueue(self, node: JsonDict) -> None:
        if not _cidrs(node) or node["metadata"]["name"] in self._pending:
            self.reconciler.enqueue_key(node["metadata"]["name"])

    def _deleted(self, node: JsonDict | DeletedFinalStateUnknown) -> None:
        name = node.key if isinstance(node, DeletedFinalStateUnknown) else node["metadata"]["name"]
        self.reconciler.enqueue_key(name)
        for waiting in self.nodes.store.list():  # a subnet was freed: whoever waits may get it now
            if not _cidrs(waiting):
                self.reconciler.enqueue_key(waiting["metadata"]["name"])

    async def run(self) -> None:
        await self.reconciler.run([self.nodes])

    async def sync(self, name: str) -> None:
        node = self.nodes.get(name)
        if node is None:
            self._pending.pop(name, None)  # its subnet is free again
            return
        if _cidrs(node):
            self._pending.pop(name, None)
            return
        if name in self._pending:
            return  # written; the watch has not caught up yet
        used = [c for n in self.nodes.store.list() for c in _cidrs(n)] + list(self._pending.values())
        cidr = next_free(self.config.cluster_cidr, self.config.node_mask_size, used)
        if cidr is None:
            await self.recorder.warning(node, "CIDRNotAvailable",
                                        f"Node {name} status is now: CIDRNotAvailable")
            raise PermanentError(f"no free /{self.config.node_mask_size} left in {self.config.cluster_cidr}")
        try:
            await self.nodes_api.patch(name, {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}})
        except NotFoundError:
            return
        self._pending[name] = cidr
        log.info("allocated pod CIDR", extra={"node": name, "cidr": cidr})
        await self.recorder.normal(node, "CIDRAssigned", f"Node {name} got pod CIDR {cidr}")

"""Routes between nodes (host-gw): every other node's pod CIDR via that node's InternalIP.

Each node's pods live on its own bridge, on the node's ``spec.podCIDR``. For a pod on node A to reach a
pod on node B, node A routes B's pod CIDR to B's address; B delivers to its bridge. This is flannel's
``host-gw`` backend: no encapsulation, full speed, but every node must reach every other node's
InternalIP directly (one L2 segment), because a route's gateway must be on a connected network. Nodes
split by routers need an overlay instead (VXLAN: a ``vxlan`` device per node and a forwarding entry
per peer, :mod:`kubelite.runtime.network.vxlan`), chosen with ``backend="vxlan"``; see
docs/networking.md.

:func:`desired_routes` is a pure function of the Node objects (unit-tested). :class:`NodeRoutes` is the
level-triggered loop: any Node event enqueues the one key, and ``sync`` makes the kernel's routes that
carry kubelite's protocol number equal the desired set (the engine's
:func:`~kubelite.runtime.network.routes.sync_routes`, which never touches a route it did not make). A
periodic resync puts back a route someone deleted by hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from kubelite.base.clock import Clock, RealClock
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.reconciler import Reconciler
from kubelite.runtime.network.kernel import NetKernel
from kubelite.runtime.network.routes import RouteResult, sync_routes
from kubelite.runtime.network.vxlan import ensure_device, sync_overlay

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
KEY = "routes"


def pod_cidrs(node: JsonDict) -> list[str]:
    """The node's IPv4 pod CIDRs, normalised (``spec.podCIDRs``, else ``spec.podCIDR``)."""
    spec = node.get("spec") or {}
    out = []
    for value in spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else []):
        try:
            out.append(IPv4Network(str(value), strict=False).with_prefixlen)
        except ValueError:
            continue
    return out


def internal_ip(node: JsonDict) -> str:
    """The node's first IPv4 InternalIP, or ""."""
    for addr in (node.get("status") or {}).get("addresses") or []:
        if addr.get("type") != "InternalIP":
            continue
        try:
            return str(IPv4Address(str(addr.get("address", ""))))
        except ValueError:
            continue
    return ""


def desired_routes(nodes: Iterable[JsonDict], self_name: str) -> dict[str, str]:
    """pod CIDR -> gateway for every other node that has both a pod CIDR and an InternalIP.

    Nothing is routed that overlaps this node's own pod CIDRs (those are on the local bridge), nor
    via this node's own address. Two nodes claiming one CIDR is a misconfiguration: the node whose
    name sorts first keeps it, so every node computes the same answer."""
    nodes = sorted(nodes, key=lambda n: str((n.get("metadata") or {}).get("name", "")))
    me = next((n for n in nodes if (n.get("metadata") or {}).get("name") == self_name), None)
    own = [IPv4Network(c) for c in pod_cidrs(me)] if me else []
    own_ip = internal_ip(me) if me else ""
    out: dict[str, str] = {}
    for node in nodes:
        if (node.get("metadata") or {}).get("name") == self_name:
            continue
        gateway = internal_ip(node)
        if not gateway or gateway == own_ip:
            continue
        for cidr in pod_cidrs(node):
            if cidr in out or any(IPv4Network(cidr).overlaps(mine) for mine in own):
                continue
            out[cidr] = gateway
    return out


BACKENDS = ("host-gw", "vxlan")


class NodeRoutes:
    """Keeps this node's routes to the other nodes' pod CIDRs, until cancelled.

    ``backend`` is ``host-gw`` (routes via the peers' addresses) or ``vxlan`` (an overlay device,
    ``device``, whose peers are the same (pod CIDR, InternalIP) pairs; see
    :mod:`kubelite.runtime.network.vxlan`). The caller sets ``device`` before ``run``."""

    def __init__(self, node_name: str, *, informers: InformerFactory, kernel: NetKernel,
                 backend: str = "host-gw", device: str = "", resync_period: float = 30.0,
                 clock: Clock | None = None) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown pod network backend {backend!r} (host-gw or vxlan)")
        self.node_name = node_name
        self.kernel = kernel
        self.backend = backend
        self.device = device
        self.resync_period = resync_period
        self.nodes: Informer = informers.informer("v1", "nodes")
        self.reconciler = Reconciler("node-routes", self.sync, workers=1, clock=clock or RealClock())
        self.nodes.add_event_handler(self._changed, lambda _old, _new: self._changed(None), self._changed)
        self._reported: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        self.last: RouteResult | None = None

    def _changed(self, _obj: object) -> None:
        self.reconciler.enqueue_key(KEY)

    async def run(self) -> None:
        await self.reconciler.run([self.nodes])

    async def sync(self, _key: str) -> None:
        nodes = self.nodes.store.list()
        desired = desired_routes(nodes, self.node_name)
        if self.backend == "vxlan":
            me = self.nodes.get(self.node_name)
            cidrs, address = (pod_cidrs(me), internal_ip(me)) if me else ([], "")
            if not cidrs or not address:
                return  # our Node comes back with both; its event syncs again
            result = await asyncio.to_thread(self._overlay, cidrs[0], address, desired)
        else:
            result = await asyncio.to_thread(sync_routes, self.kernel, desired)
        self.last = result
        plan = result.plan
        if not plan.empty():
            log.info("routes synced", extra={"node": self.node_name, "added": sorted(plan.add),
                                             "replaced": sorted(plan.replace), "deleted": plan.delete})
        reported = (tuple(plan.blocked), tuple(sorted(result.failed)))
        if reported != self._reported:  # say it once, not every resync
            self._reported = reported
            for cidr in plan.blocked:
                log.warning("a route we did not make already covers a node's pod CIDR; left alone",
                            extra={"node": self.node_name, "cidr": cidr})
            for cidr, why in sorted(result.failed.items()):
                log.warning("cannot route a node's pod CIDR (host-gw needs its InternalIP on a connected "
                            "network)", extra={"node": self.node_name, "cidr": cidr, "error": why})
        # A failed route is retried soon (the peer's address may not be up yet); otherwise resync slowly.
        self.reconciler.enqueue_after(KEY, min(5.0, self.resync_period) if result.failed else self.resync_period)

    def _overlay(self, pod_cidr: str, address: str, peers: dict[str, str]) -> RouteResult:
        ensure_device(self.kernel, self.device, pod_cidr, address)
        return sync_overlay(self.kernel, self.device, peers)

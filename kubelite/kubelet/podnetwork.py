"""This node's share of the cluster's pod network: the subnet its pods get, and the routes to the rest.

As Kubernetes' kubenet (or flannel) does, the node waits for its ``spec.podCIDR`` (given by the node-ipam
controller after registration, or by ``--pod-cidr``), then puts the engine's bridge and address
management on it, so pod IPs are unique across the cluster. The engine only hears "use this subnet;
do not masquerade traffic to this cluster CIDR" (:func:`~kubelite.runtime.network.subnet.use_subnet`);
it never learns about Nodes. Routes to the other nodes' pod CIDRs are kept by :class:`~.routes.NodeRoutes`.

Lifecycle: ``PodNetwork(config, ...)`` registers the Node informer the routes need (before the agent
starts its informer factory); ``await prepare()`` (after the Node is registered, before any pod runs)
waits for the CIDR and configures the engine root; ``await run()`` keeps the routes until cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.rest import Client
from kubelite.kubelet.routes import NodeRoutes, pod_cidrs
from kubelite.runtime.network.ipam import NetConf
from kubelite.runtime.network.kernel import NetKernel
from kubelite.runtime.network.subnet import activate, use_subnet
from kubelite.runtime.network.vxlan import device_name

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class PodNetworkConfig:
    root: str  # the engine root
    node_name: str
    cluster_cidr: str = ""  # "" = no cluster-wide pod network (no routes; everything leaving masqueraded)
    pod_cidr: str = ""  # fixed by the operator (--pod-cidr); else the Node's spec.podCIDR
    backend: str = "host-gw"  # or "vxlan": how packets reach the other nodes (kubelet/routes.py)


async def wait_for_pod_cidr(client: Client, node_name: str) -> str:
    """The Node's first IPv4 pod CIDR, watching the Node until one is set."""
    informer = Informer(client.resource("v1", "nodes"), field_selector=f"metadata.name={node_name}")
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def seen(node: JsonDict) -> None:
        cidrs = pod_cidrs(node)
        if cidrs and not found.done():
            found.set_result(cidrs[0])

    informer.add_event_handler(seen, lambda _old, new: seen(new), None)
    task = asyncio.create_task(informer.run(), name="wait-pod-cidr")
    try:
        if not await informer.wait_synced(10.0) or not found.done():
            log.info("waiting for the node's pod CIDR (is the node-ipam controller on? "
                     "kubelite controller-manager --allocate-node-cidrs)", extra={"node": node_name})
        return await found
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class PodNetwork:
    def __init__(self, config: PodNetworkConfig, *, client: Client, informers: InformerFactory,
                 kernel: NetKernel) -> None:
        self.config = config
        self.client = client
        self.kernel = kernel
        self.routes = (NodeRoutes(config.node_name, informers=informers, kernel=kernel, backend=config.backend)
                       if config.cluster_cidr else None)
        self.conf: NetConf | None = None

    async def prepare(self) -> NetConf:
        """Wait for the pod CIDR, move the engine's bridge network onto it, bring the bridge and its
        nftables table up (so masquerading follows the cluster CIDR before the first pod starts)."""
        cidr = self.config.pod_cidr or await wait_for_pod_cidr(self.client, self.config.node_name)
        conf = await asyncio.to_thread(use_subnet, self.config.root, self.kernel, cidr, self.config.cluster_cidr)
        await asyncio.to_thread(activate, self.config.root, conf, self.kernel)
        if self.routes is not None:
            self.routes.device = device_name(conf.bridge)
        self.conf = conf
        log.info("pod network ready", extra={"node": self.config.node_name, "pod_cidr": conf.subnet,
                                             "bridge": conf.bridge, "cluster_cidr": conf.cluster_cidr,
                                             "backend": self.config.backend})
        return conf

    async def run(self) -> None:
        if self.routes is not None:
            await self.routes.run()

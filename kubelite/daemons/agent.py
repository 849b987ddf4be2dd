"""Composition root of ``kubelite agent``: a worker node (node registration + pod workers) on this
machine's container engine, talking to the cluster only through the API server.

The engine is chosen here (``EngineRuntime`` on ``root``, pulling through the registry client), so the
kubelet package stays free of engine and distribution details. The service proxy runs here too
(``agent_proxy.py``), unless disabled. With ``cluster_cidr`` (or a fixed ``pod_cidr``) the node joins the
cluster's pod network (``kubelet/podnetwork.py``): its engine bridge moves onto the Node's pod CIDR before
any pod runs, and routes to the other nodes' pod CIDRs follow the Nodes.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.daemons.agent_proxy import NodeProxy
from kubelite.kubelet.node import NodeAgent, NodeConfig, read_host
from kubelite.kubelet.podnetwork import PodNetwork, PodNetworkConfig
from kubelite.kubelet.podworker import KubeletConfig, PodWorkers
from kubelite.kubelet.server import KubeletServer, ServerConfig
from kubelite.runtime.cri import RuntimeService


@dataclass(frozen=True)
class AgentConfig:
    root: str
    node_name: str = ""
    pod_cidr: str = ""
    cluster_dns: tuple[str, ...] = ()
    cluster_domain: str = "cluster.local"
    workers: int = 4
    kubelet_port: int = 10250
    kubelet_address: str = "0.0.0.0"
    proxy: bool = True  # run the service proxy (agent_proxy.py) on this node
    proxy_mode: str = "auto"  # auto | nftables | userspace
    cluster_cidr: str = ""  # the cluster's pod network: routes to other nodes, masquerade only leaving it
    network_backend: str = "host-gw"  # or "vxlan" (nodes not on one L2 segment)

    def name(self) -> str:
        return (self.node_name or socket.gethostname()).lower()


def open_runtime(root: str) -> RuntimeService:
    from kubelite.distribution.client.cri import RegistryPuller
    from kubelite.runtime.cri import EngineRuntime

    return EngineRuntime.open(root, puller=RegistryPuller(root))


async def run_agent(client: Client, config: AgentConfig, *, runtime: RuntimeService | None = None) -> None:
    """Register the node, then run its pods until cancelled."""
    name = config.name()
    host = await asyncio.to_thread(read_host, config.root)
    rt: RuntimeService = runtime if runtime is not None else await asyncio.to_thread(open_runtime, config.root)
    factory = InformerFactory(client)
    workers = PodWorkers(KubeletConfig(node_name=name, root=config.root, host_ip=host.internal_ip,
                                       cluster_dns=config.cluster_dns, cluster_domain=config.cluster_domain,
                                       workers=config.workers, tmpfs_volumes=True),
                         client=client, informers=factory, runtime=rt)
    node = NodeAgent(NodeConfig(name=name, root=config.root, pod_cidr=config.pod_cidr,
                                kubelet_port=config.kubelet_port), client=client, health=workers.runtime_health)
    # The API server proxies logs here; it authenticates with the cluster's admin token (the one this
    # agent was given) or a client certificate of the cluster CA.
    server = KubeletServer(ServerConfig(root=config.root, address=config.kubelet_address,
                                        port=config.kubelet_port,
                                        tokens=(client.config.token,) if client.config.token else (),
                                        client_ca=client.config.ca_data, sans=(host.internal_ip, name)),
                           calls=workers.calls)
    pod_network = _pod_network(client, config, name, factory)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(server.run(), name="kubelet-server")
        await server.ready.wait()
        tg.create_task(node.run(), name="node")
        await node.registered.wait()
        if pod_network is not None:
            # Before any pod and before the proxy reads the engine's network: the engine loads its
            # network config lazily, at the first sandbox, so the runtime opened above follows it.
            await pod_network.prepare()
        proxy = NodeProxy(config.root, name, factory=factory, mode=config.proxy_mode) if config.proxy else None
        factory.start(tg)
        tg.create_task(workers.run(), name="pod-workers")
        if proxy is not None:
            tg.create_task(proxy.run(), name="service-proxy")
        if pod_network is not None:
            tg.create_task(pod_network.run(), name="pod-network")


def _pod_network(client: Client, config: AgentConfig, name: str, factory: InformerFactory) -> PodNetwork | None:
    if not (config.cluster_cidr or config.pod_cidr):
        return None  # the engine's own network, as configured in its root (a single node)
    from kubelite.runtime.network.kernel import HostKernel

    return PodNetwork(PodNetworkConfig(root=config.root, node_name=name, cluster_cidr=config.cluster_cidr,
                                       pod_cidr=config.pod_cidr, backend=config.network_backend),
                      client=client, informers=factory,
                      kernel=HostKernel())

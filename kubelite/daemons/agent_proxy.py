"""The service proxy inside ``kubelite agent``: the same :class:`~kubelite.proxy.service.ServiceProxy`
that ``kubelite proxy`` runs, configured from this node's engine network.

What the node needs, and why (all of it in kubelite's own nftables table and these sysctls):

- ``net.ipv4.ip_forward=1``: pods' traffic to service IPs is routed through the host (the engine sets
  it too when it creates the bridge).
- ``net.ipv4.conf.all.route_localnet=1``: ``curl 127.0.0.1:<nodePort>`` and the LoadBalancer IPs
  (127.0.0.240-254) are DNATed to a pod; the kernel drops a packet with a loopback source leaving a
  non-loopback interface unless this is set (kube-proxy sets the same). The rules masquerade such
  traffic to the bridge address, so replies come back.
- No ``br_netfilter``: a pod reaching a service whose endpoint sits on the same bridge is masqueraded
  (``ProxyConfig.local_subnet``), so the reply returns through the host's conntrack instead of going
  straight over the bridge; the host's bridges stay untouched.

Without nftables (no ``nft`` tool, or ``--proxy-mode userspace``) the proxy relays connections itself
(``proxy/userspace.py``): slower, and the client's address is not kept, but every path above works.

One table per node: the engine's default network gets ``ip kubelite``; an engine root with a network of
its own (tests, several nodes on one host) gets ``ip <engine table>_svc``, so agents never fight over one
table. The agent removes its table when it stops: nothing would keep those rules true while it is down
(a stale rule for 10.96.0.10 would send DNS to a port nobody listens on), and a restart programs it again
in one sync.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from pathlib import Path

from kubelite.client.informer import InformerFactory
from kubelite.proxy.backend import NftBackend
from kubelite.proxy.model import ServicePort
from kubelite.proxy.rules import TABLE, ProxyConfig
from kubelite.proxy.service import ServiceProxy
from kubelite.proxy.userspace import UserspaceBackend
from kubelite.runtime.network.ipam import DEFAULT_TABLE, NetConf, load_conf

log = logging.getLogger(__name__)
SYSCTLS = {"net/ipv4/ip_forward": "1", "net/ipv4/conf/all/route_localnet": "1"}


def userspace_link_for(net: NetConf) -> str:
    """The link holding cluster IPs in userspace mode: ``kl-svc0``, or one per engine network."""
    return "kl-svc0" if net.table == DEFAULT_TABLE else f"{net.bridge[:12]}svc"


def proxy_table_for(engine_table: str) -> str:
    """The proxy's table for a node whose engine network uses ``engine_table``."""
    return TABLE if engine_table == DEFAULT_TABLE else f"{engine_table}_svc"


def proxy_config(net: NetConf, node_name: str) -> ProxyConfig:
    """Traffic from outside the pod network is masqueraded; the bridge's own subnet is one L2 segment."""
    cluster_cidr = net.cluster_cidr or net.subnet
    return ProxyConfig(cluster_cidr=cluster_cidr, node_name=node_name, local_subnet=net.subnet)


def set_sysctls(proc_sys: Path = Path("/proc/sys")) -> None:
    """Best effort: a read-only /proc/sys (some containers) costs the loopback paths, not the node."""
    for key, value in SYSCTLS.items():
        path = proc_sys / key
        try:
            if path.read_text().strip() != value:
                path.write_text(value)
        except OSError as err:
            log.warning("cannot set sysctl; node ports on 127.0.0.1 may not answer",
                        extra={"sysctl": key, "error": str(err)})



def choose_mode(requested: str) -> str:
    """``auto``: nftables when the ``nft`` tool is there, else the userspace relay."""
    if requested != "auto":
        return requested
    return "nftables" if shutil.which("nft") else "userspace"


def _ports(ports: list[ServicePort], _config: ProxyConfig) -> list[ServicePort]:
    return ports  # the userspace backend takes the service ports themselves


class NodeProxy:
    """The proxy for one node; ``run()`` programs the kernel (or relays, in userspace mode) until
    cancelled, then removes its table (or its listeners and addresses)."""

    def __init__(self, root: str, node_name: str, *, factory: InformerFactory, mode: str = "auto") -> None:
        net = load_conf(root)
        self.mode = choose_mode(mode)
        self.backend: NftBackend | UserspaceBackend
        if self.mode == "userspace":
            self.backend = UserspaceBackend(dummy=userspace_link_for(net))
            self.proxy = ServiceProxy(proxy_config(net, node_name), factory=factory, backend=self.backend,
                                      render=_ports)
        else:
            self.backend = NftBackend(table=proxy_table_for(net.table))
            self.proxy = ServiceProxy(proxy_config(net, node_name), factory=factory, backend=self.backend)

    async def run(self) -> None:
        if self.mode == "nftables":
            set_sysctls()
        log.info("service proxy starting", extra={"mode": self.mode})
        try:
            await self.proxy.run()
        finally:
            with contextlib.suppress(Exception):  # best effort on the way out; never mask the cause
                await self.backend.cleanup()

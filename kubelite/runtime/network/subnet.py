"""Moving an engine root's bridge network onto a subnet chosen from outside.

A node of a cluster gets its pod subnet from the cluster (the Node's ``spec.podCIDR``); the agent
hands the engine only the subnet and the cluster CIDR (the engine never learns about Nodes). The
choice is written to ``<root>/network/config.json``, so ``kubelite run`` and ``system prune`` on the
same root use the same network as the agent's pods.

A bridge that already carries another subnet's gateway is deleted (it is recreated with the new
address on the next attach), but only while no container or sandbox holds an address: moving live
containers would strand them, so that is refused with a clear error instead.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Network, ip_address

from kubelite.runtime.container_errors import InvalidArgument
from kubelite.runtime.network.ipam import NetConf, Table, load_conf, save_conf
from kubelite.runtime.network.kernel import NetKernel


def _network(value: str, what: str) -> IPv4Network:
    try:
        return IPv4Network(value)
    except ValueError as err:
        raise InvalidArgument(f"invalid {what} {value!r}: {err}") from None


def check_subnet(subnet: str, cluster_cidr: str = "") -> None:
    """A subnet big enough for a gateway and one pod, inside the cluster CIDR when one is given."""
    net = _network(subnet, "pod subnet")
    if net.prefixlen > 30:
        raise InvalidArgument(f"pod subnet {subnet} is too small (at most /30)")
    if cluster_cidr and not net.subnet_of(_network(cluster_cidr, "cluster CIDR")):
        raise InvalidArgument(f"pod subnet {subnet} is not inside the cluster CIDR {cluster_cidr}")


def use_subnet(root: str, k: NetKernel, subnet: str, cluster_cidr: str = "") -> NetConf:
    """Put the bridge network of the engine at ``root`` on ``subnet``; returns the new config."""
    check_subnet(subnet, cluster_cidr)
    current = load_conf(root)
    wanted = replace(current, subnet=subnet, cluster_cidr=cluster_cidr)
    if current.network != wanted.network:
        new_net = wanted.network
        stranded = sorted(ip for ip in Table(root).read() if ip_address(ip) not in new_net)
        if stranded:
            raise InvalidArgument(
                f"the engine at {root} has {len(stranded)} container(s) or sandbox(es) on {current.subnet} "
                f"(e.g. {stranded[0]}); remove them before moving its network to {subnet}")
        if k.link_exists(current.bridge):
            k.ip(["link", "del", current.bridge], check=False)
    if wanted != current:
        save_conf(root, wanted)
    return wanted


def activate(root: str, conf: NetConf, k: NetKernel) -> None:
    """Bring the bridge up on ``conf`` and write its nftables table now (the table otherwise appears
    with the first published port), so the masquerade rule follows the cluster CIDR from the start."""
    from kubelite.runtime.lifecycle import Engine
    from kubelite.runtime.network.bridge import ensure_bridge
    from kubelite.runtime.publishing import publish

    engine = Engine(root, kernel=k, net=conf)
    with engine.store.lock():
        ensure_bridge(k, conf)
        publish(engine)

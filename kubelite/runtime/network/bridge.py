"""Bridge network setup and teardown, driven through the :class:`~.kernel.NetKernel` seam.

Per host (idempotent): the bridge with the gateway address, IPv4 forwarding, ``route_localnet`` on the
bridge (so loopback traffic DNATed to a container is routed). Per container: a named network namespace
(``/run/netns/kl-<id12>``, so it outlives the container's processes and a pod sandbox can share it), a
veth pair whose host end (``kl<id10>``) joins the bridge and whose peer becomes ``eth0`` inside, the
address, loopback up and a default route via the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelite.runtime.network.ipam import NetConf
from kubelite.runtime.network.kernel import NetKernel
from kubelite.runtime.network.nft import Publication, delete_script, replace_script


def netns_name(cid: str) -> str:
    return f"kl-{cid[:12]}"


def host_veth(cid: str) -> str:
    return f"kl{cid[:10]}"


def mac_for(ip: str) -> str:
    """A stable locally administered MAC derived from the address (as Docker does: 02:42:ip)."""
    octets = [int(o) for o in ip.split(".")]
    return "02:42:" + ":".join(f"{o:02x}" for o in octets)


def ensure_bridge(k: NetKernel, conf: NetConf) -> None:
    """Create the bridge the first time (tolerating a concurrent CLI doing the same), bring it up,
    set the sysctls. Costs no process at all once the bridge is there and up."""
    if not k.link_exists(conf.bridge):
        k.ip(["link", "add", "name", conf.bridge, "type", "bridge"], check=False)
        k.ip(["addr", "add", f"{conf.gateway}/{conf.prefix_len}", "dev", conf.bridge], check=False)
    if not k.link_up(conf.bridge):
        k.ip(["link", "set", conf.bridge, "up"])
    k.sysctl("net.ipv4.ip_forward", "1")
    k.sysctl(f"net.ipv4.conf.{conf.bridge}.route_localnet", "1")


@dataclass(frozen=True)
class Attachment:
    netns: str  # path
    ip: str
    prefix_len: int
    gateway: str
    mac: str
    host_veth: str


def attach(k: NetKernel, conf: NetConf, cid: str, ip: str) -> Attachment:
    """Create the container's namespace and plug it into the bridge with ``ip``."""
    ensure_bridge(k, conf)
    ns = netns_name(cid)
    veth = host_veth(cid)
    mac = mac_for(ip)
    # The host side in one ip process, the inside in another (each ip run costs a few ms).
    k.ip_batch(
        [
            f"netns add {ns}",
            f"link add name {veth} type veth peer name eth0 netns {ns}",
            f"link set {veth} master {conf.bridge} up",
            # Hairpin: with br_netfilter loaded, a pod reaching its own service is DNATed at the
            # bridge layer and must be sent back out the port it came in on (kubelet's hairpin-veth).
            f"link set {veth} type bridge_slave hairpin on",
        ]
    )
    path = k.netns_path(ns)
    k.ip_batch(
        [
            "link set lo up",
            f"link set eth0 address {mac}",
            f"addr add {ip}/{conf.prefix_len} dev eth0",
            "link set eth0 up",
            f"route add default via {conf.gateway}",
        ],
        netns=ns,
    )
    return Attachment(netns=path, ip=ip, prefix_len=conf.prefix_len, gateway=conf.gateway, mac=mac, host_veth=veth)


def isolated(k: NetKernel, cid: str) -> str:
    """``--network none``: a namespace with loopback only."""
    ns = netns_name(cid)
    path = k.netns_add(ns)
    k.ip(["link", "set", "lo", "up"], netns=ns)
    return path


def detach(k: NetKernel, cid: str) -> None:
    """Remove the namespace (which destroys the veth pair) and the host end if it lingers."""
    k.netns_delete(netns_name(cid))
    veth = host_veth(cid)
    if k.link_exists(veth):
        k.ip(["link", "del", veth], check=False)


def publish(k: NetKernel, conf: NetConf, pubs: list[Publication]) -> None:
    """Make the table match ``pubs`` (the ports of every running container on this network)."""
    k.nft(replace_script(conf, pubs))


def unpublish_all(k: NetKernel, conf: NetConf) -> None:
    k.nft(delete_script(conf))


def remove_bridge(k: NetKernel, conf: NetConf) -> None:
    """Tear down the whole network (``system prune`` with nothing left on it, and tests)."""
    unpublish_all(k, conf)
    if k.link_exists(conf.bridge):
        k.ip(["link", "del", conf.bridge], check=False)
    from kubelite.runtime.network.vxlan import device_name

    if k.link_exists(device_name(conf.bridge)):  # a node's overlay device, beside its bridge
        k.ip(["link", "del", device_name(conf.bridge)], check=False)

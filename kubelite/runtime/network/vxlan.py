"""A VXLAN overlay for pod traffic between hosts that are not on one L2 segment (flannel's vxlan backend).

Routes via a peer's address (host-gw) need the peer on a connected network. Across routers, each host
instead gets one ``vxlan`` device (VNI 1, UDP 8472, no learning): a packet for a peer's pod subnet is
routed into the device towards the peer's *VTEP address* (its subnet's network address, e.g.
``10.244.1.0``, ``onlink``), a permanent neighbour entry gives that address the peer's VTEP MAC, and a
forwarding entry sends that MAC, encapsulated in UDP, to the peer's host address. The encapsulated
packet is ordinary host traffic, routed however the hosts reach each other.

Everything a host needs about a peer follows from (pod subnet, host address): the VTEP address is the
subnet's first address and the MAC is derived from it (:func:`vtep_mac`), so nothing has to be published
beyond what a Node already says. The device belongs to us entirely, so any neighbour or forwarding entry
on it that is not wanted is removed. :func:`overlay_state` is pure; :func:`sync_overlay` is the edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Any

from kubelite.runtime.container_errors import RuntimeFailure
from kubelite.runtime.network.kernel import NetKernel
from kubelite.runtime.network.routes import Nexthop, RouteResult, sync_routes

VNI = 1
PORT = 8472  # the Linux default, and flannel's


def device_name(bridge: str) -> str:
    """The overlay device beside ``bridge`` (at most 15 characters)."""
    return bridge[:12] + "vx"


def vtep_ip(pod_cidr: str) -> str:
    return str(IPv4Network(pod_cidr, strict=False).network_address)


def vtep_mac(pod_cidr: str) -> str:
    """A stable, locally administered unicast MAC for the VTEP of ``pod_cidr``."""
    octets = IPv4Network(pod_cidr, strict=False).network_address.packed
    return "0e:6b:" + ":".join(f"{o:02x}" for o in octets)


@dataclass(frozen=True)
class OverlayState:
    routes: dict[str, Nexthop] = field(default_factory=dict)  # peer pod CIDR -> via its VTEP, onlink
    neighbours: dict[str, str] = field(default_factory=dict)  # peer VTEP address -> its MAC
    fdb: dict[str, str] = field(default_factory=dict)  # peer VTEP MAC -> the peer host's address


def overlay_state(peers: Mapping[str, str], device: str) -> OverlayState:
    """The kernel state for ``peers`` (pod CIDR -> host address) through ``device``."""
    state = OverlayState()
    for cidr, host in sorted(peers.items()):
        state.routes[cidr] = Nexthop(vtep_ip(cidr), device, onlink=True)
        state.neighbours[vtep_ip(cidr)] = vtep_mac(cidr)
        state.fdb[vtep_mac(cidr)] = host
    return state


def underlay_device(addresses: list[dict[str, Any]], local_ip: str) -> str:
    """The interface carrying ``local_ip`` in ``ip -j addr show`` output ("" if none)."""
    for link in addresses:
        if any(a.get("local") == local_ip for a in link.get("addr_info") or []):
            return str(link.get("ifname", ""))
    return ""


def ensure_device(k: NetKernel, device: str, pod_cidr: str, local_ip: str) -> None:
    """Create the overlay device for this host's ``pod_cidr`` on the interface holding ``local_ip``.
    Recreated when it exists with another VTEP MAC (this host's pod CIDR changed)."""
    mac = vtep_mac(pod_cidr)
    if k.link_exists(device):
        links = k.ip_json(["link", "show", "dev", device])
        if links and links[0].get("address") == mac:
            if not k.link_up(device):
                k.ip(["link", "set", device, "up"])
            return
        k.ip(["link", "del", device], check=False)
    under = underlay_device(k.ip_json(["addr", "show"]), local_ip)
    k.ip(["link", "add", "name", device, "type", "vxlan", "id", str(VNI), "local", local_ip, "dstport",
          str(PORT), "nolearning", *(["dev", under] if under else [])])
    k.ip(["link", "set", device, "address", mac])
    k.ip(["addr", "add", f"{vtep_ip(pod_cidr)}/32", "dev", device])
    k.ip(["link", "set", device, "up"])


def sync_overlay(k: NetKernel, device: str, peers: Mapping[str, str]) -> RouteResult:
    """Make the device's neighbours and forwarding entries, and our routes, match ``peers``. The
    entries go first, so a route never points at a VTEP the kernel cannot resolve yet."""
    want = overlay_state(peers, device)
    failed: dict[str, str] = {}
    have_neigh = {str(n.get("dst")): str(n.get("lladdr", "")) for n in k.ip_json(["neigh", "show", "dev", device])}
    have_fdb = {str(f.get("mac")): str(f.get("dst", "")) for f in k.bridge_json(["fdb", "show", "dev", device])
                if f.get("dst")}
    steps: list[tuple[str, list[str]]] = []
    for mac, host in want.fdb.items():
        if have_fdb.get(mac) != host:
            steps.append(("bridge", ["fdb", "replace", mac, "dev", device, "dst", host, "self", "permanent"]))
    for ip, mac in want.neighbours.items():
        if have_neigh.get(ip) != mac:
            steps.append(("ip", ["neigh", "replace", ip, "lladdr", mac, "dev", device, "nud", "permanent"]))
    for mac in sorted(set(have_fdb) - set(want.fdb)):
        steps.append(("bridge", ["fdb", "del", mac, "dev", device, "dst", have_fdb[mac], "self"]))
    for ip in sorted(set(have_neigh) - set(want.neighbours)):
        steps.append(("ip", ["neigh", "del", ip, "dev", device]))
    for tool, args in steps:
        try:
            (k.bridge if tool == "bridge" else k.ip)(args)
        except RuntimeFailure as err:
            failed[args[2]] = str(err)
    result = sync_routes(k, want.routes)
    result.failed.update(failed)
    return result

"""kubelite's nftables table, computed from service ports: a pure function, unit-tested.

Shape (one ``ip`` table of our own; nobody else's rules are touched)::

    map service-ips       { daddr . proto . port : goto svc-* | ext-* }     cluster, external, LB IPs
    map service-nodeports { proto . port : goto ext-* }                     any local address
    map no-endpoint       { daddr . proto . port : goto reject-service }    filter hooks reject these
    chain prerouting/output (nat) -> services; chain postrouting (nat) -> masquerading
    chain svc-<id>  mark traffic from outside the pod network for masquerade, honour ClientIP
                    affinity, then spread: numgen random mod N vmap { 0 : goto ep-<id>, ... }
    chain ext-<id>  traffic arriving at a node port or external IP: policy Cluster masquerades and
                    goes to svc-<id>; policy Local goes to this node's endpoints without masquerade
                    (pods and the node itself still take svc-<id>, masqueraded)
    chain ep-<id>   hairpin (an endpoint reaching its own service) masquerades, and so does any pod of
                    the endpoint's own bridge (``local_subnet``); then dnat to ip:port
    set  aff-<id>   per endpoint, with the affinity timeout, for sessionAffinity ClientIP

Each chain's name starts with a hash of what it serves, so an update touches only the chains whose
content changed.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from kubelite.proxy.model import Endpoint, ServicePort, usable_endpoints

TABLE = "kubelite"
MASQ_MARK = "0x4000"
PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}


@dataclass(frozen=True)
class ProxyConfig:
    cluster_cidr: str = "10.244.0.0/16"  # pod network: traffic from elsewhere is masqueraded
    node_name: str = ""  # for externalTrafficPolicy/internalTrafficPolicy Local
    # This node's pod subnet (one bridge, one L2 segment). A pod there reaching a service whose chosen
    # endpoint is on the same bridge is masqueraded: the endpoint's reply would otherwise go straight
    # back over the bridge, skip the host's conntrack, and arrive from the pod IP instead of the
    # service IP (kube-proxy relies on br_netfilter for this; we do not ask the host for it). Empty:
    # only hairpin traffic (an endpoint reaching itself) is masqueraded.
    local_subnet: str = ""


@dataclass(frozen=True)
class Chain:
    rules: tuple[str, ...]
    hook: str = ""  # "type nat hook prerouting priority dstnat; policy accept;" for base chains


@dataclass(frozen=True)
class Map:
    type: str  # "ipv4_addr . inet_proto . inet_service : verdict"
    elements: frozenset[tuple[str, str]] = frozenset()  # (key, value)


@dataclass(frozen=True)
class Set:
    type: str
    flags: str = ""
    timeout: int = 0


@dataclass
class Table:
    chains: dict[str, Chain] = field(default_factory=dict)
    maps: dict[str, Map] = field(default_factory=dict)
    sets: dict[str, Set] = field(default_factory=dict)


def _id(*parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return base64.b32encode(digest)[:8].decode().lower()


def _label(sp: ServicePort) -> str:
    port = sp.port_name or f"p{sp.port}"
    return f"{sp.namespace}/{sp.name}/{PROTO.get(sp.protocol, 'tcp')}/{port}"


def svc_chain(sp: ServicePort) -> str:
    return f"svc-{_id(sp.key)}-{_label(sp)}"


def ext_chain(sp: ServicePort) -> str:
    return f"ext-{_id(sp.key)}-{_label(sp)}"


def ep_chain(sp: ServicePort, ep: Endpoint) -> str:
    return f"ep-{_id(sp.key, ep.address)}-{sp.namespace}/{sp.name}/{ep.ip}/{ep.port}"


def aff_set(sp: ServicePort, ep: Endpoint) -> str:
    return f"aff-{_id(sp.key, ep.address)}"


def _within(ip: str, subnet: str) -> bool:
    if not subnet:
        return False
    try:
        return ipaddress.IPv4Address(ip) in ipaddress.IPv4Network(subnet, strict=False)
    except ValueError:
        return False


def _base(table: Table) -> None:
    table.maps["service-ips"] = Map("ipv4_addr . inet_proto . inet_service : verdict")
    table.maps["service-nodeports"] = Map("inet_proto . inet_service : verdict")
    table.maps["no-endpoint"] = Map("ipv4_addr . inet_proto . inet_service : verdict")
    table.chains.update({
        "prerouting": Chain(("jump services",), "type nat hook prerouting priority dstnat; policy accept;"),
        "output": Chain(("jump services",), "type nat hook output priority -100; policy accept;"),
        "postrouting": Chain(("jump masquerading",),
                             "type nat hook postrouting priority srcnat; policy accept;"),
        "services": Chain((
            "ip daddr . meta l4proto . th dport vmap @service-ips",
            "fib daddr type local meta l4proto . th dport vmap @service-nodeports",
        )),
        "mark-for-masquerade": Chain((f"meta mark set meta mark | {MASQ_MARK}",)),
        "masquerading": Chain((
            f"meta mark & {MASQ_MARK} == 0 return",
            f"meta mark set meta mark ^ {MASQ_MARK}",
            "masquerade fully-random",
        )),
        "reject-service": Chain(("reject",)),
        "filter-input": Chain(("ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint",),
                              "type filter hook input priority -110; policy accept;"),
        "filter-forward": Chain(("ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint",),
                                "type filter hook forward priority -110; policy accept;"),
        "filter-output": Chain(("ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint",),
                               "type filter hook output priority -110; policy accept;"),
    })


def _spread(sp: ServicePort, endpoints: list[Endpoint]) -> list[str]:
    """Affinity lookups, then a uniform random choice among ``endpoints``."""
    rules = []
    if sp.affinity_timeout:
        rules += [f"ip saddr @{aff_set(sp, ep)} goto {ep_chain(sp, ep)}" for ep in endpoints]
    if len(endpoints) == 1:
        rules.append(f"goto {ep_chain(sp, endpoints[0])}")
    else:
        arms = ", ".join(f"{i} : goto {ep_chain(sp, ep)}" for i, ep in enumerate(endpoints))
        rules.append(f"numgen random mod {len(endpoints)} vmap {{ {arms} }}")
    return rules


def _add_service(table: Table, sp: ServicePort, cfg: ProxyConfig) -> tuple[list[tuple[str, str]], ...]:
    proto = PROTO.get(sp.protocol, "tcp")
    internal = usable_endpoints(sp.endpoints, cfg.node_name if sp.internal_local else None)
    external = usable_endpoints(sp.endpoints, cfg.node_name if sp.external_local else None)
    ips: list[tuple[str, str]] = []
    nodeports: list[tuple[str, str]] = []
    rejects: list[tuple[str, str]] = []
    for ep in {e.address: e for e in internal + external}.values():
        if _within(ep.ip, cfg.local_subnet):
            # Pods of the endpoint's bridge, not the node's own address on it: the node's replies come
            # back through its conntrack anyway, and masquerading it would spend NAT ports for nothing.
            rules = [f"ip saddr {cfg.local_subnet} fib saddr type != local jump mark-for-masquerade"]
        else:
            rules = [f"ip saddr {ep.ip} jump mark-for-masquerade"]
        if sp.affinity_timeout:
            rules.append(f"update @{aff_set(sp, ep)} {{ ip saddr }}")
            table.sets[aff_set(sp, ep)] = Set("ipv4_addr", "dynamic,timeout", sp.affinity_timeout)
        rules.append(f"meta l4proto {proto} dnat to {ep.ip}:{ep.port}")
        table.chains[ep_chain(sp, ep)] = Chain(tuple(rules))
    for ip in sp.cluster_ips:
        key = f"{ip} . {proto} . {sp.port}"
        if internal:
            ips.append((key, f"goto {svc_chain(sp)}"))
        else:
            rejects.append((key, "goto reject-service"))
    if internal:
        masq = [f"ip saddr != {cfg.cluster_cidr} jump mark-for-masquerade"]
        table.chains[svc_chain(sp)] = Chain(tuple(masq + _spread(sp, internal)))
    if sp.node_port or sp.external_ips:
        targets = [(f"{ip} . {proto} . {sp.port}", ips) for ip in sp.external_ips]
        if sp.node_port:
            targets.append((f"{proto} . {sp.node_port}", nodeports))
        if external:
            if sp.external_local:
                # Keep the client's address: no masquerade, this node's endpoints only. Except, as
                # kube-proxy does, for pods and for this node itself (127.0.0.1 included), whose source
                # a reply could not come back to: those take the cluster-wide path, masqueraded.
                ext_rules = []
                if internal:
                    ext_rules += [f"ip saddr {cfg.cluster_cidr} goto {svc_chain(sp)}",
                                  "fib saddr type local jump mark-for-masquerade",
                                  f"fib saddr type local goto {svc_chain(sp)}"]
                ext_rules += _spread(sp, external)
            else:
                ext_rules = ["jump mark-for-masquerade", *_spread(sp, external)]
            table.chains[ext_chain(sp)] = Chain(tuple(ext_rules))
            for key, dest in targets:
                dest.append((key, f"goto {ext_chain(sp)}"))
        else:
            rejects += [(key, "goto reject-service") for key, dest in targets if dest is ips]
    return ips, nodeports, rejects


def compute(ports: Iterable[ServicePort], cfg: ProxyConfig) -> Table:
    """The whole table for these service ports."""
    table = Table()
    _base(table)
    elements: dict[str, set[tuple[str, str]]] = {"service-ips": set(), "service-nodeports": set(),
                                                  "no-endpoint": set()}
    for sp in ports:
        ips, nodeports, rejects = _add_service(table, sp, cfg)
        elements["service-ips"].update(ips)
        elements["service-nodeports"].update(nodeports)
        elements["no-endpoint"].update(rejects)
    for name, elems in elements.items():
        table.maps[name] = Map(table.maps[name].type, frozenset(elems))
    return table

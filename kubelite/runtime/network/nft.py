"""nftables rules for the bridge network, computed purely from the published ports.

The engine owns one table per bridge network (``ip kubelite_engine`` by default; ``ip kubelite`` is
kube-proxy's, in :mod:`kubelite.proxy`) and only ever replaces that table, atomically, in a single
``nft -f`` transaction::

    table ip kubelite_engine            # make sure it exists so the delete below cannot fail
    delete table ip kubelite_engine
    table ip kubelite_engine { ... }    # the whole desired state

so no other table (Docker's, podman's, kube-proxy's) is ever flushed or touched. The desired state is a
function of (network, published ports): level-triggered, the same input always gives the same script.

* ``prerouting``/``output`` (nat, dstnat): traffic to a local address and a published port jumps to
  ``publish``, which DNATs it to the container. ``output`` is what makes ``curl 127.0.0.1:8080`` from
  the host itself work; that also needs ``route_localnet`` on the bridge, set by :mod:`.bridge`.
* ``postrouting`` (nat, srcnat): containers' outbound traffic is masqueraded (outbound NAT) unless it
  goes to the cluster CIDR of a pod network spanning nodes (``NetConf.cluster_cidr``), and
  loopback-sourced traffic DNATed into the bridge is masqueraded to the gateway so replies come back.
* ``forward`` (filter): accept traffic from and back to the bridge, in case the host's policy is drop.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelite.runtime.network.ipam import NetConf


@dataclass(frozen=True)
class Publication:
    """One published port of one container."""

    host_ip: str  # "" = every local address
    host_port: int
    protocol: str  # tcp | udp
    container_ip: str
    container_port: int


def ruleset(conf: NetConf, pubs: list[Publication]) -> str:
    """The full table definition for ``conf`` publishing ``pubs``."""
    t = conf.table
    br = conf.bridge
    publish = []
    for p in sorted(pubs, key=lambda p: (p.protocol, p.host_port, p.host_ip)):
        match = f"ip daddr {p.host_ip} " if p.host_ip and p.host_ip != "0.0.0.0" else ""
        publish.append(f"    {match}{p.protocol} dport {p.host_port} dnat to {p.container_ip}:{p.container_port}")
    # A bridge that is one node's share of a cluster's pod network: pod-to-pod traffic across nodes
    # keeps its source address (only traffic leaving the cluster CIDR is masqueraded), and pods of
    # other nodes may reach this bridge's pods.
    to_outside = f"ip daddr != {conf.cluster_cidr} " if conf.cluster_cidr else ""
    cross_node = [f'    oifname "{br}" ip saddr {conf.cluster_cidr} accept'] if conf.cluster_cidr else []
    lines = [
        f"table ip {t} {{",
        "  chain publish {",
        *publish,
        "  }",
        "  chain prerouting {",
        "    type nat hook prerouting priority dstnat; policy accept;",
        "    fib daddr type local jump publish",
        "  }",
        "  chain output {",
        "    type nat hook output priority -100; policy accept;",
        "    fib daddr type local jump publish",
        "  }",
        "  chain postrouting {",
        "    type nat hook postrouting priority srcnat; policy accept;",
        f'    ip saddr {conf.subnet} {to_outside}oifname != "{br}" masquerade',
        f'    oifname "{br}" ip saddr 127.0.0.0/8 masquerade',
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
        f'    iifname "{br}" accept',
        f'    oifname "{br}" ct state established,related accept',
        f'    oifname "{br}" ip daddr {conf.subnet} ct status dnat accept',
        *cross_node,
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def replace_script(conf: NetConf, pubs: list[Publication]) -> str:
    """The atomic replace transaction for ``nft -f -``."""
    return f"table ip {conf.table}\ndelete table ip {conf.table}\n" + ruleset(conf, pubs)


def delete_script(conf: NetConf) -> str:
    return f"table ip {conf.table}\ndelete table ip {conf.table}\n"

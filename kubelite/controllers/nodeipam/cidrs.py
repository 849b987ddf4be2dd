"""Carving a cluster CIDR into equal per-node subnets (pure; the controller keeps no state in it).

Subnet ``i`` of a ``10.244.0.0/16`` cluster CIDR with ``/24`` per node is ``10.244.i.0/24``. The lowest
free subnet is handed out first, as kube-controller-manager's range allocator does, so a small cluster
gets ``10.244.0.0/24``, ``10.244.1.0/24``, ... in registration order.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network


class CidrError(ValueError):
    """The cluster CIDR or the per-node mask size cannot work together."""


def check(cluster_cidr: str, mask_size: int) -> IPv4Network:
    """The cluster network, if ``mask_size`` splits it into at least one subnet; else CidrError."""
    try:
        net = IPv4Network(cluster_cidr)
    except ValueError as err:
        raise CidrError(f"invalid cluster CIDR {cluster_cidr!r}: {err}") from None
    if not net.prefixlen <= mask_size <= 30:
        raise CidrError(f"node CIDR mask size {mask_size} must be between the cluster CIDR's "
                        f"/{net.prefixlen} and /30")
    return net


def subnet_at(net: IPv4Network, mask_size: int, index: int) -> IPv4Network:
    size = 1 << (32 - mask_size)
    return IPv4Network((int(net.network_address) + index * size, mask_size))


def next_free(cluster_cidr: str, mask_size: int, used: Iterable[str]) -> str | None:
    """The lowest per-node subnet of ``cluster_cidr`` that overlaps nothing in ``used``; None if full.

    ``used`` may hold anything (a node registered with its own ``--pod-cidr``, even outside the
    cluster CIDR or of another size): whatever it overlaps is skipped."""
    net = check(cluster_cidr, mask_size)
    taken: list[IPv4Network] = []
    for value in used:
        try:
            taken.append(IPv4Network(value, strict=False))
        except ValueError:
            continue
    # Aligned subnets of the node size (the usual case) by index; anything else by overlap.
    shift = 32 - mask_size
    base = int(net.network_address)
    indices: set[int] = set()
    odd: list[IPv4Network] = []
    for t in taken:
        if not t.overlaps(net):
            continue
        if t.prefixlen == mask_size:
            indices.add((int(t.network_address) - base) >> shift)
        else:
            odd.append(t)
    for index in range(1 << (mask_size - net.prefixlen)):
        if index in indices:
            continue
        candidate = subnet_at(net, mask_size, index)
        if not any(candidate.overlaps(t) for t in odd):
            return candidate.with_prefixlen
    return None

"""Routes of our own in the main routing table: "this CIDR is reached through that gateway".

A pod network spanning hosts needs, on each host, a route to every other host's pod subnet via that
host's address (host-gw). The engine keeps those routes without knowing why: the caller gives the
whole desired set (CIDR -> gateway) and :func:`sync_routes` makes the kernel match it.

Ownership: every route we add carries the routing protocol number :data:`ROUTE_PROTO` (``proto 107``
in ``ip route``), the same way bird or Calico mark theirs. We only ever change or delete routes that
carry it, so a route the administrator or another tool made is never touched: a desired CIDR already
routed by someone else is reported as *blocked* and left alone.

:func:`plan_routes` is pure (the unit tests drive it); :func:`sync_routes` is the kernel edge.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import ip_network
from typing import Any

from kubelite.runtime.container_errors import RuntimeFailure
from kubelite.runtime.network.kernel import NetKernel

log = logging.getLogger(__name__)

ROUTE_PROTO = "107"  # unassigned in /etc/iproute2/rt_protos; marks the routes kubelite owns


def _cidr(dst: str) -> str | None:
    """The kernel's ``dst`` as a normalised CIDR (``10.0.0.5`` is a /32); None for ``default``."""
    if not dst or dst == "default":
        return None
    try:
        return ip_network(dst, strict=False).with_prefixlen
    except ValueError:
        return None


@dataclass(frozen=True)
class Nexthop:
    """Where a CIDR goes: via ``gateway``, optionally through ``dev`` with ``onlink`` (the gateway need
    not be on a connected network: an overlay device's peer address)."""

    gateway: str
    dev: str = ""
    onlink: bool = False

    def args(self) -> list[str]:
        return (["via", self.gateway] if self.gateway else []) + (["dev", self.dev] if self.dev else []) + (
            ["onlink"] if self.onlink else [])


@dataclass(frozen=True)
class RoutePlan:
    """What to do to make the table match: add (new), replace (ours, wrong next hop), delete (ours,
    no longer wanted), and blocked (wanted, but the CIDR is routed by a route that is not ours)."""

    add: dict[str, Nexthop] = field(default_factory=dict)
    replace: dict[str, Nexthop] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.add or self.replace or self.delete)


def _nexthop(value: str | Nexthop) -> Nexthop:
    return value if isinstance(value, Nexthop) else Nexthop(value)


def _same(have: dict[str, Any], want: Nexthop) -> bool:
    """Whether an existing route already goes where ``want`` says (a device is compared only when asked)."""
    return str(have.get("gateway", "")) == want.gateway and (not want.dev or have.get("dev") == want.dev)


def plan_routes(desired: Mapping[str, str | Nexthop], table: list[dict[str, Any]]) -> RoutePlan:
    """Compare ``desired`` (CIDR -> gateway or next hop) with ``table`` (``ip -j route show``)."""
    ours: dict[str, dict[str, Any]] = {}
    foreign: set[str] = set()
    for route in table:
        cidr = _cidr(str(route.get("dst", "")))
        if cidr is None:
            continue
        if str(route.get("protocol", "")) == ROUTE_PROTO:
            ours[cidr] = route
        else:
            foreign.add(cidr)
    want = {c: _nexthop(v) for c, v in ((_cidr(k), v) for k, v in desired.items()) if c is not None}
    plan = RoutePlan(delete=sorted(c for c in ours if c not in want))
    for cidr, hop in sorted(want.items()):
        if cidr in ours:
            if not _same(ours[cidr], hop):
                plan.replace[cidr] = hop
        elif cidr in foreign:
            plan.blocked.append(cidr)
        else:
            plan.add[cidr] = hop
    return plan


@dataclass
class RouteResult:
    plan: RoutePlan
    failed: dict[str, str] = field(default_factory=dict)  # CIDR -> the kernel's complaint


def sync_routes(k: NetKernel, desired: Mapping[str, str | Nexthop]) -> RouteResult:
    """Make our routes in the main table equal ``desired``. One ``ip`` run per change, so one bad
    gateway (not on a directly connected network, as host-gw requires) fails alone; failures are
    returned, not raised, and the next sync tries again."""
    plan = plan_routes(desired, k.ip_json(["route", "show", "table", "main"]))
    result = RouteResult(plan)
    steps: list[tuple[str, str, Nexthop | None]] = [
        *(("del", c, None) for c in plan.delete), *(("replace", c, h) for c, h in plan.replace.items()),
        *(("add", c, h) for c, h in plan.add.items())]
    for verb, cidr, hop in steps:
        args = ["route", verb, cidr, *(hop.args() if hop else []), "proto", ROUTE_PROTO]
        try:
            k.ip(args)
        except RuntimeFailure as err:
            result.failed[cidr] = str(err)
    return result


def remove_routes(k: NetKernel) -> int:
    """Delete every route we own (the node leaves the pod network); returns how many."""
    return len(sync_routes(k, {}).plan.delete)

"""The cluster's DNS records, following the Kubernetes DNS specification, as a pure index.

- ``<svc>.<ns>.svc.<zone>``: A to the cluster IP; for a headless service, A to each ready endpoint.
- ``<hostname>.<svc>.<ns>.svc.<zone>``: A to that endpoint (headless services with hostnames, as
  StatefulSets give them).
- ``_<port>._<proto>.<svc>.<ns>.svc.<zone>``: SRV for each named port (target the service, or each
  endpoint of a headless service).
- ExternalName services: CNAME to the external name.
- ``<a-b-c-d>.<ns>.pod.<zone>``: A to a.b.c.d (CoreDNS's ``pods insecure`` mode).
- Reverse (PTR) names for cluster IPs.

A name inside the zone that does not exist is NXDOMAIN; an existing name asked for another type is
NOERROR with no answer, as resolvers expect (so AAAA queries don't make the A lookup fail).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]
TTL = 5  # seconds, as CoreDNS's kubernetes plugin uses by default


@dataclass(frozen=True, slots=True)
class Record:
    name: str  # fully qualified, lower case, with the trailing dot
    type: str  # A | SRV | CNAME | PTR
    data: str  # A: ip; CNAME/PTR: target name; SRV: "priority weight port target"
    ttl: int = TTL


@dataclass
class Answer:
    rcode: str  # NOERROR | NXDOMAIN
    records: list[Record] = field(default_factory=list)


def _fqdn(*labels: str) -> str:
    return ".".join(label.strip(".").lower() for label in labels if label) + "."


@dataclass
class Zone:
    """Every record of the cluster zone, indexed by name."""

    domain: str = "cluster.local"
    names: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))

    def add(self, record: Record) -> None:
        self.names[record.name].append(record)

    def in_zone(self, name: str) -> bool:
        """Whether we answer ``name`` ourselves: the cluster domain, and reverse names of our IPs
        (other reverse names go upstream)."""
        name = name.lower() if name.endswith(".") else name.lower() + "."
        apex = _fqdn(self.domain)
        if name == apex or name.endswith("." + apex):
            return True
        return name.endswith(".in-addr.arpa.") and name in self.names

    def lookup(self, name: str, qtype: str) -> Answer:
        name = name.lower() if name.endswith(".") else name.lower() + "."
        pod = self._pod_record(name)
        if pod is not None:
            return Answer("NOERROR", [pod] if qtype in ("A", "ANY") else [])
        records = self.names.get(name)
        if not records:
            # An empty non-terminal (e.g. "svc.cluster.local.", "default.svc.cluster.local.") exists.
            exists = any(n.endswith("." + name) for n in self.names) or name == _fqdn(self.domain)
            return Answer("NOERROR" if exists else "NXDOMAIN")
        cnames = [r for r in records if r.type == "CNAME"]
        if cnames and qtype != "CNAME":
            return Answer("NOERROR", cnames)
        return Answer("NOERROR", [r for r in records if qtype in (r.type, "ANY")])

    def _pod_record(self, name: str) -> Record | None:
        suffix = ".pod." + _fqdn(self.domain)
        if not name.endswith(suffix):
            return None
        parts = name[: -len(suffix)].split(".")
        if len(parts) != 2:
            return None
        try:
            ip = ipaddress.IPv4Address(parts[0].replace("-", "."))
        except ValueError:
            return None
        return Record(name, "A", str(ip))


def _ready_endpoints(slices: Iterable[JsonDict]) -> list[tuple[str, str]]:
    """(ip, hostname) of ready endpoints; a headless service publishes only ready addresses."""
    out = []
    for s in slices:
        for ep in s.get("endpoints") or []:
            if (ep.get("conditions") or {}).get("ready", True) is False:
                continue
            for ip in ep.get("addresses") or []:
                out.append((ip, ep.get("hostname") or ""))
    return sorted(set(out))


def _slice_ports(slices: Iterable[JsonDict]) -> list[tuple[str, str, int]]:
    ports = {(p.get("name") or "", p.get("protocol", "TCP"), int(p.get("port") or 0))
             for s in slices for p in s.get("ports") or []}
    return sorted(p for p in ports if p[0] and p[2])


def build_zone(services: Iterable[JsonDict], slices_by_service: dict[str, list[JsonDict]],
               domain: str = "cluster.local") -> Zone:
    """``slices_by_service`` maps ``ns/name`` to the EndpointSlices labelled for that service."""
    zone = Zone(domain)
    for svc in services:
        meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
        ns, name = meta.get("namespace", "default"), meta.get("name", "")
        base = _fqdn(name, ns, "svc", domain)
        if spec.get("type") == "ExternalName":
            zone.add(Record(base, "CNAME", _fqdn(spec.get("externalName", ""))))
            continue
        ips = [ip for ip in (spec.get("clusterIPs") or [spec.get("clusterIP")]) if ip and ip != "None"]
        slices = slices_by_service.get(f"{ns}/{name}", [])
        if ips:
            for ip in ips:
                zone.add(Record(base, "A", ip))
                zone.add(Record(ipaddress.ip_address(ip).reverse_pointer + ".", "PTR", base))
            for p in spec.get("ports") or []:
                if p.get("name"):
                    srv = _fqdn(f"_{p['name']}", f"_{p.get('protocol', 'TCP').lower()}", base)
                    zone.add(Record(srv, "SRV", f"0 100 {int(p.get('port', 0))} {base}"))
            continue
        # Headless: the ready endpoints themselves.
        endpoints = _ready_endpoints(slices)
        for ip, hostname in endpoints:
            zone.add(Record(base, "A", ip))
            host = _fqdn(hostname or ip.replace(".", "-"), base)
            zone.add(Record(host, "A", ip))
        for pname, proto, port in _slice_ports(slices):
            srv = _fqdn(f"_{pname}", f"_{proto.lower()}", base)
            for ip, hostname in endpoints:
                target = _fqdn(hostname or ip.replace(".", "-"), base)
                zone.add(Record(srv, "SRV", f"0 {100 // max(1, len(endpoints))} {port} {target}"))
    return zone

"""What the proxy needs of Services and EndpointSlices, extracted once from the API's dicts.

One :class:`ServicePort` per (service, port): its cluster IP, node port, load-balancer IPs, session
affinity and traffic policy, with the endpoints that back it (matched by port *name*, as EndpointSlices
carry them). Endpoints that are not ready are kept out of rotation; terminating-but-serving endpoints
are used only when no ready one is left, as kube-proxy does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Endpoint:
    ip: str
    port: int
    node_name: str = ""
    ready: bool = True
    serving: bool = True
    terminating: bool = False

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"


@dataclass(frozen=True, slots=True)
class ServicePort:
    namespace: str
    name: str  # the service name
    port_name: str
    protocol: str  # TCP | UDP | SCTP
    port: int
    cluster_ips: tuple[str, ...]
    node_port: int = 0
    external_ips: tuple[str, ...] = ()  # spec.externalIPs and status.loadBalancer.ingress IPs
    affinity_timeout: int = 0  # seconds; 0 = no ClientIP affinity
    external_local: bool = False  # externalTrafficPolicy: Local
    internal_local: bool = False  # internalTrafficPolicy: Local
    endpoints: tuple[Endpoint, ...] = field(default=())

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}:{self.port_name}/{self.protocol.lower()}"


def usable_endpoints(endpoints: Iterable[Endpoint], local_node: str | None = None) -> list[Endpoint]:
    """Ready endpoints (on ``local_node`` only, when given); failing that, serving terminating ones."""
    pool = [e for e in endpoints if local_node is None or e.node_name == local_node]
    ready = [e for e in pool if e.ready]
    if ready:
        return sorted(ready, key=lambda e: (e.ip, e.port))
    return sorted((e for e in pool if e.serving and e.terminating), key=lambda e: (e.ip, e.port))


def _slice_endpoints(slices: Iterable[JsonDict], port_name: str, protocol: str) -> tuple[Endpoint, ...]:
    seen: dict[tuple[str, int], Endpoint] = {}
    for s in slices:
        if s.get("addressType", "IPv4") != "IPv4":
            continue
        port = next(
            (p for p in s.get("ports") or []
             if (p.get("name") or "") == port_name and p.get("protocol", "TCP") == protocol),
            None,
        )
        if port is None or not port.get("port"):
            continue
        for ep in s.get("endpoints") or []:
            cond = ep.get("conditions") or {}
            ready = cond.get("ready", True) is not False
            for ip in ep.get("addresses") or []:
                e = Endpoint(ip=ip, port=int(port["port"]), node_name=ep.get("nodeName") or "",
                             ready=ready, serving=cond.get("serving", ready) is not False,
                             terminating=bool(cond.get("terminating", False)))
                seen.setdefault((e.ip, e.port), e)  # the same endpoint in two slices counts once
    return tuple(seen.values())


def service_ports(service: JsonDict, slices: Iterable[JsonDict]) -> list[ServicePort]:
    """The service's ports with their endpoints; none for headless or ExternalName services."""
    meta, spec = service.get("metadata") or {}, service.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return []
    ips = tuple(ip for ip in (spec.get("clusterIPs") or [spec.get("clusterIP")]) if ip and ip != "None")
    if not ips:
        return []
    lb = tuple(i["ip"] for i in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
               if i.get("ip"))
    external = tuple(spec.get("externalIPs") or []) + lb
    affinity = 0
    if spec.get("sessionAffinity") == "ClientIP":
        cfg = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {})
        affinity = int(cfg.get("timeoutSeconds") or 10800)
    slice_list = list(slices)
    out = []
    for p in spec.get("ports") or []:
        name, proto = p.get("name") or "", p.get("protocol", "TCP")
        out.append(ServicePort(
            namespace=meta.get("namespace", "default"), name=meta.get("name", ""), port_name=name,
            protocol=proto, port=int(p.get("port", 0)), cluster_ips=ips,
            node_port=int(p.get("nodePort") or 0) if spec.get("type") in ("NodePort", "LoadBalancer") else 0,
            external_ips=external, affinity_timeout=affinity,
            external_local=spec.get("externalTrafficPolicy") == "Local",
            internal_local=spec.get("internalTrafficPolicy") == "Local",
            endpoints=_slice_endpoints(slice_list, name, proto),
        ))
    return out

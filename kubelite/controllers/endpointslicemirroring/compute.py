"""What to mirror: a pure function from a Service and its Endpoints to EndpointSlice bodies.

A Service without a selector gets its endpoints from an Endpoints object someone writes by hand (an
external database behind a stable name, Kubernetes in Action's ``external-service``). The proxy and DNS
read EndpointSlices, so, as Kubernetes' EndpointSliceMirroring controller does, each subset of such an
Endpoints becomes one slice: addresses ready, ``notReadyAddresses`` not ready. Endpoints labelled
``endpointslice.kubernetes.io/skip-mirror: "true"`` are left alone (their writer publishes slices itself).
"""

from __future__ import annotations

import ipaddress
from typing import Any

JsonDict = dict[str, Any]
MANAGED_BY = "endpointslicemirroring-controller.k8s.io"
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"


def should_mirror(service: JsonDict | None, endpoints: JsonDict | None) -> bool:
    if service is None or endpoints is None:
        return False
    spec = service.get("spec") or {}
    if spec.get("selector") or spec.get("type") == "ExternalName":
        return False
    labels = (endpoints.get("metadata") or {}).get("labels") or {}
    return labels.get(SKIP_MIRROR_LABEL) != "true"


def _is_ipv4(ip: str) -> bool:
    try:
        ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    return True


def _endpoint(address: JsonDict, ready: bool) -> JsonDict:
    ep: JsonDict = {"addresses": [address["ip"]],
                    "conditions": {"ready": ready, "serving": ready, "terminating": False}}
    if address.get("nodeName"):
        ep["nodeName"] = address["nodeName"]
    if address.get("hostname"):
        ep["hostname"] = address["hostname"]
    if address.get("targetRef"):
        ep["targetRef"] = address["targetRef"]
    return ep


def mirrored_slices(endpoints: JsonDict) -> list[JsonDict]:
    """One body (addressType, endpoints, ports) per subset that has IPv4 addresses and ports."""
    out = []
    for subset in endpoints.get("subsets") or []:
        eps = [_endpoint(a, True) for a in subset.get("addresses") or [] if _is_ipv4(a.get("ip", ""))]
        eps += [_endpoint(a, False) for a in subset.get("notReadyAddresses") or [] if _is_ipv4(a.get("ip", ""))]
        ports = [{"name": p.get("name") or "", "port": int(p["port"]), "protocol": p.get("protocol") or "TCP"}
                 for p in subset.get("ports") or [] if p.get("port")]
        if eps and ports:
            out.append({"addressType": "IPv4", "endpoints": eps, "ports": ports})
    return out

"""What a Service's Endpoints and EndpointSlices should hold, computed from its pods (pure).

As Kubernetes' endpoint controllers:
- pods of the service's namespace matching its selector, with an IP, not Succeeded or Failed;
- a pod is *ready* when its Ready condition is True and it is not terminating (or always, with
  ``publishNotReadyAddresses``); terminating pods appear in slices with ``terminating: true``
  (and ``serving`` from readiness) but not in Endpoints;
- ``targetPort`` by number, or by name looked up in each pod's container ports, so pods that name
  the port differently land in different subsets/slices;
- a pod with ``hostname`` and ``subdomain`` equal to the service name publishes that hostname.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kubelite.api.selectors import LabelSelector, from_label_selector

JsonDict = dict[str, Any]
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
MAX_ENDPOINTS_PER_SLICE = 100

PortKey = tuple[tuple[str, str, int], ...]  # (name, protocol, port) per service port


def service_selector(service: JsonDict) -> LabelSelector | None:
    """The service's pod selector, or None when the service has none (endpoints managed by hand)."""
    selector = (service.get("spec") or {}).get("selector")
    if not selector:
        return None
    return from_label_selector({"matchLabels": selector})


def _pod_ready(pod: JsonDict) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def _target_port(service_port: JsonDict, pod: JsonDict) -> int | None:
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    proto = service_port.get("protocol", "TCP")
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target and p.get("protocol", "TCP") == proto:
                return int(p["containerPort"])
    return None


def _port_key(service: JsonDict, pod: JsonDict) -> PortKey | None:
    ports = []
    for sp in (service.get("spec") or {}).get("ports") or []:
        port = _target_port(sp, pod)
        if port is None:
            continue  # a named port this pod does not have
        ports.append((sp.get("name") or "", sp.get("protocol", "TCP"), port))
    return tuple(ports) if ports else None


def _address(pod: JsonDict, service_name: str) -> JsonDict:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    address: JsonDict = {
        "ip": (pod.get("status") or {}).get("podIP"),
        "targetRef": {"kind": "Pod", "namespace": meta.get("namespace"), "name": meta.get("name"),
                      "uid": meta.get("uid")},
    }
    if spec.get("nodeName"):
        address["nodeName"] = spec["nodeName"]
    if spec.get("hostname") and spec.get("subdomain") == service_name:
        address["hostname"] = spec["hostname"]
    return address


def eligible_pods(service: JsonDict, pods: list[JsonDict]) -> list[JsonDict]:
    selector = service_selector(service)
    if selector is None:
        return []
    namespace = (service.get("metadata") or {}).get("namespace", "default")
    out = []
    for pod in pods:
        meta, status = pod.get("metadata") or {}, pod.get("status") or {}
        if meta.get("namespace", "default") != namespace or not selector.matches(meta.get("labels") or {}):
            continue
        if not status.get("podIP") or status.get("phase") in ("Succeeded", "Failed"):
            continue
        out.append(pod)
    return sorted(out, key=lambda p: (p["metadata"].get("name", ""), p["status"]["podIP"]))


def _grouped(service: JsonDict, pods: list[JsonDict]) -> dict[PortKey, list[tuple[JsonDict, bool, bool]]]:
    """Pods grouped by their resolved port set, each with (ready, terminating)."""
    publish_all = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    groups: dict[PortKey, list[tuple[JsonDict, bool, bool]]] = defaultdict(list)
    for pod in eligible_pods(service, pods):
        key = _port_key(service, pod)
        if key is None:
            continue
        terminating = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
        ready = publish_all or (_pod_ready(pod) and not terminating)
        groups[key].append((pod, ready, terminating))
    return groups


def desired_endpoints(service: JsonDict, pods: list[JsonDict]) -> JsonDict:
    """The core/v1 Endpoints object's ``subsets`` (and labels) for the service."""
    name = (service.get("metadata") or {}).get("name", "")
    subsets = []
    for ports, members in sorted(_grouped(service, pods).items()):
        ready = [_address(p, name) for p, ok, terminating in members if ok and not terminating]
        not_ready = [_address(p, name) for p, ok, terminating in members if not ok and not terminating]
        if not ready and not not_ready:
            continue
        subset: JsonDict = {"ports": [{"name": n, "port": port, "protocol": proto} if n
                                      else {"port": port, "protocol": proto} for n, proto, port in ports]}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        subsets.append(subset)
    return {"subsets": subsets}


def desired_slices(service: JsonDict, pods: list[JsonDict]) -> list[JsonDict]:
    """The EndpointSlices' bodies (without names): one or more per port set, at most 100 endpoints each."""
    name = (service.get("metadata") or {}).get("name", "")
    out = []
    for ports, members in sorted(_grouped(service, pods).items()):
        endpoints = []
        for pod, ready, terminating in members:
            addr = _address(pod, name)
            ep: JsonDict = {"addresses": [addr["ip"]],
                            "conditions": {"ready": ready, "serving": ready or (terminating and _pod_ready(pod)),
                                           "terminating": terminating},
                            "targetRef": addr["targetRef"]}
            if "nodeName" in addr:
                ep["nodeName"] = addr["nodeName"]
            if "hostname" in addr:
                ep["hostname"] = addr["hostname"]
            endpoints.append(ep)
        port_list = [{"name": n, "port": port, "protocol": proto} for n, proto, port in ports]
        for i in range(0, len(endpoints), MAX_ENDPOINTS_PER_SLICE):
            out.append({"addressType": "IPv4", "endpoints": endpoints[i:i + MAX_ENDPOINTS_PER_SLICE],
                        "ports": port_list})
    return out

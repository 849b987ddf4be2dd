"""Table printers for core kinds: services, nodes, namespaces, events, endpoints, config, leases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelite.api.tables_common import (
    Cell,
    JsonDict,
    Printer,
    age_col,
    col,
    created,
    format_labels,
    get,
    name_col,
    since,
)


def _ports(ports: Any) -> str:
    parts = []
    for p in ports or []:
        proto = p.get("protocol", "TCP")
        if p.get("nodePort"):
            parts.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            parts.append(f"{p.get('port')}/{proto}")
    return ",".join(parts) or "<none>"


def _lb_ips(svc: JsonDict) -> list[str]:
    out = []
    for ing in get(svc, "status", "loadBalancer", "ingress", default=[]):
        if ing.get("ip"):
            out.append(ing["ip"])
        elif ing.get("hostname"):
            out.append(ing["hostname"])
    return out


def external_ip(svc: JsonDict) -> str:
    spec = svc.get("spec") or {}
    external = list(spec.get("externalIPs") or [])
    stype = spec.get("type", "ClusterIP")
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if stype == "LoadBalancer":
        lb = _lb_ips(svc)
        if external:
            return ",".join(lb + external)
        return ",".join(lb) or "<pending>"
    if stype == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_row(svc: JsonDict, now: datetime) -> list[Cell]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or []
    cluster_ip = (ips[0] if ips else spec.get("clusterIP")) or "<none>"
    return [get(svc, "metadata", "name", default=""), spec.get("type", "ClusterIP"), cluster_ip,
            external_ip(svc), _ports(spec.get("ports")), created(svc, now), format_labels(spec.get("selector"))]


SERVICES = Printer([
    name_col(),
    col("Type", description="type determines how the Service is exposed."),
    col("Cluster-IP", description="clusterIP is the IP address of the service."),
    col("External-IP", description="externalIPs is a list of IP addresses for which nodes in the cluster "
        "will also accept traffic for this service."),
    col("Port(s)", description="The list of ports that are exposed by this service."),
    age_col(),
    col("Selector", priority=1, description="Route service traffic to pods with label keys and values "
        "matching this selector."),
], _service_row)


def node_roles(node: JsonDict) -> list[str]:
    roles: set[str] = set()
    for key, value in (get(node, "metadata", "labels", default={}) or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            role = key[len("node-role.kubernetes.io/"):]
            if role:
                roles.add(role)
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return sorted(roles)


def _address(node: JsonDict, kind: str) -> str:
    for addr in get(node, "status", "addresses", default=[]):
        if addr.get("type") == kind:
            return str(addr.get("address", ""))
    return "<none>"


def _node_row(node: JsonDict, now: datetime) -> list[Cell]:
    status = []
    for cond in get(node, "status", "conditions", default=[]):
        if cond.get("type") == "Ready":
            status.append("Ready" if cond.get("status") == "True" else "NotReady")
    if not status:
        status.append("Unknown")
    if get(node, "spec", "unschedulable"):
        status.append("SchedulingDisabled")
    info = get(node, "status", "nodeInfo", default={})
    return [
        get(node, "metadata", "name", default=""), ",".join(status), ",".join(node_roles(node)) or "<none>",
        created(node, now), info.get("kubeletVersion", ""),
        _address(node, "InternalIP"), _address(node, "ExternalIP"),
        info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


NODES = Printer([
    name_col(),
    col("Status", description="The status of the node"),
    col("Roles", description="The roles of the node"),
    age_col(),
    col("Version", description="Kubelet Version reported by the node."),
    col("Internal-IP", priority=1, description="List of addresses reachable to the node."),
    col("External-IP", priority=1, description="List of addresses reachable to the node."),
    col("OS-Image", priority=1, description="OS Image reported by the node from /etc/os-release."),
    col("Kernel-Version", priority=1, description="Kernel Version reported by the node."),
    col("Container-Runtime", priority=1, description="Container runtime version reported by the node."),
], _node_row)

NAMESPACES = Printer([
    name_col(), col("Status", description="The status of the namespace"), age_col(),
], lambda ns, now: [get(ns, "metadata", "name", default=""), get(ns, "status", "phase", default=""),
                    created(ns, now)])


def _event_row(ev: JsonDict, now: datetime) -> list[Cell]:
    # events.k8s.io/v1 objects name things differently; read either shape.
    involved = ev.get("involvedObject") or ev.get("regarding") or {}
    first_raw = ev.get("firstTimestamp") or ev.get("deprecatedFirstTimestamp")
    first = since(first_raw, now) if first_raw else since(ev.get("eventTime"), now)
    last_raw = ev.get("lastTimestamp") or ev.get("deprecatedLastTimestamp")
    last = since(last_raw, now) if last_raw else first
    count = ev.get("count") or ev.get("deprecatedCount") or 0
    series = ev.get("series")
    if series:
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count", 0)
    elif not count:
        count = 1
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = ev.get("source") or ev.get("deprecatedSource") or {}
    component = source.get("component") or ev.get("reportingController") or ev.get("reportingComponent") or ""
    instance = source.get("host") or ev.get("reportingInstance") or ""
    source_text = f"{component}, {instance}" if component and instance else component
    message = str(ev.get("message") if ev.get("message") is not None else ev.get("note", "")).strip()
    return [last, ev.get("type", ""), ev.get("reason", ""), target, involved.get("fieldPath", ""),
            source_text, message, first, int(count), get(ev, "metadata", "name", default="")]


EVENTS = Printer([
    col("Last Seen", description="The time at which the most recent occurrence of this event was recorded."),
    col("Type", description="Type of this event (Normal, Warning), new types could be added in the future"),
    col("Reason", description="This should be a short, machine understandable string that gives the "
        "reason for the transition into the object's current status."),
    col("Object", description="The object that this event is about."),
    col("Subobject", priority=1, description="If referring to a piece of an object instead of an entire "
        "object, this string should contain a valid JSON/Go field access statement."),
    col("Source", priority=1, description="The component reporting this event."),
    col("Message", description="A human-readable description of the status of this operation."),
    col("First Seen", priority=1, description="The time at which the event was first recorded."),
    col("Count", priority=1, description="The number of times this event has occurred."),
    col("Name", priority=1, fmt="name", description="Name must be unique within a namespace."),
], _event_row)


def _join_limited(items: list[str], total: int, limit: int = 3) -> str:
    text = ",".join(items[:limit])
    return f"{text} + {total - limit} more..." if total > limit else text


def _endpoints_row(ep: JsonDict, now: datetime) -> list[Cell]:
    items: list[str] = []
    for subset in ep.get("subsets") or []:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:
            items += addresses
        for port in ports:
            for ip in addresses:
                host = f"[{ip}]" if ":" in ip else ip
                items.append(f"{host}:{port.get('port')}")
    text = _join_limited(items, len(items)) if items else "<none>"
    return [get(ep, "metadata", "name", default=""), text, created(ep, now)]


ENDPOINTS = Printer([
    name_col(), col("Endpoints", description="Endpoints is the list of endpoints for the service."),
    age_col(),
], _endpoints_row)


def _slice_row(es: JsonDict, now: datetime) -> list[Cell]:
    ports = [str(p["port"]) if isinstance(p, dict) and p.get("port") is not None else "<unset>"
             for p in es.get("ports") or []]
    addresses = [a for e in es.get("endpoints") or [] if isinstance(e, dict) for a in (e.get("addresses") or [])]
    return [get(es, "metadata", "name", default=""), es.get("addressType", ""),
            ",".join(ports) or "<unset>", _join_limited(addresses, len(addresses)) or "<unset>",
            created(es, now)]


ENDPOINTSLICES = Printer([
    name_col(),
    col("AddressType", description="Type of address carried by this EndpointSlice."),
    col("Ports", description="Ports of this EndpointSlice."),
    col("Endpoints", description="Endpoints of this EndpointSlice."),
    age_col(),
], _slice_row)

CONFIGMAPS = Printer([
    name_col(), col("Data", description="Number of keys in this ConfigMap."), age_col(),
], lambda cm, now: [get(cm, "metadata", "name", default=""),
                    len(cm.get("data") or {}) + len(cm.get("binaryData") or {}), created(cm, now)])

SECRETS = Printer([
    name_col(), col("Type", description="The type of the secret"),
    col("Data", description="Number of keys in this Secret."), age_col(),
], lambda s, now: [get(s, "metadata", "name", default=""), s.get("type", ""), len(s.get("data") or {}),
                   created(s, now)])

SERVICEACCOUNTS = Printer([
    name_col(), col("Secrets", "string", description="Secrets is a list of the secrets in the same namespace "
                    "that pods running using this ServiceAccount are allowed to use."), age_col(),
], lambda sa, now: [get(sa, "metadata", "name", default=""), len(sa.get("secrets") or []), created(sa, now)])

LEASES = Printer([
    name_col(), col("Holder", description="HolderIdentity contains the identity of the holder of a current "
                    "lease."), age_col(),
], lambda lease, now: [get(lease, "metadata", "name", default=""),
                       get(lease, "spec", "holderIdentity", default=""), created(lease, now)])

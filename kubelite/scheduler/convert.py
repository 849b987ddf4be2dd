"""API objects (plain dicts from informers) into the scheduler's views, converted once per change.

A pod's request is what Kubernetes computes: the sum over its containers, but at least the largest
init container's (they run one at a time, before the others), plus the pod overhead; a resource with a
limit and no request counts the limit, as the API's defaulting would have set it.
"""

from __future__ import annotations

import functools
from typing import Any

from kubelite.api.quantity import QuantityError, parse_quantity
from kubelite.scheduler.nodeinfo import HostPort, NodeInfo, PodInfo, Taint, Toleration

JsonDict = dict[str, Any]


@functools.lru_cache(maxsize=4096)
def _parsed(value: str | int | float) -> tuple[int, int]:
    """(milli-value, value) of a quantity, 0s when malformed. Exact parsing is slow and the same few
    strings ("100m", "64Mi") recur in every pod of a controller, so conversions are memoised."""
    try:
        q = parse_quantity(value)
        return q.milli_value(), q.value()
    except (QuantityError, TypeError, ValueError):
        return 0, 0


def _milli(value: Any) -> int:
    return _parsed(value)[0] if isinstance(value, str | int | float) else 0


def _units(value: Any) -> int:
    return _parsed(value)[1] if isinstance(value, str | int | float) else 0


def _container_request(container: JsonDict) -> tuple[int, int]:
    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    cpu = requests.get("cpu", limits.get("cpu"))
    mem = requests.get("memory", limits.get("memory"))
    return (_milli(cpu) if cpu is not None else 0, _units(mem) if mem is not None else 0)


def pod_requests(spec: JsonDict) -> tuple[int, int]:
    """(milli-cpu, memory bytes) the pod requests."""
    cpu = mem = 0
    for c in spec.get("containers") or []:
        c_cpu, c_mem = _container_request(c)
        cpu += c_cpu
        mem += c_mem
    for c in spec.get("initContainers") or []:
        c_cpu, c_mem = _container_request(c)
        cpu, mem = max(cpu, c_cpu), max(mem, c_mem)
    overhead = spec.get("overhead") or {}
    cpu += _milli(overhead["cpu"]) if "cpu" in overhead else 0
    mem += _units(overhead["memory"]) if "memory" in overhead else 0
    return cpu, mem


def controller_uid(meta: JsonDict) -> str:
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid", ""))
    return ""


def pod_info(pod: JsonDict) -> PodInfo:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    cpu, mem = pod_requests(spec)
    ports = tuple(
        HostPort(int(p["hostPort"]), p.get("protocol", "TCP"), p.get("hostIP", "0.0.0.0"))
        for c in spec.get("containers") or []
        for p in c.get("ports") or []
        if p.get("hostPort")
    )
    node_affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = (node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    return PodInfo(
        namespace=meta.get("namespace", "default"),
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        milli_cpu=cpu,
        memory=mem,
        node_name=spec.get("nodeName") or "",
        labels=dict(meta.get("labels") or {}),
        host_ports=ports,
        node_selector=dict(spec.get("nodeSelector") or {}),
        required_affinity=list(required.get("nodeSelectorTerms") or []),
        preferred_affinity=list(node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []),
        tolerations=tuple(
            Toleration(t.get("key", ""), t.get("operator", "Equal"), t.get("value", ""), t.get("effect", ""))
            for t in spec.get("tolerations") or []
        ),
        spread_constraints=list(spec.get("topologySpreadConstraints") or []),
        owner_uid=controller_uid(meta),
        images=tuple(c.get("image", "") for c in spec.get("containers") or []),
        scheduler_name=spec.get("schedulerName") or "default-scheduler",
    )


def node_info(node: JsonDict) -> NodeInfo:
    meta = node.get("metadata") or {}
    spec = node.get("spec") or {}
    status = node.get("status") or {}
    alloc = status.get("allocatable") or status.get("capacity") or {}
    images: dict[str, int] = {}
    for image in status.get("images") or []:
        for name in image.get("names") or []:
            images[name] = int(image.get("sizeBytes") or 0)
    return NodeInfo(
        name=meta.get("name", ""),
        allocatable_milli_cpu=_milli(alloc.get("cpu", "0")),
        allocatable_memory=_units(alloc.get("memory", "0")),
        allocatable_pods=_units(alloc.get("pods", "110")) or 110,
        labels=dict(meta.get("labels") or {}),
        taints=tuple(Taint(t.get("key", ""), t.get("value", ""), t.get("effect", ""))
                     for t in spec.get("taints") or []),
        unschedulable=bool(spec.get("unschedulable")),
        image_sizes=images,
    )


def priority(pod: JsonDict) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)

"""The scheduler's view of nodes and pods: only what filters and scores read, in plain numbers.

Quantities are converted once, when an object enters the cache, so the hot path compares integers:
CPU in millicores, memory in bytes. :class:`NodeInfo` is the running total of what the pods on a node
request, updated incrementally as pods are added, assumed and removed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# kube-scheduler scores a pod that requests nothing as if it asked for these (non-zero defaults), so
# that best-effort pods still spread; filters use the real requests.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str  # NoSchedule | PreferNoSchedule | NoExecute


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str = ""
    operator: str = "Equal"  # Equal | Exists
    value: str = ""
    effect: str = ""  # empty tolerates every effect

    def tolerates(self, taint: Taint) -> bool:
        if self.effect and self.effect != taint.effect:
            return False
        if not self.key:
            return self.operator == "Exists"
        if self.key != taint.key:
            return False
        return self.operator == "Exists" or self.value == taint.value


@dataclass(frozen=True, slots=True)
class HostPort:
    port: int
    protocol: str = "TCP"
    ip: str = "0.0.0.0"

    def conflicts(self, other: HostPort) -> bool:
        if self.port != other.port or self.protocol != other.protocol:
            return False
        wildcard = ("0.0.0.0", "")
        return self.ip in wildcard or other.ip in wildcard or self.ip == other.ip


@dataclass(slots=True)
class PodInfo:
    """What scheduling needs to know of a pod, converted once."""

    namespace: str
    name: str
    uid: str
    milli_cpu: int = 0
    memory: int = 0
    node_name: str = ""  # spec.nodeName: set for bound (or assumed) pods, or a request for NodeName
    labels: dict[str, str] = field(default_factory=dict)
    host_ports: tuple[HostPort, ...] = ()
    node_selector: dict[str, str] = field(default_factory=dict)
    required_affinity: list[dict[str, Any]] = field(default_factory=list)  # nodeSelectorTerms
    preferred_affinity: list[dict[str, Any]] = field(default_factory=list)
    tolerations: tuple[Toleration, ...] = ()
    spread_constraints: list[dict[str, Any]] = field(default_factory=list)
    owner_uid: str = ""  # the controller owning the pod, for spreading its replicas
    images: tuple[str, ...] = ()
    scheduler_name: str = "default-scheduler"

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def non_zero_cpu(self) -> int:
        return self.milli_cpu or DEFAULT_MILLI_CPU_REQUEST

    @property
    def non_zero_memory(self) -> int:
        return self.memory or DEFAULT_MEMORY_REQUEST


@dataclass(slots=True)
class NodeInfo:
    """A node and the running totals of the pods placed on it."""

    name: str
    allocatable_milli_cpu: int
    allocatable_memory: int
    allocatable_pods: int = 110
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    unschedulable: bool = False
    image_sizes: dict[str, int] = field(default_factory=dict)  # image name -> bytes, from status.images
    requested_milli_cpu: int = 0
    requested_memory: int = 0
    non_zero_cpu: int = 0
    non_zero_memory: int = 0
    pods: dict[str, PodInfo] = field(default_factory=dict)  # key -> pod
    used_ports: list[HostPort] = field(default_factory=list)
    owner_counts: Counter[str] = field(default_factory=Counter)
    generation: int = 0  # bumped on every change, so callers can cache per-node results

    def add_pod(self, pod: PodInfo) -> None:
        if pod.key in self.pods:
            self.remove_pod(pod.key)
        self.pods[pod.key] = pod
        self.requested_milli_cpu += pod.milli_cpu
        self.requested_memory += pod.memory
        self.non_zero_cpu += pod.non_zero_cpu
        self.non_zero_memory += pod.non_zero_memory
        self.used_ports.extend(pod.host_ports)
        if pod.owner_uid:
            self.owner_counts[pod.owner_uid] += 1
        self.generation += 1

    def remove_pod(self, key: str) -> PodInfo | None:
        pod = self.pods.pop(key, None)
        if pod is None:
            return None
        self.requested_milli_cpu -= pod.milli_cpu
        self.requested_memory -= pod.memory
        self.non_zero_cpu -= pod.non_zero_cpu
        self.non_zero_memory -= pod.non_zero_memory
        for port in pod.host_ports:
            self.used_ports.remove(port)
        if pod.owner_uid:
            self.owner_counts[pod.owner_uid] -= 1
            if self.owner_counts[pod.owner_uid] <= 0:
                del self.owner_counts[pod.owner_uid]
        self.generation += 1
        return pod

    def update_node(self, other: NodeInfo) -> None:
        """Take ``other``'s node-level fields (a node update), keeping the pods placed here."""
        self.allocatable_milli_cpu = other.allocatable_milli_cpu
        self.allocatable_memory = other.allocatable_memory
        self.allocatable_pods = other.allocatable_pods
        self.labels = other.labels
        self.taints = other.taints
        self.unschedulable = other.unschedulable
        self.image_sizes = other.image_sizes
        self.generation += 1

"""NodeResourcesFit (filter), LeastAllocated and BalancedAllocation (scores).

The filter compares real requests with what is left of the node's allocatable; the scores use the
non-zero requests (100m CPU, 200Mi memory for a pod that asks nothing) as kube-scheduler does, so that
best-effort pods still spread instead of piling onto one node.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo
from kubelite.scheduler.plugins import Reasons


class NodeResourcesFit:
    name = "NodeResourcesFit"

    def pre_filter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        return None

    def filter(self, state: object, pod: PodInfo, node: NodeInfo) -> Reasons:
        # Every insufficiency is reported, joined, as kube-scheduler lists each reason per node.
        reasons = []
        if len(node.pods) + 1 > node.allocatable_pods:
            reasons.append("Too many pods")
        if pod.milli_cpu and node.requested_milli_cpu + pod.milli_cpu > node.allocatable_milli_cpu:
            reasons.append("Insufficient cpu")
        if pod.memory and node.requested_memory + pod.memory > node.allocatable_memory:
            reasons.append("Insufficient memory")
        return tuple(reasons)


def _fraction(requested: int, allocatable: int) -> float:
    if allocatable <= 0:
        return 1.0
    return min(1.0, requested / allocatable)


class LeastAllocated:
    """Prefer the node with the most room left after placing the pod (cpu and memory, equal weight)."""

    name = "NodeResourcesLeastAllocated"
    weight = 1

    def pre_score(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        return None

    def score(self, state: object, pod: PodInfo, node: NodeInfo) -> float:
        cpu = _fraction(node.non_zero_cpu + pod.non_zero_cpu, node.allocatable_milli_cpu)
        mem = _fraction(node.non_zero_memory + pod.non_zero_memory, node.allocatable_memory)
        return ((1 - cpu) + (1 - mem)) * 50.0


class BalancedAllocation:
    """Prefer nodes whose cpu and memory use stay alike: 100 * (1 - standard deviation of fractions)."""

    name = "NodeResourcesBalancedAllocation"
    weight = 1

    def pre_score(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        return None

    def score(self, state: object, pod: PodInfo, node: NodeInfo) -> float:
        cpu = _fraction(node.requested_milli_cpu + pod.milli_cpu, node.allocatable_milli_cpu)
        mem = _fraction(node.requested_memory + pod.memory, node.allocatable_memory)
        # The standard deviation of two values is half their distance.
        return (1 - abs(cpu - mem) / 2) * 100.0

"""NodeName, NodeUnschedulable and NodePorts: the cheap filters that need no per-pod state."""

from __future__ import annotations

from collections.abc import Sequence

from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo, Taint
from kubelite.scheduler.plugins import FITS, SKIP, Reasons

UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")


class NodeName:
    name = "NodeName"

    def pre_filter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        return None if pod.node_name else SKIP

    def filter(self, state: object, pod: PodInfo, node: NodeInfo) -> Reasons:
        if pod.node_name and pod.node_name != node.name:
            return ("node(s) didn't match the requested node name",)
        return FITS


class NodeUnschedulable:
    """A cordoned node takes no new pods unless they tolerate its unschedulable taint."""

    name = "NodeUnschedulable"

    def pre_filter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        return None

    def filter(self, state: object, pod: PodInfo, node: NodeInfo) -> Reasons:
        if node.unschedulable and not any(t.tolerates(UNSCHEDULABLE_TAINT) for t in pod.tolerations):
            return ("node(s) were unschedulable",)
        return FITS


class NodePorts:
    name = "NodePorts"

    def pre_filter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        return None if pod.host_ports else SKIP

    def filter(self, state: object, pod: PodInfo, node: NodeInfo) -> Reasons:
        for wanted in pod.host_ports:
            if any(wanted.conflicts(used) for used in node.used_ports):
                return ("node(s) didn't have free ports for the requested pod ports",)
        return FITS

"""The scheduler's cache: nodes with the pods placed on them, including pods *assumed* there.

After choosing a node the scheduler assumes the pod onto it at once, before the binding reaches the
API server, so the next cycle already counts its requests; when the informer later reports the pod
bound, the assumption is confirmed; if binding fails, it is forgotten. The node list keeps a stable
order (removal swaps the last node in) so the framework's rotating start index stays meaningful, and
the cache never copies it per cycle.

Objects here are the scheduler's own converted views (:mod:`nodeinfo`), never informer objects.
"""

from __future__ import annotations

from collections import Counter

from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo
from kubelite.scheduler.table import NodeTable


class Cache:
    def __init__(self) -> None:
        self._nodes: dict[str, NodeInfo] = {}
        self._order: list[NodeInfo] = []
        self._index: dict[str, int] = {}
        self._pod_node: dict[str, str] = {}  # pod key -> node name
        self._assumed: set[str] = set()
        self._orphans: dict[str, dict[str, PodInfo]] = {}  # pods seen before their node
        self.table = NodeTable()  # row i describes self._order[i]
        # controller uid -> node name -> pods of that controller there (for spreading replicas)
        self.owner_nodes: dict[str, Counter[str]] = {}

    # ---------------------------------------------------------------- nodes

    def set_node(self, info: NodeInfo) -> None:
        """Add a node, or take a changed node's fields while keeping its pods."""
        current = self._nodes.get(info.name)
        if current is not None:
            current.update_node(info)
            self.table.set_row(self._index[info.name], current)
            return
        self._nodes[info.name] = info
        self._index[info.name] = len(self._order)
        self._order.append(info)
        for pod in self._orphans.pop(info.name, {}).values():
            info.add_pod(pod)
        self.table.append(info)

    def remove_node(self, name: str) -> None:
        info = self._nodes.pop(name, None)
        if info is None:
            return
        i = self._index.pop(name)
        last = self._order.pop()
        if last is not info:
            self._order[i] = last
            self._index[last.name] = i
        self.table.remove_swap(i)
        # Its pods stay known, so that a node coming back (a re-registration) gets them again.
        self._orphans[name] = dict(info.pods)

    def nodes(self) -> list[NodeInfo]:
        """The live node list, in stable order. Read it; do not mutate it."""
        return self._order

    def node(self, name: str) -> NodeInfo | None:
        return self._nodes.get(name)

    def row(self, name: str) -> int:
        return self._index[name]

    # ---------------------------------------------------------------- pods

    def assume(self, pod: PodInfo, node_name: str) -> None:
        self._place(pod, node_name)
        self._assumed.add(pod.key)

    def forget(self, key: str) -> None:
        """Binding failed: undo the assumption."""
        if key in self._assumed:
            self._assumed.discard(key)
            self._unplace(key)

    def is_assumed(self, key: str) -> bool:
        return key in self._assumed

    def add_pod(self, pod: PodInfo) -> None:
        """A bound pod from the informer (confirms an assumption, or moves the pod if it differs)."""
        self._assumed.discard(pod.key)
        self._place(pod, pod.node_name)

    def remove_pod(self, key: str) -> None:
        self._assumed.discard(key)
        self._unplace(key)

    def pod_count(self) -> int:
        return len(self._pod_node)

    def _place(self, pod: PodInfo, node_name: str) -> None:
        previous = self._pod_node.get(pod.key)
        if previous is not None and previous != node_name:
            self._unplace(pod.key)
        self._pod_node[pod.key] = node_name
        if pod.owner_uid:
            self.owner_nodes.setdefault(pod.owner_uid, Counter())[node_name] += 1
        node = self._nodes.get(node_name)
        if node is not None:
            node.add_pod(pod)
            self.table.set_row(self._index[node_name], node)
        else:
            self._orphans.setdefault(node_name, {})[pod.key] = pod

    def _unplace(self, key: str) -> None:
        node_name = self._pod_node.pop(key, None)
        if node_name is None:
            return
        node = self._nodes.get(node_name)
        if node is not None:
            pod = node.remove_pod(key)
            self.table.set_row(self._index[node_name], node)
        else:
            pod = self._orphans.get(node_name, {}).pop(key, None)
        if pod is not None and pod.owner_uid in self.owner_nodes:
            counts = self.owner_nodes[pod.owner_uid]
            counts[node_name] -= 1
            if counts[node_name] <= 0:
                del counts[node_name]
            if not counts:
                del self.owner_nodes[pod.owner_uid]

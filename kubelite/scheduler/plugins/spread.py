"""PodTopologySpread (filter for DoNotSchedule constraints) and spreading of a controller's replicas.

Topology spread, as Kubernetes defines it: for each constraint, count the pods matching its selector
in each domain (the values of ``topologyKey`` among nodes that pass the pod's node affinity); placing
the pod in a domain must not make that domain exceed the smallest one by more than ``maxSkew``.

Replica spreading (the score) prefers nodes holding fewer pods of the same controller, so an RC's
replicas land on different nodes when they can, as the SelectorSpread plugin did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kubelite.api.selectors import LabelSelector, SelectorError, from_label_selector
from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo
from kubelite.scheduler.plugins import FITS, SKIP, Reasons
from kubelite.scheduler.plugins.node_affinity import node_matches_pod

REASON = "node(s) didn't match pod topology spread constraints"
REASON_MISSING = "node(s) didn't match pod topology spread constraints (missing required label)"


@dataclass
class _Constraint:
    key: str
    max_skew: int
    selector: LabelSelector
    counts: Counter[str]  # domain value -> matching pods
    self_match: int  # 1 if the incoming pod matches its own selector

    @property
    def min_count(self) -> int:
        return min(self.counts.values(), default=0)


class PodTopologySpread:
    name = "PodTopologySpread"

    def pre_filter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        hard = [c for c in pod.spread_constraints
                if c.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"]
        if not hard:
            return SKIP
        eligible = [n for n in nodes if node_matches_pod(pod, n)]
        out = []
        for c in hard:
            key = c.get("topologyKey", "")
            try:
                selector = from_label_selector(c.get("labelSelector"))
            except SelectorError:
                continue
            counts: Counter[str] = Counter()
            for node in eligible:
                if key not in node.labels:
                    continue
                domain = node.labels[key]
                counts[domain] += sum(1 for p in node.pods.values()
                                      if p.namespace == pod.namespace and selector.matches(p.labels))
            out.append(_Constraint(key, int(c.get("maxSkew", 1)), selector, counts,
                                   1 if selector.matches(pod.labels) else 0))
        return out

    def filter(self, state: object, pod: PodInfo, node: NodeInfo) -> Reasons:
        constraints = state if isinstance(state, list) else []
        for c in constraints:
            if c.key not in node.labels:
                return (REASON_MISSING,)
            domain_count = c.counts.get(node.labels[c.key], 0)
            if domain_count + c.self_match - c.min_count > c.max_skew:
                return (REASON,)
        return FITS


class ReplicaSpread:
    """Prefer nodes with fewer pods of the incoming pod's controller (100 = none there)."""

    name = "ReplicaSpread"
    weight = 2  # kube-scheduler weighs default topology spreading at 2

    def pre_score(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        if not pod.owner_uid:
            return SKIP
        return max((n.owner_counts.get(pod.owner_uid, 0) for n in nodes), default=0)

    def score(self, state: object, pod: PodInfo, node: NodeInfo) -> float:
        most = state if isinstance(state, int) else 0
        if not most:
            return 100.0
        return 100.0 * (most - node.owner_counts.get(pod.owner_uid, 0)) / most

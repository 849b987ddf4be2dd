"""NodeAffinity: nodeSelector and required node affinity filter; preferred affinity scores.

Node selector terms are ORed; the requirements inside one term are ANDed. Operators map onto the label
selector requirements of :mod:`kubelite.api.selectors` (Gt/Lt included); ``matchFields`` supports
``metadata.name`` as Kubernetes does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubelite.api.selectors import Requirement, SelectorError, new_requirement
from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo
from kubelite.scheduler.plugins import FITS, SKIP, Reasons

_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!", "Gt": "gt", "Lt": "lt"}
REASON = "node(s) didn't match Pod's node affinity/selector"


def _requirements(exprs: list[dict[str, Any]]) -> list[Requirement] | None:
    """The term's requirements, or None when one is malformed (a malformed term matches nothing)."""
    out = []
    for expr in exprs:
        op = _OPERATORS.get(expr.get("operator", ""))
        if op is None:
            return None
        try:
            out.append(new_requirement(expr.get("key", ""), op, list(expr.get("values") or [])))
        except SelectorError:
            return None
    return out


def term_matches(term: Mapping[str, Any], node: NodeInfo) -> bool:
    """One nodeSelectorTerm against a node; an empty term matches nothing, as in Kubernetes."""
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    reqs = _requirements(exprs)
    if reqs is None or not all(r.matches(node.labels) for r in reqs):
        return False
    field_reqs = _requirements(fields)
    return field_reqs is not None and all(r.matches({"metadata.name": node.name}) for r in field_reqs)


def node_matches_pod(pod: PodInfo, node: NodeInfo) -> bool:
    """nodeSelector and required node affinity both hold (used by topology spread as well)."""
    for key, value in pod.node_selector.items():
        if node.labels.get(key) != value:
            return False
    if pod.required_affinity:
        return any(term_matches(term, node) for term in pod.required_affinity)
    return True


class NodeAffinity:
    name = "NodeAffinity"
    weight = 2  # kube-scheduler's default weight for this score

    def pre_filter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        return None if (pod.node_selector or pod.required_affinity) else SKIP

    def filter(self, state: object, pod: PodInfo, node: NodeInfo) -> Reasons:
        return FITS if node_matches_pod(pod, node) else (REASON,)

    def pre_score(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        if not pod.preferred_affinity:
            return SKIP
        return max((self._raw(pod, n) for n in nodes), default=0)

    def score(self, state: object, pod: PodInfo, node: NodeInfo) -> float:
        best = state if isinstance(state, int) else 0
        return 100.0 * self._raw(pod, node) / best if best else 0.0

    @staticmethod
    def _raw(pod: PodInfo, node: NodeInfo) -> int:
        return sum(
            int(p.get("weight", 0))
            for p in pod.preferred_affinity
            if term_matches(p.get("preference") or {}, node)
        )

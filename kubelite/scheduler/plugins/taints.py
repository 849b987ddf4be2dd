"""TaintToleration: NoSchedule/NoExecute taints filter, PreferNoSchedule taints lower the score."""

from __future__ import annotations

from collections.abc import Sequence

from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo
from kubelite.scheduler.plugins import FITS, SKIP, Reasons


class TaintToleration:
    name = "TaintToleration"
    weight = 3  # kube-scheduler's default weight for this score

    def pre_filter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        return None

    def filter(self, state: object, pod: PodInfo, node: NodeInfo) -> Reasons:
        for taint in node.taints:
            if taint.effect not in ("NoSchedule", "NoExecute"):
                continue
            if not any(t.tolerates(taint) for t in pod.tolerations):
                return (f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}",)
        return FITS

    def pre_score(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        # Highest count of intolerable PreferNoSchedule taints among the nodes, to normalise by.
        worst = max((self._intolerable(pod, n) for n in nodes), default=0)
        return worst if worst else SKIP  # every node scores the same

    def score(self, state: object, pod: PodInfo, node: NodeInfo) -> float:
        worst = state if isinstance(state, int) else 0
        if worst == 0:
            return 100.0
        return 100.0 * (1 - self._intolerable(pod, node) / worst)

    @staticmethod
    def _intolerable(pod: PodInfo, node: NodeInfo) -> int:
        return sum(
            1
            for taint in node.taints
            if taint.effect == "PreferNoSchedule" and not any(t.tolerates(taint) for t in pod.tolerations)
        )

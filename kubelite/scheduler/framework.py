"""One scheduling cycle, pure: filter the nodes, score the feasible ones, pick the best.

As kube-scheduler: filtering starts where the previous cycle stopped and stops once enough feasible
nodes are found (``percentageOfNodesToScore``, adaptive by default: 50% minus 1% per 125 nodes, at
least 5% and at least 100 nodes), so a cycle's cost does not grow with the cluster; scores are weighted
and summed; ties are broken at random. When no node fits, :class:`FitError` counts nodes per reason
and words the FailedScheduling message as Kubernetes does.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from kubelite.scheduler import fastpath
from kubelite.scheduler.cache import Cache
from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo
from kubelite.scheduler.plugins import SKIP, FilterPlugin, ScorePlugin
from kubelite.scheduler.plugins.basic import NodeName, NodePorts, NodeUnschedulable
from kubelite.scheduler.plugins.images import ImageLocality
from kubelite.scheduler.plugins.node_affinity import NodeAffinity
from kubelite.scheduler.plugins.resources import BalancedAllocation, LeastAllocated, NodeResourcesFit
from kubelite.scheduler.plugins.spread import PodTopologySpread, ReplicaSpread
from kubelite.scheduler.plugins.taints import TaintToleration

MIN_FEASIBLE_NODES = 100
MIN_FEASIBLE_PERCENTAGE = 5
BASE_PERCENTAGE = 50


@dataclass
class Profile:
    filters: list[FilterPlugin]
    scores: list[ScorePlugin]
    percentage_of_nodes_to_score: int = 0  # 0 = adaptive, as kube-scheduler's default


def default_profile() -> Profile:
    taints, affinity = TaintToleration(), NodeAffinity()
    return Profile(
        filters=[NodeUnschedulable(), NodeName(), taints, affinity, NodePorts(), NodeResourcesFit(),
                 PodTopologySpread()],
        scores=[LeastAllocated(), BalancedAllocation(), ImageLocality(), taints, affinity, ReplicaSpread()],
    )


class FitError(Exception):
    """No node fits; ``reasons`` counts nodes per reason."""

    def __init__(self, pod: PodInfo, num_nodes: int, reasons: Counter[str]) -> None:
        self.pod = pod
        self.num_nodes = num_nodes
        self.reasons = reasons
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"0/{self.num_nodes} nodes are available"
        histogram = sorted(f"{count} {reason}" for reason, count in self.reasons.items())
        if histogram:
            text += ": " + ", ".join(histogram)
        return text + "."


@dataclass
class ScheduleResult:
    node: str
    evaluated: int
    feasible: int


def num_feasible_nodes_to_find(num_nodes: int, percentage: int) -> int:
    if num_nodes < MIN_FEASIBLE_NODES:
        return num_nodes
    if percentage <= 0:
        percentage = max(MIN_FEASIBLE_PERCENTAGE, BASE_PERCENTAGE - num_nodes // 125)
    return max(MIN_FEASIBLE_NODES, num_nodes * percentage // 100)


@dataclass
class Framework:
    profile: Profile = field(default_factory=default_profile)
    rng: random.Random = field(default_factory=random.Random)
    next_start: int = 0

    def schedule(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> ScheduleResult:
        """Pick a node for ``pod`` among ``nodes`` or raise :class:`FitError`."""
        if not nodes:
            raise FitError(pod, 0, Counter())
        feasible, evaluated, reasons = self._find_feasible(pod, nodes)
        if not feasible:
            raise FitError(pod, len(nodes), reasons)
        if len(feasible) == 1:
            return ScheduleResult(feasible[0].name, evaluated, 1)
        return ScheduleResult(self._select(pod, feasible, nodes), evaluated, len(feasible))

    def _find_feasible(
        self, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> tuple[list[NodeInfo], int, Counter[str]]:
        active = []
        for plugin in self.profile.filters:
            state = plugin.pre_filter(pod, nodes)
            if state is not SKIP:
                active.append((plugin, state))
        want = num_feasible_nodes_to_find(len(nodes), self.profile.percentage_of_nodes_to_score)
        total = len(nodes)
        feasible: list[NodeInfo] = []
        reasons: Counter[str] = Counter()
        processed = 0
        start = self.next_start % total
        for i in range(total):
            node = nodes[(start + i) % total]
            processed += 1
            for plugin, state in active:
                failed = plugin.filter(state, pod, node)
                if failed:
                    reasons.update(failed)
                    break
            else:
                feasible.append(node)
                if len(feasible) >= want:
                    break
        self.next_start = (start + processed) % total
        return feasible, processed, reasons

    def schedule_cached(self, pod: PodInfo, cache: Cache) -> ScheduleResult:
        """Like :meth:`schedule` over the cache's nodes, vectorised when the pod allows it."""
        if not fastpath.eligible(pod):
            return self.schedule(pod, cache.nodes())
        nodes = cache.nodes()
        rows, feasible, reasons = fastpath.best_rows(pod, cache)
        if not len(rows):
            raise FitError(pod, len(nodes), reasons)
        # randrange(n) draws exactly as random.choice does, without building a list of ties.
        pick = int(rows[0] if len(rows) == 1 else rows[self.rng.randrange(len(rows))])
        return ScheduleResult(nodes[pick].name, len(nodes), feasible)

    def best_candidates(self, pod: PodInfo, feasible: list[NodeInfo]) -> list[str]:
        """The names that tie for the highest weighted score (node order kept)."""
        return self._best(pod, feasible)

    def _select(self, pod: PodInfo, feasible: list[NodeInfo], nodes: Sequence[NodeInfo]) -> str:
        best = self._best(pod, feasible)
        return best[0] if len(best) == 1 else self.rng.choice(best)

    def _best(self, pod: PodInfo, feasible: list[NodeInfo]) -> list[str]:
        active = []
        for plugin in self.profile.scores:
            state = plugin.pre_score(pod, feasible)
            if state is not SKIP:
                active.append((plugin, state, plugin.weight))
        best_score = -1.0
        best: list[str] = []
        for node in feasible:
            total = 0.0
            for plugin, state, weight in active:
                total += weight * plugin.score(state, pod, node)
            if total > best_score + 1e-9:
                best_score, best = total, [node.name]
            elif abs(total - best_score) <= 1e-9:
                best.append(node.name)
        return best

"""Filter and score plugins, one module per concern, as kube-scheduler's framework splits them.

A filter returns the reasons the pod does not fit the node, worded as kube-scheduler words them (the
FailedScheduling event counts nodes per reason); an empty tuple means it fits. A score returns 0..100;
the framework weights and sums them. ``pre_filter``/``pre_score`` compute per-pod state once per
scheduling cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo

Reasons = tuple[str, ...]
FITS: Reasons = ()


class _Skip:
    """Returned by ``pre_filter``/``pre_score`` when the plugin cannot matter for this pod (a pod with
    no host ports needs no port check): the framework leaves the plugin out of this cycle, as
    kube-scheduler's PreFilter Skip status does. It keeps the per-node loop short for plain pods."""

    def __repr__(self) -> str:
        return "SKIP"


SKIP = _Skip()


class FilterPlugin(Protocol):
    name: str

    def pre_filter(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object: ...

    def filter(self, state: object, pod: PodInfo, node: NodeInfo) -> Reasons: ...


class ScorePlugin(Protocol):
    name: str
    weight: int

    def pre_score(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object: ...

    def score(self, state: object, pod: PodInfo, node: NodeInfo) -> float: ...

"""The vectorised scheduling cycle for the common pod: the same filters and scores as the plugins, as
array operations over every node at once.

It applies to pods with no node name, host ports, node selector or affinity and no topology spread
constraints: the bulk of what controllers create. Everything else takes the plugin path. The few
things that do not vectorise are looked up sparsely: tainted nodes (checked one by one, as there are
few), nodes holding the pod's images, and the nodes running the pod's controller's replicas. Filters
run in the plugin path's order (unschedulable, taints, resources) so FitError counts the same
reasons; scores use the same formulas and weights, so both paths choose among the same best nodes.
Unlike the sampled plugin path, every feasible node is scored: here that is cheaper than sampling.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from kubelite.scheduler.cache import Cache
from kubelite.scheduler.nodeinfo import PodInfo
from kubelite.scheduler.plugins.basic import UNSCHEDULABLE_TAINT
from kubelite.scheduler.plugins.images import ImageLocality
from kubelite.scheduler.plugins.taints import TaintToleration

_TAINTS = TaintToleration()
_IMAGES = ImageLocality()
W_LEAST, W_BALANCED, W_IMAGES, W_TAINTS, W_SPREAD = 1, 1, ImageLocality.weight, TaintToleration.weight, 2


def eligible(pod: PodInfo) -> bool:
    return not (pod.node_name or pod.host_ports or pod.node_selector or pod.required_affinity
                or pod.preferred_affinity or pod.spread_constraints)


def _fraction(requested: np.ndarray, allocatable: np.ndarray) -> np.ndarray:
    """requested/allocatable capped at 1, and 1 where nothing is allocatable (as the plugins do)."""
    out = np.ones(requested.shape, np.float64)
    np.divide(requested, allocatable, out=out, where=allocatable > 0)
    result: np.ndarray = np.minimum(out, 1.0, out=out)
    return result


def filter_nodes(pod: PodInfo, cache: Cache) -> tuple[np.ndarray, Counter[str]]:
    """The feasible rows' mask and, per reason, how many nodes failed with it."""
    t = cache.table
    nodes = cache.nodes()
    reasons: Counter[str] = Counter()
    ok = np.ones(t.n, np.bool_)
    if not any(tol.tolerates(UNSCHEDULABLE_TAINT) for tol in pod.tolerations):
        cordoned = t.col("unschedulable")
        if cordoned.any():
            reasons["node(s) were unschedulable"] += int(cordoned.sum())
            ok &= ~cordoned
    for row in np.flatnonzero(ok & t.col("hard_taint")):
        failed = _TAINTS.filter(None, pod, nodes[row])
        if failed:
            reasons.update(failed)
            ok[row] = False
    too_many = ok & (t.col("npods") + 1 > t.col("alloc_pods"))
    cpu = ok & (t.col("req_cpu") + pod.milli_cpu > t.col("alloc_cpu")) if pod.milli_cpu else np.zeros(t.n, np.bool_)
    mem = ok & (t.col("req_mem") + pod.memory > t.col("alloc_mem")) if pod.memory else np.zeros(t.n, np.bool_)
    for mask, reason in ((too_many, "Too many pods"), (cpu, "Insufficient cpu"), (mem, "Insufficient memory")):
        count = int(mask.sum())
        if count:
            reasons[reason] += count
    ok &= ~(too_many | cpu | mem)
    return ok, reasons


def score_nodes(pod: PodInfo, cache: Cache, rows: np.ndarray) -> np.ndarray:
    """Weighted total score of each feasible row (same formulas as the plugins)."""
    t = cache.table
    nodes = cache.nodes()
    every = len(rows) == t.n  # the usual case: views instead of gathered copies

    def col(name: str) -> np.ndarray:
        return t.col(name) if every else t.col(name)[rows]

    alloc_cpu, alloc_mem = col("alloc_cpu"), col("alloc_mem")
    cpu = _fraction(col("nz_cpu") + pod.non_zero_cpu, alloc_cpu)
    mem = _fraction(col("nz_mem") + pod.non_zero_memory, alloc_mem)
    total = W_LEAST * ((1 - cpu) + (1 - mem)) * 50.0
    cpu_r = _fraction(col("req_cpu") + pod.milli_cpu, alloc_cpu)
    mem_r = _fraction(col("req_mem") + pod.memory, alloc_mem)
    total += W_BALANCED * (1 - np.abs(cpu_r - mem_r) / 2) * 100.0
    holders = rows[col("has_images")] if pod.images else rows[:0]
    if len(holders):
        # ImageLocality's pre-score counts, per image, the feasible nodes holding it: only holders count.
        state = _IMAGES.pre_score(pod, [nodes[r] for r in holders])
        if isinstance(state, tuple):
            state = (len(rows), state[1])
            position = {int(r): i for i, r in enumerate(rows)}
            for r in holders:
                total[position[int(r)]] += W_IMAGES * _IMAGES.score(state, pod, nodes[r])
    soft = rows[col("soft_taint")]
    if len(soft):
        intolerable = {int(r): _TAINTS._intolerable(pod, nodes[r]) for r in soft}
        worst = max(intolerable.values())
        if worst:
            scores = np.full(len(rows), 100.0)
            position = {int(r): i for i, r in enumerate(rows)}
            for r, c in intolerable.items():
                scores[position[r]] = 100.0 * (1 - c / worst)
            total += W_TAINTS * scores
    if pod.owner_uid:
        placed = cache.owner_nodes.get(pod.owner_uid)
        counts = np.zeros(len(rows))
        if placed:
            position = {int(r): i for i, r in enumerate(rows)}
            for name, c in placed.items():
                node = cache.node(name)
                if node is not None and cache.row(name) in position:
                    counts[position[cache.row(name)]] = c
        most = counts.max() if len(counts) else 0
        total += W_SPREAD * (100.0 * (most - counts) / most if most else np.full(len(rows), 100.0))
    result: np.ndarray = total
    return result


def best_rows(pod: PodInfo, cache: Cache) -> tuple[np.ndarray, int, Counter[str]]:
    """The rows that tie for the best score (empty when nothing fits), the feasible count and the
    reasons nodes failed."""
    ok, reasons = filter_nodes(pod, cache)
    rows = np.flatnonzero(ok)
    if not len(rows):
        return rows, 0, reasons
    total = score_nodes(pod, cache, rows)
    ties: np.ndarray = rows[np.abs(total - total.max()) <= 1e-9]
    return ties, len(rows), reasons

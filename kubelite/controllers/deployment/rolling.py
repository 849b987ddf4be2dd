"""The arithmetic of rolling updates, as Kubernetes' deployment controller does it (pure).

``max_surge`` rounds percentages up and ``max_unavailable`` rounds down; if both come to 0,
unavailability is 1, so a rollout can always move. Each sync scales the new ReplicaSet up as far as
the surge allows, then scales old ReplicaSets down as far as availability allows: unhealthy old pods
first, then the oldest ReplicaSets first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

JsonDict = dict[str, Any]


@dataclass
class RS:
    """The counts of one ReplicaSet that rollout decisions read."""

    name: str
    replicas: int  # spec.replicas
    available: int = 0  # status.availableReplicas
    created: str = ""  # creationTimestamp, for oldest-first ordering


def _int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if value is None:
        value = "25%"
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        fraction = total * int(text[:-1]) / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    return int(text)


def surge_and_unavailable(deployment: JsonDict) -> tuple[int, int]:
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, replicas
    ru = strategy.get("rollingUpdate") or {}
    surge = _int_or_percent(ru.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = _int_or_percent(ru.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def new_rs_replicas(deployment: JsonDict, all_rs: list[RS], new: RS) -> int:
    """How many replicas the new ReplicaSet should have now."""
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    if (spec.get("strategy") or {}).get("type") == "Recreate":
        return replicas
    surge, _ = surge_and_unavailable(deployment)
    current = sum(r.replicas for r in all_rs)
    max_total = replicas + surge
    if current >= max_total:
        return new.replicas  # no room to surge
    scale_up = min(max_total - current, max(0, replicas - new.replicas))
    return new.replicas + scale_up


def old_rs_scale_down(deployment: JsonDict, all_rs: list[RS], old: list[RS], new: RS) -> dict[str, int]:
    """New replica counts for old ReplicaSets (only those that change)."""
    replicas = int((deployment.get("spec") or {}).get("replicas", 1))
    if sum(r.replicas for r in old) == 0:
        return {}
    _, max_unavailable = surge_and_unavailable(deployment)
    min_available = replicas - max_unavailable
    new_unavailable = max(0, new.replicas - new.available)
    max_scaled_down = sum(r.replicas for r in all_rs) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return {}
    changes: dict[str, int] = {}
    ordered = sorted(old, key=lambda r: (r.created, r.name))
    # First the old pods that are not available anyway: removing them costs no availability.
    cleaned = 0
    for rs in ordered:
        if cleaned >= max_scaled_down or rs.replicas == 0:
            continue
        unhealthy = rs.replicas - rs.available
        if unhealthy <= 0:
            continue
        take = min(max_scaled_down - cleaned, unhealthy)
        changes[rs.name] = rs.replicas - take
        cleaned += take
    # Then available ones, as far as keeping min_available allows.
    available = sum(r.available for r in all_rs)
    budget = available - min_available
    for rs in ordered:
        current = changes.get(rs.name, rs.replicas)
        if budget <= 0 or current == 0:
            continue
        take = min(current, budget)
        changes[rs.name] = current - take
        budget -= take
    return {name: n for name, n in changes.items() if n != next(r.replicas for r in old if r.name == name)}

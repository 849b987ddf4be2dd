"""Node health and taint-based eviction, as Kubernetes' node lifecycle controller decides them (pure).

- A node whose kubelet has not renewed its Lease (nor posted status) for ``grace`` seconds (40 s by
  default) has its conditions set to Unknown ("Kubelet stopped posting node status.") and gets the
  ``node.kubernetes.io/unreachable`` taints; a node reporting Ready=False gets ``not-ready`` ones. The
  NoSchedule twin keeps new pods away; the NoExecute one evicts.
- A pod on a node with NoExecute taints is evicted at once if it does not tolerate one of them, else
  when its shortest ``tolerationSeconds`` has passed since the taint was added (never, without one).
  The API server gives every pod 300 s tolerations for both taints by default, so pods of a lost
  node come back elsewhere after five minutes, as in Kubernetes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

JsonDict = dict[str, Any]
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
MANAGED_KEYS = (UNREACHABLE, NOT_READY)
CONDITION_TYPES = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
DEFAULT_GRACE = 40.0


def parse_time(ts: str | None) -> datetime | None:
    if not ts:
        return None
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _fmt(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def last_heartbeat(node: JsonDict, lease: JsonDict | None) -> datetime | None:
    """The newest sign of life: the Lease's renewTime or the Ready condition's heartbeat."""
    times = []
    if lease is not None:
        renew = parse_time((lease.get("spec") or {}).get("renewTime"))
        if renew:
            times.append(renew)
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            beat = parse_time(cond.get("lastHeartbeatTime"))
            if beat:
                times.append(beat)
    return max(times) if times else None


@dataclass
class NodeVerdict:
    state: str  # "ready" | "not-ready" | "unknown"
    conditions: list[JsonDict] | None  # new status.conditions, or None to leave them
    taints: list[JsonDict]  # the node's full desired taint list


def judge_node(node: JsonDict, lease: JsonDict | None, now: datetime, grace: float = DEFAULT_GRACE) -> NodeVerdict:
    status = node.get("status") or {}
    conditions = [dict(c) for c in status.get("conditions") or []]
    beat = last_heartbeat(node, lease)
    created = parse_time((node.get("metadata") or {}).get("creationTimestamp")) or now
    silent_since = beat or created
    new_conditions: list[JsonDict] | None = None
    if (now - silent_since).total_seconds() > grace:
        state = "unknown"
        by_type = {c.get("type"): c for c in conditions}
        changed = False
        for kind in CONDITION_TYPES:
            cond = by_type.get(kind)
            if cond is not None and cond.get("status") == "Unknown":
                continue
            changed = True
            fresh = {"type": kind, "status": "Unknown", "reason": "NodeStatusUnknown",
                     "message": "Kubelet stopped posting node status.",
                     "lastHeartbeatTime": (cond or {}).get("lastHeartbeatTime", _fmt(silent_since)),
                     "lastTransitionTime": _fmt(now)}
            by_type[kind] = fresh
        if changed:
            new_conditions = [by_type[k] for k in CONDITION_TYPES] + [
                c for c in conditions if c.get("type") not in CONDITION_TYPES]
    else:
        ready = next((c for c in conditions if c.get("type") == "Ready"), None)
        state = "ready" if ready is not None and ready.get("status") == "True" else "not-ready"
        if ready is not None and ready.get("status") == "Unknown":
            state = "unknown"
    return NodeVerdict(state, new_conditions, _taints(node, state, now))


def _taints(node: JsonDict, state: str, now: datetime) -> list[JsonDict]:
    current = list((node.get("spec") or {}).get("taints") or [])
    others = [t for t in current if t.get("key") not in MANAGED_KEYS]
    wanted_key = {"unknown": UNREACHABLE, "not-ready": NOT_READY}.get(state)
    if wanted_key is None:
        return others
    kept = [t for t in current if t.get("key") == wanted_key]
    result = list(others)
    for effect in ("NoSchedule", "NoExecute"):
        existing = next((t for t in kept if t.get("effect") == effect), None)
        taint = existing or {"key": wanted_key, "effect": effect}
        if effect == "NoExecute" and "timeAdded" not in taint:
            taint = {**taint, "timeAdded": _fmt(now)}
        result.append(taint)
    return result


def _tolerates(toleration: JsonDict, taint: JsonDict) -> bool:
    if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
        return False
    if not toleration.get("key"):
        return toleration.get("operator") == "Exists"
    if toleration.get("key") != taint.get("key"):
        return False
    return toleration.get("operator") == "Exists" or toleration.get("value", "") == taint.get("value", "")


def eviction_time(pod: JsonDict, taints: list[JsonDict], now: datetime) -> datetime | None:
    """When ``pod`` must go because of the node's NoExecute taints: ``now`` or later, or None (never)."""
    deadline: datetime | None = None
    for taint in taints:
        if taint.get("effect") != "NoExecute":
            continue
        tolerations = [t for t in (pod.get("spec") or {}).get("tolerations") or [] if _tolerates(t, taint)]
        if not tolerations:
            return now
        seconds = [int(t["tolerationSeconds"]) for t in tolerations if t.get("tolerationSeconds") is not None]
        if not seconds:
            continue  # tolerated for ever
        added = parse_time(taint.get("timeAdded")) or now
        when = datetime.fromtimestamp(added.timestamp() + max(0, min(seconds)), tz=added.tzinfo)
        deadline = when if deadline is None or when < deadline else deadline
    return deadline

"""Pure core of the ReplicaSet / ReplicationController controllers: which pods are ours, which to adopt or
release, which to delete first, slow-start batches, the pod template, and the status.

Both kinds share this logic as in Kubernetes (the RC controller wraps the RS one). :class:`Kind`
captures their only differences: the API they live in and the selector's shape (a plain label map for
ReplicationControllers, a ``LabelSelector`` for ReplicaSets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from kubelite.api.meta import controller_ref, owner_reference, parse_time
from kubelite.api.selectors import LabelSelector, SelectorError, from_label_selector

JsonDict = dict[str, Any]

BURST_REPLICAS = 500  # at most this many creates or deletes per sync, as kube-controller-manager
SLOW_START_INITIAL_BATCH = 1
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


@dataclass(frozen=True)
class Kind:
    api_version: str
    plural: str
    kind: str
    map_selector: bool  # ReplicationController: spec.selector is {label: value}

    def selector(self, owner: JsonDict) -> LabelSelector:
        """The owner's selector; an unparsable one selects nothing (never everything)."""
        raw = (owner.get("spec") or {}).get("selector")
        if self.map_selector:
            if not raw:  # RC defaulting: the template's labels
                raw = (((owner.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels")
            if not raw:
                return LabelSelector(nothing=True)
            raw = {"matchLabels": raw}
        try:
            sel = from_label_selector(raw)
        except SelectorError:
            return LabelSelector(nothing=True)
        # An empty selector would adopt every pod in the namespace: Kubernetes rejects it; so do we.
        return LabelSelector(nothing=True) if sel.empty() else sel


REPLICATION_CONTROLLER = Kind("v1", "replicationcontrollers", "ReplicationController", True)
REPLICA_SET = Kind("apps/v1", "replicasets", "ReplicaSet", False)


def _meta(obj: JsonDict) -> JsonDict:
    return obj.get("metadata") or {}


def labels_of(obj: JsonDict) -> dict[str, str]:
    return _meta(obj).get("labels") or {}


def is_being_deleted(obj: JsonDict) -> bool:
    return bool(_meta(obj).get("deletionTimestamp"))


def is_active(pod: JsonDict) -> bool:
    """``controller.IsPodActive``: not finished and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not is_being_deleted(pod)


def ready_condition(pod: JsonDict) -> JsonDict | None:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return dict(cond)
    return None


def is_ready(pod: JsonDict) -> bool:
    cond = ready_condition(pod)
    return cond is not None and cond.get("status") == "True"


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        return None


def is_available(pod: JsonDict, min_ready_seconds: int, now: datetime) -> bool:
    """Ready for at least ``min_ready_seconds`` (``podutil.IsPodAvailable``)."""
    if not is_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = _time((ready_condition(pod) or {}).get("lastTransitionTime"))
    return since is not None and since + timedelta(seconds=min_ready_seconds) < now


def time_until_available(pod: JsonDict, min_ready_seconds: int, now: datetime) -> float | None:
    """Seconds until a ready pod becomes available, or None if it is not ready / already available."""
    if min_ready_seconds <= 0 or not is_ready(pod):
        return None
    since = _time((ready_condition(pod) or {}).get("lastTransitionTime"))
    if since is None:
        return None
    left = (since + timedelta(seconds=min_ready_seconds) - now).total_seconds()
    return left if left >= 0 else None


# ------------------------------------------------------------------------------------ ownership


@dataclass
class Claim:
    """The outcome of matching an owner against the pods of its namespace."""

    owned: list[JsonDict] = field(default_factory=list)  # ours and matching (after adoption)
    adopt: list[JsonDict] = field(default_factory=list)  # orphans to take (patch ownerReferences)
    release: list[JsonDict] = field(default_factory=list)  # ours but no longer matching


def claim_pods(owner: JsonDict, selector: LabelSelector, pods: Iterable[JsonDict]) -> Claim:
    """``PodControllerRefManager.ClaimPods``: keep ours that match, release ours that do not, adopt
    matching orphans (unless the owner or the pod is being deleted). Pods controlled by someone else
    are never touched."""
    uid = _meta(owner).get("uid")
    owner_deleting = is_being_deleted(owner)
    out = Claim()
    for pod in pods:
        ref = controller_ref(pod)
        matches = selector.matches(labels_of(pod))
        if ref is not None:
            if ref.get("uid") != uid:
                continue
            if matches:
                out.owned.append(pod)
            elif not owner_deleting:
                out.release.append(pod)
            continue
        if matches and not owner_deleting and not is_being_deleted(pod):
            out.adopt.append(pod)
    return out


def adoption_patch(owner: JsonDict, pod: JsonDict) -> JsonDict:
    """A merge patch adding ``owner`` as the pod's controller; carrying the pod's resourceVersion and
    uid makes it conditional, so a pod changed or replaced since we looked is not adopted blindly."""
    refs = [r for r in _meta(pod).get("ownerReferences") or [] if r.get("uid") != _meta(owner).get("uid")]
    refs.append(owner_reference(owner, controller=True, block_owner_deletion=True))
    return {"metadata": {"ownerReferences": refs, "resourceVersion": _meta(pod).get("resourceVersion"),
                         "uid": _meta(pod).get("uid")}}


def release_patch(owner: JsonDict, pod: JsonDict) -> JsonDict:
    refs = [r for r in _meta(pod).get("ownerReferences") or [] if r.get("uid") != _meta(owner).get("uid")]
    return {"metadata": {"ownerReferences": refs or None, "resourceVersion": _meta(pod).get("resourceVersion"),
                         "uid": _meta(pod).get("uid")}}


# -------------------------------------------------------------------------------- what to delete

_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}


def _deletion_cost(pod: JsonDict) -> int:
    try:
        return int((_meta(pod).get("annotations") or {}).get(DELETION_COST, "0"))
    except ValueError:
        return 0


def _max_restarts(pod: JsonDict) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return max((int(s.get("restartCount") or 0) for s in statuses), default=0)


def _epoch(value: Any) -> float:
    t = _time(value)
    return t.timestamp() if t is not None else 0.0


def deletion_order(pods: list[JsonDict], related: Iterable[JsonDict] = ()) -> list[JsonDict]:
    """Pods sorted least valuable first (``controller.ActivePodsWithRanks``): unscheduled before
    scheduled; Pending before Unknown before Running; not ready before ready; lower deletion cost first;
    more related pods on the same node first (spreads what survives); ready for less time first; more
    restarts first; newer before older."""
    per_node = Counter(p.get("spec", {}).get("nodeName") for p in [*pods, *related]
                       if p.get("spec", {}).get("nodeName") and is_active(p))

    def sort_key(pod: JsonDict) -> tuple[Any, ...]:
        node = (pod.get("spec") or {}).get("nodeName") or ""
        phase = _PHASE_ORDER.get(str((pod.get("status") or {}).get("phase") or "Pending"), 0)
        ready = is_ready(pod)
        ready_since = _epoch((ready_condition(pod) or {}).get("lastTransitionTime")) if ready else 0.0
        return (
            1 if node else 0,
            phase,
            1 if ready else 0,
            _deletion_cost(pod),
            -per_node[node] if node else 0,
            -ready_since,
            -_max_restarts(pod),
            -_epoch(_meta(pod).get("creationTimestamp")),
        )

    return sorted(pods, key=sort_key)


def slow_start_batches(count: int, initial: int = SLOW_START_INITIAL_BATCH) -> list[int]:
    """Batch sizes 1, 2, 4, ... summing to ``count``: a failing create (quota, admission) costs one
    call, not hundreds."""
    out: list[int] = []
    size = max(1, initial)
    left = count
    while left > 0:
        batch = min(size, left)
        out.append(batch)
        left -= batch
        size *= 2
    return out


# ---------------------------------------------------------------------------------- pod template


def pod_from_template(owner: JsonDict) -> JsonDict:
    """A new pod for ``owner``: the template's labels, annotations and spec, named ``<owner>-<random>``
    by the server, with ``owner`` as its controller."""
    # A JSON round trip copies plain JSON several times faster than copy.deepcopy (this runs per pod).
    template = orjson.loads(orjson.dumps((owner.get("spec") or {}).get("template") or {}))
    tmeta = template.get("metadata") or {}
    meta: JsonDict = {
        "generateName": f"{_meta(owner).get('name', '')}-",
        "namespace": _meta(owner).get("namespace") or "default",
        "labels": tmeta.get("labels") or {},
        "ownerReferences": [owner_reference(owner, controller=True, block_owner_deletion=True)],
    }
    if tmeta.get("annotations"):
        meta["annotations"] = tmeta["annotations"]
    if tmeta.get("finalizers"):
        meta["finalizers"] = tmeta["finalizers"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec") or {}}


# ---------------------------------------------------------------------------------------- status


def replicas_of(owner: JsonDict) -> int:
    spec = owner.get("spec") or {}
    value = spec.get("replicas", 1)
    return int(value) if value is not None else 1


def compute_status(owner: JsonDict, active: list[JsonDict], now: datetime,
                   manage_error: tuple[str, str] | None) -> JsonDict:
    """``calculateStatus``: counts over the active pods we own, observedGeneration, and the
    ReplicaFailure condition while creating/deleting fails (``(reason, message)``)."""
    spec = owner.get("spec") or {}
    template_labels = (((spec.get("template") or {}).get("metadata") or {}).get("labels") or {})
    min_ready = int(spec.get("minReadySeconds") or 0)
    old = owner.get("status") or {}
    status: JsonDict = {
        "replicas": len(active),
        "fullyLabeledReplicas": sum(
            1 for p in active if all(labels_of(p).get(k) == v for k, v in template_labels.items())),
        "readyReplicas": sum(1 for p in active if is_ready(p)),
        "availableReplicas": sum(1 for p in active if is_available(p, min_ready, now)),
        "observedGeneration": int(_meta(owner).get("generation") or 0),
    }
    conditions = [c for c in old.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
    if manage_error is not None:
        previous = next((c for c in old.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
        reason, message = manage_error
        conditions.append({
            "type": "ReplicaFailure", "status": "True", "reason": reason, "message": message,
            "lastTransitionTime": (previous or {}).get("lastTransitionTime") or now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        })
    if conditions:
        status["conditions"] = conditions
    return status


def status_changed(owner: JsonDict, status: JsonDict) -> bool:
    old = owner.get("status") or {}
    keys = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration",
            "conditions")
    return any((old.get(k) or 0) != (status.get(k) or 0) for k in keys)

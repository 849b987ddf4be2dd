"""A Deployment's status from its ReplicaSets, with the Available and Progressing conditions worded as
Kubernetes words them, since ``kubectl rollout status`` and ``describe`` read them (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kubelite.controllers.deployment.rolling import surge_and_unavailable

JsonDict = dict[str, Any]


def _sum(rss: list[JsonDict], section: str, key: str) -> int:
    return sum(int((rs.get(section) or {}).get(key, 0)) for rs in rss)


def _condition(previous: list[JsonDict], kind: str, status: str, reason: str, message: str, *, now: str) -> JsonDict:
    before = next((c for c in previous if c.get("type") == kind), None)
    if before and before.get("status") == status and before.get("reason") == reason:
        # Same state: keep the transition time; refresh lastUpdateTime only if the message moved on.
        update = now if before.get("message") != message else before.get("lastUpdateTime", now)
        return {**before, "message": message, "lastUpdateTime": update}
    transition = before.get("lastTransitionTime", now) if before and before.get("status") == status else now
    return {"type": kind, "status": status, "lastUpdateTime": now, "lastTransitionTime": transition,
            "reason": reason, "message": message}


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def deployment_status(deployment: JsonDict, all_rs: list[JsonDict], new_rs: JsonDict | None, now: str,
                      created_new: bool = False) -> JsonDict:
    meta, spec = deployment.get("metadata") or {}, deployment.get("spec") or {}
    previous_status = deployment.get("status") or {}
    previous = list(previous_status.get("conditions") or [])
    replicas = int(spec.get("replicas", 1))
    available = _sum(all_rs, "status", "availableReplicas")
    total_spec = _sum(all_rs, "spec", "replicas")
    status: JsonDict = {
        "observedGeneration": meta.get("generation", 1),
        "replicas": _sum(all_rs, "status", "replicas"),
        "updatedReplicas": _sum([new_rs], "status", "replicas") if new_rs else 0,
        "readyReplicas": _sum(all_rs, "status", "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total_spec - available),
    }
    if "collisionCount" in previous_status:
        status["collisionCount"] = previous_status["collisionCount"]
    _, max_unavailable = surge_and_unavailable(deployment)
    if available >= replicas - max_unavailable:
        avail = _condition(previous, "Available", "True", "MinimumReplicasAvailable",
                           "Deployment has minimum availability.", now=now)
    else:
        avail = _condition(previous, "Available", "False", "MinimumReplicasUnavailable",
                           "Deployment does not have minimum availability.", now=now)
    conditions = [avail]
    name = (new_rs or {}).get("metadata", {}).get("name", "")
    complete = (new_rs is not None and status["updatedReplicas"] == replicas and status["replicas"] == replicas
                and available == replicas)
    before = next((c for c in previous if c.get("type") == "Progressing"), None)
    if spec.get("paused"):
        progressing = _condition(previous, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused",
                                 now=now)
    elif complete:
        progressing = _condition(previous, "Progressing", "True", "NewReplicaSetAvailable",
                                 f'ReplicaSet "{name}" has successfully progressed.', now=now)
    elif created_new:
        progressing = _condition(previous, "Progressing", "True", "NewReplicaSetCreated",
                                 f'Created new replica set "{name}"', now=now)
    elif (before and before.get("reason") != "ProgressDeadlineExceeded" and before.get("status") == "True"
          and _parse(now) - _parse(before.get("lastUpdateTime", now))
          > timedelta(seconds=int(spec.get("progressDeadlineSeconds", 600)))
          and _status_unchanged(previous_status, status)):
        progressing = _condition(previous, "Progressing", "False", "ProgressDeadlineExceeded",
                                 f'ReplicaSet "{name}" has timed out progressing.', now=now)
    elif before and before.get("reason") == "ProgressDeadlineExceeded" and _status_unchanged(previous_status, status):
        progressing = before
    else:
        progressing = _condition(previous, "Progressing", "True", "ReplicaSetUpdated",
                                 f'ReplicaSet "{name}" is progressing.', now=now)
        if _status_unchanged(previous_status, status) and before and before.get("reason") == "ReplicaSetUpdated":
            progressing["lastUpdateTime"] = before.get("lastUpdateTime", now)  # no progress: the deadline runs
    conditions.append(progressing)
    status["conditions"] = conditions
    return status


def _status_unchanged(before: JsonDict, after: JsonDict) -> bool:
    keys = ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    return all(int(before.get(k, 0)) == int(after.get(k, 0)) for k in keys)

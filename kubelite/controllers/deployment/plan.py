"""One Deployment sync as a plan: which ReplicaSet to create, scale, re-revision or delete (pure).

The controller's I/O layer gives this the deployment and the ReplicaSets it owns, carries out the plan
through the API, and writes the status computed by :mod:`status`. Level-triggered: the same inputs
always give the same plan, so a sync can be repeated safely.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from kubelite.controllers.deployment.rolling import RS, new_rs_replicas, old_rs_scale_down, surge_and_unavailable
from kubelite.controllers.deployment.templates import HASH_LABEL, equal_ignoring_hash, template_hash

JsonDict = dict[str, Any]
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE = "kubernetes.io/change-cause"


@dataclass
class Plan:
    create: JsonDict | None = None  # a new ReplicaSet to create
    scale: dict[str, int] = field(default_factory=dict)  # ReplicaSet name -> spec.replicas
    annotate: dict[str, dict[str, str]] = field(default_factory=dict)  # ReplicaSet -> annotations to set
    delete: list[str] = field(default_factory=list)  # old ReplicaSets past revisionHistoryLimit
    revision: str = ""  # the deployment's revision annotation
    new_rs_name: str = ""
    created_new: bool = False


def revision_of(rs: JsonDict) -> int:
    try:
        return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _counts(rs: JsonDict) -> RS:
    meta, spec, status = rs.get("metadata") or {}, rs.get("spec") or {}, rs.get("status") or {}
    return RS(meta.get("name", ""), int(spec.get("replicas", 0)), int(status.get("availableReplicas", 0)),
              meta.get("creationTimestamp", ""))


def find_new(deployment: JsonDict, owned: list[JsonDict]) -> JsonDict | None:
    """The oldest owned ReplicaSet whose template equals the deployment's (ignoring the hash label)."""
    template = (deployment.get("spec") or {}).get("template") or {}
    matches = [rs for rs in owned if equal_ignoring_hash((rs.get("spec") or {}).get("template") or {}, template)]
    matches.sort(key=lambda rs: ((rs.get("metadata") or {}).get("creationTimestamp", ""), rs["metadata"]["name"]))
    return matches[0] if matches else None


def new_replicaset(deployment: JsonDict, revision: int, replicas: int) -> JsonDict:
    meta, spec = deployment.get("metadata") or {}, deployment.get("spec") or {}
    template = copy.deepcopy(spec.get("template") or {})
    collision = int((deployment.get("status") or {}).get("collisionCount", 0))
    pod_hash = template_hash(template, collision)
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
    selector = copy.deepcopy(spec.get("selector") or {})
    selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
    surge, _ = surge_and_unavailable(deployment)
    desired = int(spec.get("replicas", 1))
    annotations = {REVISION: str(revision), DESIRED: str(desired), MAX_REPLICAS: str(desired + surge)}
    cause = (meta.get("annotations") or {}).get(CHANGE_CAUSE)
    if cause:
        annotations[CHANGE_CAUSE] = cause
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": f"{meta.get('name')}-{pod_hash}", "namespace": meta.get("namespace", "default"),
            "labels": dict(template["metadata"]["labels"]), "annotations": annotations,
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": meta.get("name"),
                                 "uid": meta.get("uid"), "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": {"replicas": replicas, "minReadySeconds": int(spec.get("minReadySeconds", 0)),
                 "selector": selector, "template": template},
    }


def plan_sync(deployment: JsonDict, owned: list[JsonDict]) -> Plan:
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    plan = Plan()
    new = find_new(deployment, owned)
    old = [rs for rs in owned if rs is not new]
    max_old_revision = max((revision_of(rs) for rs in old), default=0)
    if new is None:
        if spec.get("paused"):
            return plan
        new = new_replicaset(deployment, max_old_revision + 1, 0)
        plan.create, plan.created_new = new, True
    elif revision_of(new) <= max_old_revision:
        # A rollback (or a template going back to an old one) reuses that ReplicaSet as the newest.
        annotations = {REVISION: str(max_old_revision + 1)}
        cause = ((deployment.get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE)
        if cause:
            annotations[CHANGE_CAUSE] = cause
        plan.annotate[new["metadata"]["name"]] = annotations
    plan.new_rs_name = new["metadata"]["name"]
    plan.revision = (plan.annotate.get(plan.new_rs_name) or {}).get(REVISION) or str(revision_of(new))
    if spec.get("paused"):
        return plan

    new_counts, old_counts = _counts(new), [_counts(rs) for rs in old]
    all_counts = [new_counts, *old_counts]
    if (spec.get("strategy") or {}).get("type") == "Recreate":
        for rs in old_counts:
            if rs.replicas:
                plan.scale[rs.name] = 0
        old_pods = sum(int((rs.get("status") or {}).get("replicas", 0)) for rs in old)
        if not plan.scale and old_pods == 0 and new_counts.replicas != replicas:
            plan.scale[new_counts.name] = replicas
    elif all(rs.replicas == 0 for rs in old_counts):
        if new_counts.replicas != replicas:
            plan.scale[new_counts.name] = replicas  # no rollout under way: plain scaling
    else:
        target = new_rs_replicas(deployment, all_counts, new_counts)
        if target != new_counts.replicas:
            plan.scale[new_counts.name] = target
            new_counts = RS(new_counts.name, target, new_counts.available, new_counts.created)
        plan.scale.update(old_rs_scale_down(deployment, [new_counts, *old_counts], old_counts, new_counts))

    limit = int(spec.get("revisionHistoryLimit", 10))
    idle = [rs for rs in old if int((rs.get("spec") or {}).get("replicas", 0)) == 0
            and int((rs.get("status") or {}).get("replicas", 0)) == 0 and rs["metadata"]["name"] not in plan.scale]
    idle.sort(key=revision_of)
    if len(idle) > limit:
        plan.delete = [rs["metadata"]["name"] for rs in idle[: len(idle) - limit]]
    return plan

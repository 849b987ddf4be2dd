import copy
from typing import Any

import pytest

from kubelite.controllers.deployment.plan import REVISION, plan_sync, revision_of
from kubelite.controllers.deployment.rolling import RS, new_rs_replicas, surge_and_unavailable
from kubelite.controllers.deployment.status import deployment_status
from kubelite.controllers.deployment.templates import equal_ignoring_hash, template_hash

pytestmark = pytest.mark.unit


def template(image: str) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": image}]}}


def deployment(image: str, replicas: int = 3, **strategy: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": "default", "uid": "d-uid", "generation": 1},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": template(image), "strategy": strategy or {"type": "RollingUpdate"}}}


class Cluster:
    """ReplicaSets whose pods become available as soon as they are asked for (or never)."""

    def __init__(self) -> None:
        self.rs: dict[str, dict[str, Any]] = {}
        self.clock = 0

    def owned(self) -> list[dict[str, Any]]:
        return list(self.rs.values())

    def apply(self, d: dict[str, Any], available: bool = True) -> Any:
        plan = plan_sync(d, self.owned())
        if plan.create:
            self.clock += 1
            new = copy.deepcopy(plan.create)
            new["metadata"]["creationTimestamp"] = f"2026-01-01T00:00:{self.clock:02d}Z"
            self.rs[new["metadata"]["name"]] = new
        for name, n in plan.scale.items():
            self.rs[name]["spec"]["replicas"] = n
        for name, ann in plan.annotate.items():
            self.rs[name]["metadata"]["annotations"].update(ann)
        for name in plan.delete:
            del self.rs[name]
        for rs in self.rs.values():
            n = rs["spec"]["replicas"]
            ready = n if available or rs["metadata"]["name"] != plan.new_rs_name else \
                min(n, rs.get("status", {}).get("availableReplicas", 0))
            rs["status"] = {"replicas": n, "readyReplicas": ready, "availableReplicas": ready}
        return plan

    def totals(self) -> tuple[int, int]:
        return (sum(r["spec"]["replicas"] for r in self.rs.values()),
                sum(r["status"]["availableReplicas"] for r in self.rs.values()))


def test_surge_and_unavailable_rounding() -> None:
    assert surge_and_unavailable(deployment("a", 3)) == (1, 0)  # 25% of 3: surge up, unavailable down
    assert surge_and_unavailable(deployment("a", 10)) == (3, 2)
    zero = deployment("a", 3, type="RollingUpdate", rollingUpdate={"maxSurge": 0, "maxUnavailable": 0})
    assert surge_and_unavailable(zero) == (0, 1)
    assert surge_and_unavailable(deployment("a", 4, type="Recreate")) == (0, 4)
    d = deployment("a", 3)
    assert new_rs_replicas(d, [RS("old", 3, 3), RS("new", 0)], RS("new", 0)) == 1


def test_templates_equal_despite_empty_fields_and_hash_is_stable() -> None:
    a = template("nginx:1.25")
    b = copy.deepcopy(a)
    b["metadata"]["creationTimestamp"] = None
    b["spec"]["containers"][0]["resources"] = {}
    b["metadata"]["labels"]["pod-template-hash"] = "abc"
    assert equal_ignoring_hash(a, b)
    assert template_hash(a) == template_hash(b)
    assert template_hash(a) != template_hash(template("nginx:1.27"))
    assert template_hash(a) != template_hash(a, collision_count=1)
    assert set(template_hash(a)) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_rolling_update_keeps_availability_then_undo_reuses_the_old_replicaset() -> None:
    cluster = Cluster()
    v1 = deployment("nginx:1.25")
    first = cluster.apply(v1)
    assert first.create is not None and first.create["metadata"]["annotations"][REVISION] == "1"
    cluster.apply(v1)
    assert cluster.totals() == (3, 3)
    v1_name = first.new_rs_name

    v2 = deployment("nginx:1.27")
    for _ in range(20):
        plan = cluster.apply(v2)
        total, available = cluster.totals()
        assert total <= 3 + 1  # maxSurge 1
        assert available >= 3 - 0  # maxUnavailable 0
        if cluster.rs[v1_name]["spec"]["replicas"] == 0 and cluster.rs[plan.new_rs_name]["spec"]["replicas"] == 3:
            break
    else:
        pytest.fail("rollout never finished")
    v2_name = plan.new_rs_name
    assert revision_of(cluster.rs[v2_name]) == 2 and plan.revision == "2"
    status = deployment_status(v2, cluster.owned(), cluster.rs[v2_name], "2026-01-01T00:01:00Z")
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (3, 3, 3)
    progressing = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "NewReplicaSetAvailable"
    assert progressing["message"] == f'ReplicaSet "{v2_name}" has successfully progressed.'

    # kubectl rollout undo: the template comes back (with empty fields) and the old RS is reused.
    undo = deployment("nginx:1.25")
    undo["spec"]["template"]["spec"]["containers"][0]["resources"] = {}
    plan = cluster.apply(undo)
    assert plan.create is None and plan.new_rs_name == v1_name
    assert revision_of(cluster.rs[v1_name]) == 3 and plan.revision == "3"
    for _ in range(20):
        cluster.apply(undo)
    assert cluster.rs[v1_name]["spec"]["replicas"] == 3 and cluster.rs[v2_name]["spec"]["replicas"] == 0


def test_unavailable_new_pods_block_scaling_down_the_old_ones() -> None:
    cluster = Cluster()
    v1 = deployment("a", 4)
    cluster.apply(v1)
    cluster.apply(v1)
    v2 = deployment("b", 4)
    for _ in range(5):
        cluster.apply(v2, available=False)  # the new image never becomes ready
    total, available = cluster.totals()
    assert available >= 4 - 1 and total <= 4 + 1


def test_recreate_scales_old_to_zero_first_and_history_is_pruned() -> None:
    cluster = Cluster()
    d = deployment("a", 2, type="Recreate")
    cluster.apply(d)
    cluster.apply(d)
    plan = cluster.apply(deployment("b", 2, type="Recreate"))
    assert plan.scale == {next(n for n in cluster.rs if n != plan.new_rs_name): 0}
    plan = cluster.apply(deployment("b", 2, type="Recreate"))
    assert plan.scale == {plan.new_rs_name: 2}
    limited = deployment("c", 1)
    limited["spec"]["revisionHistoryLimit"] = 1
    for image in ("c", "d", "e"):
        limited["spec"]["template"]["spec"]["containers"][0]["image"] = image
        for _ in range(6):
            cluster.apply(limited)
    idle = [r for r in cluster.rs.values() if r["spec"]["replicas"] == 0]
    assert len(idle) == 1  # revisionHistoryLimit 1


def test_paused_deployments_do_not_roll_and_say_so() -> None:
    cluster = Cluster()
    d = deployment("a", 2)
    cluster.apply(d)
    paused = deployment("b", 2)
    paused["spec"]["paused"] = True
    plan = cluster.apply(paused)
    assert plan.create is None and not plan.scale
    status = deployment_status(paused, cluster.owned(), None, "2026-01-01T00:00:05Z")
    assert next(c for c in status["conditions"] if c["type"] == "Progressing")["reason"] == "DeploymentPaused"


def test_progress_deadline_exceeded_when_nothing_moves() -> None:
    d = deployment("b", 2)
    d["spec"]["progressDeadlineSeconds"] = 60
    rs = {"metadata": {"name": "web-x"}, "spec": {"replicas": 2}, "status": {"replicas": 2, "availableReplicas": 0}}
    s1 = deployment_status(d, [rs], rs, "2026-01-01T00:00:00Z")
    d["status"] = s1
    s2 = deployment_status(d, [rs], rs, "2026-01-01T00:00:30Z")
    d["status"] = s2
    assert next(c for c in s2["conditions"] if c["type"] == "Progressing")["reason"] == "ReplicaSetUpdated"
    s3 = deployment_status(d, [rs], rs, "2026-01-01T00:01:30Z")
    cond = next(c for c in s3["conditions"] if c["type"] == "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert cond["message"] == 'ReplicaSet "web-x" has timed out progressing.'

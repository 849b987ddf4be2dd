"""The pure core of the ReplicaSet/ReplicationController controllers."""

from datetime import UTC, datetime

import pytest

from kubelite.controllers.replication import compute as c

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
OWNER = {"apiVersion": "v1", "kind": "ReplicationController",
         "metadata": {"name": "web", "namespace": "default", "uid": "owner-uid", "generation": 3},
         "spec": {"replicas": 3, "selector": {"app": "web"},
                  "template": {"metadata": {"labels": {"app": "web", "tier": "fe"}, "annotations": {"a": "1"}},
                               "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


def pod(name: str, *, labels: dict | None = None, owner: str | None = None, node: str = "", phase: str = "Pending",
        ready_since: str | None = None, created: str = "2026-01-01T00:00:00Z", restarts: int = 0,
        deleting: bool = False) -> dict:
    meta: dict = {"name": name, "namespace": "default", "uid": f"uid-{name}", "resourceVersion": "7",
                  "labels": labels if labels is not None else {"app": "web"}, "creationTimestamp": created}
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicationController", "name": "x", "uid": owner, "controller": True}]
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    status: dict = {"phase": phase, "containerStatuses": [{"restartCount": restarts}]}
    if ready_since:
        status["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": ready_since}]
    return {"metadata": meta, "spec": {"nodeName": node}, "status": status}


def test_selectors_by_kind() -> None:
    assert c.REPLICATION_CONTROLLER.selector(OWNER).matches({"app": "web", "x": "y"})
    assert not c.REPLICATION_CONTROLLER.selector(OWNER).matches({"app": "db"})
    no_selector = {"spec": {"template": {"metadata": {"labels": {"app": "t"}}}}}
    assert c.REPLICATION_CONTROLLER.selector(no_selector).matches({"app": "t"}), "RC defaults to template labels"
    rs = {"spec": {"selector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]}]}}}
    assert c.REPLICA_SET.selector(rs).matches({"tier": "be"})
    assert not c.REPLICA_SET.selector({"spec": {"selector": {}}}).matches({"any": "thing"}), "empty selects nothing"
    bad = {"spec": {"selector": {"matchExpressions": [{"key": "k", "operator": "Bogus"}]}}}
    assert not c.REPLICA_SET.selector(bad).matches({"k": "v"})


def test_claim_adopts_orphans_keeps_ours_releases_mismatches_ignores_others() -> None:
    pods = [
        pod("mine", owner="owner-uid"),
        pod("mine-relabelled", owner="owner-uid", labels={"app": "other"}),
        pod("orphan"),
        pod("orphan-deleting", deleting=True),
        pod("orphan-nomatch", labels={"app": "db"}),
        pod("someone-elses", owner="other-uid"),
    ]
    claim = c.claim_pods(OWNER, c.REPLICATION_CONTROLLER.selector(OWNER), pods)
    assert [p["metadata"]["name"] for p in claim.owned] == ["mine"]
    assert [p["metadata"]["name"] for p in claim.release] == ["mine-relabelled"]
    assert [p["metadata"]["name"] for p in claim.adopt] == ["orphan"]
    deleting_owner = {**OWNER, "metadata": {**OWNER["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    claim = c.claim_pods(deleting_owner, c.REPLICATION_CONTROLLER.selector(OWNER), pods)
    assert claim.adopt == [] and claim.release == []


def test_adoption_and_release_patches_are_conditional() -> None:
    p = pod("orphan")
    patch = c.adoption_patch(OWNER, p)
    assert patch["metadata"]["resourceVersion"] == "7" and patch["metadata"]["uid"] == "uid-orphan"
    ref = patch["metadata"]["ownerReferences"][0]
    assert (ref["uid"], ref["controller"], ref["blockOwnerDeletion"]) == ("owner-uid", True, True)
    assert c.release_patch(OWNER, pod("mine", owner="owner-uid"))["metadata"]["ownerReferences"] is None


def test_deletion_order_matches_kubernetes_ranking() -> None:
    pods = [
        pod("running-ready-old", node="n3", phase="Running", ready_since="2026-01-01T00:00:00Z"),
        pod("running-ready-new", node="n2", phase="Running", ready_since="2026-01-01T00:05:00Z"),
        pod("running-notready", node="n1", phase="Running"),
        pod("pending-scheduled", node="n1"),
        pod("unscheduled"),
    ]
    order = [p["metadata"]["name"] for p in c.deletion_order(pods)]
    assert order == ["unscheduled", "pending-scheduled", "running-notready", "running-ready-new",
                     "running-ready-old"]


def test_deletion_order_tie_breakers() -> None:
    same = {"node": "n1", "phase": "Running", "ready_since": "2026-01-01T00:00:00Z"}
    crowded = [pod(f"crowded{i}", node="n1", phase="Running", ready_since="2026-01-01T00:00:00Z") for i in range(2)]
    alone = pod("alone", node="n9", phase="Running", ready_since="2026-01-01T00:00:00Z")
    assert c.deletion_order([alone, *crowded])[-1]["metadata"]["name"] == "alone", "crowded nodes lose pods first"
    restarts = [pod("calm", **same), pod("crashy", restarts=5, **same)]
    assert c.deletion_order(restarts)[0]["metadata"]["name"] == "crashy"
    ages = [pod("old", created="2026-01-01T00:00:00Z", **same), pod("young", created="2026-01-01T00:09:00Z", **same)]
    assert c.deletion_order(ages)[0]["metadata"]["name"] == "young"
    cheap = pod("cheap", **same)
    cheap["metadata"]["annotations"] = {c.DELETION_COST: "-10"}
    assert c.deletion_order([pod("normal", **same), cheap])[0]["metadata"]["name"] == "cheap"


def test_slow_start_batches() -> None:
    assert c.slow_start_batches(0) == []
    assert c.slow_start_batches(1) == [1]
    assert c.slow_start_batches(10) == [1, 2, 4, 3]
    assert sum(c.slow_start_batches(500)) == 500


def test_pod_from_template() -> None:
    p = c.pod_from_template(OWNER)
    assert p["metadata"]["generateName"] == "web-"
    assert p["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    assert p["metadata"]["annotations"] == {"a": "1"}
    assert p["metadata"]["ownerReferences"][0]["uid"] == "owner-uid"
    assert p["spec"] == OWNER["spec"]["template"]["spec"]
    p["spec"]["containers"].append({})
    assert len(OWNER["spec"]["template"]["spec"]["containers"]) == 1, "the template is copied, not shared"


def test_status_counts_and_min_ready_seconds() -> None:
    owner = {**OWNER, "spec": {**OWNER["spec"], "minReadySeconds": 60}}
    active = [
        pod("full-ready-long", labels={"app": "web", "tier": "fe"}, ready_since="2026-01-01T00:00:00Z"),
        pod("full-ready-recent", labels={"app": "web", "tier": "fe"}, ready_since="2026-01-01T00:09:30Z"),
        pod("partial", labels={"app": "web"}),
    ]
    st = c.compute_status(owner, active, NOW, None)
    assert st == {"replicas": 3, "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 1,
                  "observedGeneration": 3}
    assert c.time_until_available(active[1], 60, NOW) == pytest.approx(30)
    assert c.time_until_available(active[0], 60, NOW) is None
    failing = c.compute_status(owner, active, NOW, ("FailedCreate", "quota exceeded"))
    cond = failing["conditions"][0]
    assert (cond["type"], cond["reason"], cond["message"]) == ("ReplicaFailure", "FailedCreate", "quota exceeded")
    assert c.status_changed(owner, st)
    assert not c.status_changed({**owner, "status": st}, st)
    healed = c.compute_status({**owner, "status": failing}, active, NOW, None)
    assert "conditions" not in healed


def test_active_and_replicas() -> None:
    assert c.is_active(pod("p"))
    assert not c.is_active(pod("p", phase="Succeeded"))
    assert not c.is_active(pod("p", deleting=True))
    assert c.replicas_of({"spec": {}}) == 1
    assert c.replicas_of({"spec": {"replicas": 0}}) == 0

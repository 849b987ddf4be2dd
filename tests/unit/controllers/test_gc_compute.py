from typing import Any

import pytest

from kubelite.controllers.gc.compute import FOREGROUND, ORPHAN, plan

pytestmark = pytest.mark.unit
KINDS = {"ReplicaSet", "Deployment", "Pod", "ReplicationController"}


def obj(kind: str, name: str, uid: str, owners: list[dict[str, Any]] | None = None, *, ns: str = "default",
        deleting: bool = False, finalizers: list[str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "uid": uid}
    if owners:
        meta["ownerReferences"] = owners
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": kind, "metadata": meta}


def owner(kind: str, uid: str, block: bool = False) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "name": uid, "uid": uid, "controller": True,
            "blockOwnerDeletion": block}


def names(pairs: list[Any]) -> list[str]:
    return sorted(p[0].name for p in pairs)


def test_background_deletes_dependents_whose_owners_are_all_gone() -> None:
    objects = [
        obj("Pod", "orphaned", "p1", [owner("ReplicaSet", "rs-gone")]),
        obj("Pod", "kept", "p2", [owner("ReplicaSet", "rs-live")]),
        obj("ReplicaSet", "rs", "rs-live"),
        obj("Pod", "half", "p3", [owner("ReplicaSet", "rs-gone"), owner("ReplicaSet", "rs-live")]),
        obj("Pod", "unknown-kind", "p4", [owner("CronTab", "ct-1")]),
        obj("Pod", "wrong-ns", "p5", [owner("ReplicaSet", "rs-live")], ns="other"),
    ]
    p = plan(objects, KINDS)
    assert names(p.delete) == ["orphaned", "wrong-ns"]
    assert all(policy == "Background" for _, policy in p.delete)
    assert [(r.name, uids) for r, uids in p.remove_owner_refs] == [("half", ["rs-gone"])]


def test_foreground_deletes_dependents_then_releases_the_owner() -> None:
    deploying = obj("Deployment", "web", "d1", deleting=True, finalizers=[FOREGROUND])
    rs = obj("ReplicaSet", "web-x", "rs1", [owner("Deployment", "d1", block=True)])
    first = plan([deploying, rs], KINDS)
    assert [(r.name, pol) for r, pol in first.delete] == [("web-x", "Foreground")]
    assert first.remove_finalizer == []  # a blocking dependent remains
    rs_going = obj("ReplicaSet", "web-x", "rs1", [owner("Deployment", "d1", block=True)], deleting=True)
    second = plan([deploying, rs_going], KINDS)
    assert second.delete == [] and second.remove_finalizer == []
    done = plan([deploying], KINDS)
    assert [(r.name, f) for r, f in done.remove_finalizer] == [("web", FOREGROUND)]


def test_orphan_strips_references_and_keeps_dependents() -> None:
    rc = obj("ReplicationController", "kubia", "rc1", deleting=True, finalizers=[ORPHAN])
    pods = [obj("Pod", f"kubia-{i}", f"p{i}", [owner("ReplicationController", "rc1")]) for i in range(2)]
    p = plan([rc, *pods], KINDS)
    assert p.delete == []
    assert sorted((r.name, uids) for r, uids in p.remove_owner_refs) == [("kubia-0", ["rc1"]), ("kubia-1", ["rc1"])]
    assert [(r.name, f) for r, f in p.remove_finalizer] == [("kubia", ORPHAN)]

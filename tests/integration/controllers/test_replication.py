"""ReplicationController / ReplicaSet controllers against the real in-process API server."""

from __future__ import annotations

import contextlib

import pytest

from kubelite.api.meta import format_time
from kubelite.client import errors

from .conftest import Cluster, eventually, rc_body

pytestmark = pytest.mark.integration


async def pods_of(c: Cluster, selector: str) -> list[dict]:
    items = (await c.client.resource("v1", "pods").list("default", label_selector=selector))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


async def mark_ready(c: Cluster, pod: dict, node: str = "node-1", since: str | None = None) -> None:
    """Play the kubelet: bind the pod and report it Running and Ready."""
    pods = c.client.resource("v1", "pods")
    name = pod["metadata"]["name"]
    if not pod["spec"].get("nodeName"):
        await pods.bind(name, node)
    fresh = await pods.get(name)
    stamp = since or format_time(c.rc.clock.now())
    fresh["status"] = {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True", "lastTransitionTime": stamp}]}
    await pods.update_status(fresh)


async def test_rc_creates_replicas_heals_and_reports_status(cluster: Cluster) -> None:
    c = cluster
    rcs = c.client.resource("v1", "replicationcontrollers")
    rc = await rcs.create(rc_body("web", 3))

    async def three() -> bool:
        return len(await pods_of(c, "app=web")) == 3

    await eventually(three, what="3 pods")
    pods = await pods_of(c, "app=web")
    for p in pods:
        ref = p["metadata"]["ownerReferences"][0]
        assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == (
            "ReplicationController", "web", rc["metadata"]["uid"], True)
        assert p["metadata"]["name"].startswith("web-")

    async def status_ok() -> bool:
        st = (await rcs.get("web")).get("status") or {}
        return st.get("replicas") == 3 and st.get("fullyLabeledReplicas") == 3 and st.get("observedGeneration") == 1

    await eventually(status_ok, what="status")
    # Heal: a deleted pod is replaced.
    victim = pods[0]["metadata"]["name"]
    await c.client.resource("v1", "pods").delete(victim)

    async def healed() -> bool:
        names = [p["metadata"]["name"] for p in await pods_of(c, "app=web")]
        return len(names) == 3 and victim not in names

    await eventually(healed, what="replacement pod")
    created: list[dict] = []

    async def four_creates() -> bool:  # events are written in the background
        events = (await c.client.resource("v1", "events").list("default"))["items"]
        created[:] = [e for e in events if e["reason"] == "SuccessfulCreate" and e["involvedObject"]["name"] == "web"]
        return sum(e.get("count", 1) for e in created) >= 4

    await eventually(four_creates, what="SuccessfulCreate events")
    assert all(e["message"].startswith("Created pod: web-") for e in created)
    assert sum(e.get("count", 1) for e in created) == 4, "exactly one create per missing pod, never double"


async def test_scale_down_deletes_least_valuable_first_and_scale_up(cluster: Cluster) -> None:
    c = cluster
    rcs = c.client.resource("v1", "replicationcontrollers")
    await rcs.create(rc_body("sc", 3))

    async def count(n: int) -> bool:
        return len(await pods_of(c, "app=sc")) == n

    await eventually(lambda: count(3), what="3 pods")
    keeper = (await pods_of(c, "app=sc"))[1]
    await mark_ready(c, keeper)
    await rcs.scale("sc", 1)
    await eventually(lambda: count(1), what="scale down to 1")
    survivors = await pods_of(c, "app=sc")
    assert [p["metadata"]["name"] for p in survivors] == [keeper["metadata"]["name"]], \
        "unscheduled, not-ready pods go first"

    async def status_ready() -> bool:
        st = (await rcs.get("sc")).get("status") or {}
        return (st.get("replicas"), st.get("readyReplicas"), st.get("availableReplicas"),
                st.get("observedGeneration")) == (1, 1, 1, 2)

    await eventually(status_ready, what="status after scale")

    async def two_deletes() -> bool:
        deletes = [e for e in (await c.client.resource("v1", "events").list("default"))["items"]
                   if e["reason"] == "SuccessfulDelete"]
        return sum(e.get("count", 1) for e in deletes) == 2

    await eventually(two_deletes, what="SuccessfulDelete events")
    await rcs.scale("sc", 4)
    await eventually(lambda: count(4), what="scale up to 4")


async def test_adopts_matching_orphans_and_releases_pods_that_stop_matching(cluster: Cluster) -> None:
    c = cluster
    pods = c.client.resource("v1", "pods")
    orphan = await pods.create({"metadata": {"name": "orphan", "labels": {"app": "ad"}},
                                "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    rcs = c.client.resource("v1", "replicationcontrollers")
    rc = await rcs.create(rc_body("ad", 2))

    async def two_owned() -> bool:
        owned = [p for p in await pods_of(c, "app=ad")
                 if any(r["uid"] == rc["metadata"]["uid"] for r in p["metadata"].get("ownerReferences") or [])]
        return len(owned) == 2

    await eventually(two_owned, what="adoption plus one create")
    names = {p["metadata"]["name"] for p in await pods_of(c, "app=ad")}
    assert "orphan" in names and len(names) == 2
    adopted = await pods.get("orphan")
    assert adopted["metadata"]["uid"] == orphan["metadata"]["uid"]
    # Relabel the adopted pod: the RC releases it and makes a replacement.
    await pods.patch("orphan", {"metadata": {"labels": {"app": "elsewhere"}}})

    async def released() -> bool:
        p = await pods.get("orphan")
        return not p["metadata"].get("ownerReferences") and len(await pods_of(c, "app=ad")) == 2

    await eventually(released, what="release and replacement")


async def test_replicaset_with_expression_selector_and_min_ready_seconds(cluster: Cluster) -> None:
    c = cluster
    rss = c.client.resource("apps/v1", "replicasets")
    await rss.create({
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
        "spec": {"replicas": 2, "minReadySeconds": 4,
                 "selector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe"]}]},
                 "template": {"metadata": {"labels": {"tier": "fe", "extra": "x"}},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}}},
    })

    async def two() -> bool:
        return len(await pods_of(c, "tier=fe")) == 2

    await eventually(two, what="2 pods")
    for p in await pods_of(c, "tier=fe"):
        assert p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
        await mark_ready(c, p)

    seen: dict = {}

    async def ready() -> bool:
        seen.update((await rss.get("rs")).get("status") or {})
        return seen.get("readyReplicas") == 2

    await eventually(ready, what="ready pods")
    assert seen.get("availableReplicas", 0) < 2, "ready is not yet available before minReadySeconds"

    async def available() -> bool:
        st = (await rss.get("rs")).get("status") or {}
        return st.get("availableReplicas") == 2 and st.get("fullyLabeledReplicas") == 2

    await eventually(available, what="available after minReadySeconds")


async def test_burst_of_updates_never_double_creates(cluster: Cluster) -> None:
    c = cluster
    rcs = c.client.resource("v1", "replicationcontrollers")
    await rcs.create(rc_body("burst", 5))
    for i in range(10):  # a storm of events on the owner while its pods are being created
        await rcs.patch("burst", {"metadata": {"annotations": {"n": str(i)}}})

    async def five() -> bool:
        return len(await pods_of(c, "app=burst")) == 5

    await eventually(five, what="5 pods")
    await eventually(lambda: _idle(c), what="controller idle")
    assert len(await pods_of(c, "app=burst")) == 5
    all_pods = (await c.client.resource("v1", "pods").list("default", label_selector="app=burst"))["items"]
    assert len(all_pods) == 5, "no pod was created and then deleted as surplus"


async def _idle(c: Cluster) -> bool:
    q = c.rc.reconciler.queue
    return len(q) == 0 and not q.processing and c.rc.expectations.pending("default/burst") == (0, 0)


async def test_failed_creates_set_replica_failure_and_retry_with_backoff(cluster: Cluster) -> None:
    """Pods cannot be created in a terminating namespace: the RC reports ReplicaFailure and keeps
    retrying (slow start: one attempt per sync, not one per missing replica)."""
    c = cluster
    await c.client.resource("v1", "namespaces").create({"metadata": {"name": "doomed"}})
    rcs = c.client.resource("v1", "replicationcontrollers")
    body = rc_body("stuck", 0)
    body["metadata"]["namespace"] = "doomed"
    await rcs.create(body)
    await c.client.resource("v1", "namespaces").delete("doomed")
    await rcs.scale("stuck", 5, "doomed")

    async def failing() -> bool:
        conds = ((await rcs.get("stuck", "doomed")).get("status") or {}).get("conditions") or []
        return any(x["type"] == "ReplicaFailure" and x["reason"] == "FailedCreate" for x in conds)

    await eventually(failing, what="the ReplicaFailure condition")
    cond = next(x for x in (await rcs.get("stuck", "doomed"))["status"]["conditions"] if x["type"] == "ReplicaFailure")
    assert "being terminated" in cond["message"]

    async def requeued() -> bool:
        return c.rc.reconciler.queue.num_requeues("doomed/stuck") >= 1

    await eventually(requeued, what="the failed sync to be requeued with backoff")

    async def not_waiting() -> bool:  # between retries nothing is awaited: the controller cannot wedge
        return c.rc.expectations.pending("doomed/stuck") == (0, 0)

    await eventually(not_waiting, what="failed and skipped creates to be written off")


async def test_converges_after_random_scaling_deletes_and_relabels(cluster: Cluster) -> None:
    import random

    rng = random.Random(11)
    c = cluster
    rcs = c.client.resource("v1", "replicationcontrollers")
    pods = c.client.resource("v1", "pods")
    await rcs.create(rc_body("chaos", 3))
    target = 3
    for _ in range(25):
        roll = rng.random()
        current = await pods_of(c, "app=chaos")
        if roll < 0.4:
            target = rng.randrange(0, 7)
            await rcs.scale("chaos", target)
        elif roll < 0.7 and current:
            victim = rng.choice(current)["metadata"]["name"]
            with contextlib.suppress(errors.NotFoundError):
                await pods.delete(victim)
        elif current:
            stray = rng.choice(current)["metadata"]["name"]
            with contextlib.suppress(errors.NotFoundError, errors.ConflictError):
                await pods.patch(stray, {"metadata": {"labels": {"app": "stray"}}})

    async def converged() -> bool:
        st = (await rcs.get("chaos")).get("status") or {}
        return len(await pods_of(c, "app=chaos")) == target and st.get("replicas") == target

    await eventually(converged, within=30, what=f"{target} pods")

    async def strays_released() -> bool:
        return all(not p["metadata"].get("ownerReferences") for p in await pods_of(c, "app=stray"))

    await eventually(strays_released, what="relabelled pods to be released")

import pytest

from kubelite.controllers.podgc.compute import pods_to_collect

pytestmark = pytest.mark.unit


def pod(name: str, phase: str = "Running", node: str = "n1", created: str = "2026-01-01T00:00:00Z",
        deleting: bool = False) -> dict:  # type: ignore[type-arg]
    meta = {"name": name, "namespace": "ns", "creationTimestamp": created}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-02T00:00:00Z"
    return {"metadata": meta, "spec": {"nodeName": node} if node else {}, "status": {"phase": phase}}


def test_terminated_pods_beyond_the_threshold_go_oldest_first() -> None:
    pods = [pod(f"done-{i}", "Succeeded", created=f"2026-01-01T00:00:0{i}Z") for i in range(5)] + [pod("live")]
    delete, force = pods_to_collect(pods, {"n1"}, threshold=3)
    assert delete == ["ns/done-0", "ns/done-1"] and force == []


def test_orphans_of_vanished_nodes_and_unscheduled_terminating_pods_are_forced() -> None:
    pods = [pod("on-gone-node", node="n9"), pod("unscheduled-going", node="", deleting=True),
            pod("unscheduled", node=""), pod("fine")]
    delete, force = pods_to_collect(pods, {"n1"})
    assert delete == [] and sorted(force) == ["ns/on-gone-node", "ns/unscheduled-going"]

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubelite.controllers.nodelifecycle.compute import NOT_READY, UNREACHABLE, eviction_time, judge_node

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def node(ready: str = "True", beat: datetime = T0, taints: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": "n1", "creationTimestamp": ts(T0 - timedelta(hours=1))},
            "spec": {"taints": taints or [{"key": "dedicated", "value": "x", "effect": "NoSchedule"}]},
            "status": {"conditions": [{"type": "Ready", "status": ready, "lastHeartbeatTime": ts(beat)}]}}


def lease(renew: datetime) -> dict[str, Any]:
    return {"spec": {"holderIdentity": "n1", "renewTime": renew.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}}


def test_fresh_lease_keeps_the_node_ready_and_untainted() -> None:
    v = judge_node(node(beat=T0 - timedelta(minutes=5)), lease(T0 - timedelta(seconds=5)), T0)
    assert v.state == "ready" and v.conditions is None
    assert v.taints == [{"key": "dedicated", "value": "x", "effect": "NoSchedule"}]


def test_silent_node_goes_unknown_and_gets_unreachable_taints_once() -> None:
    v = judge_node(node(beat=T0 - timedelta(minutes=5)), lease(T0 - timedelta(seconds=41)), T0)
    assert v.state == "unknown"
    assert v.conditions is not None
    ready = next(c for c in v.conditions if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("Unknown", "NodeStatusUnknown")
    assert ready["message"] == "Kubelet stopped posting node status."
    assert {c["type"] for c in v.conditions} == {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"}
    keys = [(t["key"], t["effect"]) for t in v.taints]
    assert keys == [("dedicated", "NoSchedule"), (UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")]
    no_execute = v.taints[-1]
    assert no_execute["timeAdded"] == ts(T0)
    # Judged again later: conditions already Unknown, taint time kept.
    later = node(beat=T0 - timedelta(minutes=5), taints=v.taints)
    later["status"]["conditions"] = v.conditions
    again = judge_node(later, lease(T0 - timedelta(seconds=41)), T0 + timedelta(seconds=30))
    assert again.conditions is None and again.taints[-1]["timeAdded"] == ts(T0)


def test_not_ready_node_and_recovery_remove_only_our_taints() -> None:
    v = judge_node(node(ready="False"), lease(T0), T0)
    assert v.state == "not-ready" and [t["key"] for t in v.taints[1:]] == [NOT_READY, NOT_READY]
    recovered = judge_node(node(taints=v.taints), lease(T0), T0)
    assert recovered.taints == [{"key": "dedicated", "value": "x", "effect": "NoSchedule"}]


def test_eviction_times_follow_tolerations() -> None:
    taints = [{"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": ts(T0)}]
    default = {"spec": {"tolerations": [
        {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]}}
    assert eviction_time(default, taints, T0) == T0 + timedelta(seconds=300)
    assert eviction_time({"spec": {}}, taints, T0) == T0  # no toleration: now
    forever = {"spec": {"tolerations": [{"operator": "Exists"}]}}
    assert eviction_time(forever, taints, T0) is None
    no_schedule_only = [{"key": UNREACHABLE, "effect": "NoSchedule"}]
    assert eviction_time({"spec": {}}, no_schedule_only, T0) is None

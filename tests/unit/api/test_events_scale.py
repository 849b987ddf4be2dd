from typing import Any

import pytest

from kubelite.api.events import to_core, to_events_v1
from kubelite.api.scale import apply_scale, to_scale

pytestmark = pytest.mark.unit


def test_event_round_trip() -> None:
    new = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
           "regarding": {"kind": "Pod", "name": "p"}, "note": "hi", "reason": "R",
           "reportingController": "kubelet", "deprecatedCount": 3, "eventTime": "2024-01-01T00:00:00.000000Z"}
    core = to_core(new)
    assert core["apiVersion"] == "v1" and core["involvedObject"] == {"kind": "Pod", "name": "p"}
    assert core["message"] == "hi" and core["reportingComponent"] == "kubelet" and core["count"] == 3
    assert "note" not in core and core["eventTime"] == new["eventTime"]
    assert to_events_v1(core) == new


def test_scale_view_and_update() -> None:
    d: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "d", "namespace": "n", "uid": "u", "resourceVersion": "7", "labels": {"a": "b"}},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}}}, "status": {"replicas": 1}}
    scale = to_scale(d)
    assert scale == {"kind": "Scale", "apiVersion": "autoscaling/v1",
                     "metadata": {"name": "d", "namespace": "n", "uid": "u", "resourceVersion": "7"},
                     "spec": {"replicas": 2}, "status": {"replicas": 1, "selector": "app=x"}}
    scaled = apply_scale(d, {"spec": {"replicas": 5}})
    assert scaled["spec"]["replicas"] == 5 and d["spec"]["replicas"] == 2
    rc = {"kind": "ReplicationController", "metadata": {"name": "r"}, "spec": {"selector": {"b": "2", "a": "1"}}}
    assert to_scale(rc)["status"]["selector"] == "a=1,b=2" and to_scale(rc)["spec"]["replicas"] == 0

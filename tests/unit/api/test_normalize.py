from typing import Any

import pytest

from kubelite.api.defaults import apply_defaults
from kubelite.api.normalize import normalize

pytestmark = pytest.mark.unit


def test_quantities_and_times_become_canonical() -> None:
    pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "creationTimestamp": "2024-01-01T02:00:00.5+02:00"},
           "spec": {"containers": [{"name": "c", "image": "i",
                                    "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"},
                                                  "requests": {"cpu": 0.5, "memory": "bad"}}}],
                    "overhead": {"cpu": 1}},
           "status": {"startTime": "2024-01-01T00:00:01Z"}}
    out = normalize(pod)
    res = out["spec"]["containers"][0]["resources"]
    assert res == {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "bad"}}
    assert out["spec"]["overhead"] == {"cpu": "1"}
    assert out["metadata"]["creationTimestamp"] == "2024-01-01T00:00:00Z"
    assert pod["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "1000m"  # input untouched
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "spec": {"renewTime": "2024-01-01T00:00:00Z"}}
    assert normalize(lease)["spec"]["renewTime"] == "2024-01-01T00:00:00.000000Z"
    assert normalize({"kind": "Unknown", "x": "1000m"}) == {"kind": "Unknown", "x": "1000m"}


def test_defaults_run_normalization_first() -> None:
    d = apply_defaults({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "i", "resources": {"limits": {"cpu": "2000m"}}}]}}}})
    res = d["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert res == {"limits": {"cpu": "2"}, "requests": {"cpu": "2"}}

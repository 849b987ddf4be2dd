"""Probe bookkeeping: delays, periods, thresholds, startup gating."""

import pytest

from kubelite.kubelet.probes import ProbeTracker

pytestmark = pytest.mark.unit


def test_initial_delay_and_period() -> None:
    c = {"livenessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": 5, "periodSeconds": 2}}
    t = ProbeTracker()
    assert t.due(c, "id", started=0, now=4) == []
    assert t.due(c, "id", started=0, now=5) == ["livenessProbe"]
    t.record(c, "id", "livenessProbe", True, now=5)
    assert t.due(c, "id", started=0, now=6) == []
    assert t.due(c, "id", started=0, now=7) == ["livenessProbe"]


def test_failure_threshold_then_kill() -> None:
    c = {"livenessProbe": {"failureThreshold": 2}}
    t = ProbeTracker()
    t.record(c, "id", "livenessProbe", False, now=1)
    assert t.should_kill(c, "id") == ""
    t.record(c, "id", "livenessProbe", False, now=2)
    assert t.should_kill(c, "id") == "livenessProbe"
    assert t.should_kill(c, "other") == ""  # a restarted container starts over


def test_readiness_starts_unready_and_needs_success_threshold() -> None:
    c = {"readinessProbe": {"successThreshold": 2}}
    t = ProbeTracker()
    assert not t.ready(c, "id")
    t.record(c, "id", "readinessProbe", True, now=1)
    assert not t.ready(c, "id")
    t.record(c, "id", "readinessProbe", True, now=2)
    assert t.ready(c, "id")
    assert t.ready({}, "id")  # no probe: ready while running


def test_startup_probe_gates_the_others() -> None:
    c: dict[str, dict[str, int]] = {"startupProbe": {}, "livenessProbe": {}, "readinessProbe": {}}
    t = ProbeTracker()
    assert t.due(c, "id", started=0, now=0) == ["startupProbe"]
    t.record(c, "id", "startupProbe", True, now=0)
    assert t.due(c, "id", started=0, now=0) == ["livenessProbe", "readinessProbe"]

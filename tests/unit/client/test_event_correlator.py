"""Kubernetes' event correlation (dedup, aggregation, spam filter), pure."""

import pytest

from kubelite.client.events import COMBINED_PREFIX, EventCorrelator

pytestmark = pytest.mark.unit


def ev(message: str, reason: str = "Started", name: str = "web") -> dict:
    return {
        "metadata": {"name": f"{name}.{abs(hash(message)):x}", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": name, "uid": "u1"},
        "source": {"component": "kubelet"}, "type": "Normal", "reason": reason, "message": message,
        "count": 1, "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z",
    }


def test_identical_events_are_counted_into_the_first() -> None:
    c = EventCorrelator()
    first = c.correlate(ev("hello"), 0.0)
    assert first.existing is None and not first.skip
    c.recorded(first.key, first.event)
    again = ev("hello")
    again["lastTimestamp"] = "2026-01-01T00:01:00Z"
    second = c.correlate(again, 60.0)
    assert second.existing == first.event["metadata"]["name"]
    assert second.event["count"] == 2
    assert second.event["firstTimestamp"] == "2026-01-01T00:00:00Z"
    assert second.event["lastTimestamp"] == "2026-01-01T00:01:00Z"
    c.recorded(second.key, second.event)
    assert c.correlate(ev("hello"), 61.0).event["count"] == 3
    assert c.correlate(ev("other message"), 62.0).existing is None


def test_ten_similar_messages_are_combined_into_one_event() -> None:
    c = EventCorrelator()
    for i in range(9):
        r = c.correlate(ev(f"msg {i}"), float(i))
        assert not r.event["message"].startswith(COMBINED_PREFIX)
        c.recorded(r.key, r.event)
    tenth = c.correlate(ev("msg 9"), 9.0)
    assert tenth.event["message"] == COMBINED_PREFIX + "msg 9"
    assert tenth.existing is None
    c.recorded(tenth.key, tenth.event)
    eleventh = c.correlate(ev("msg 10"), 10.0)
    assert eleventh.existing == tenth.event["metadata"]["name"], "later variants fold into the combined one"
    assert eleventh.event["message"] == COMBINED_PREFIX + "msg 10"
    assert eleventh.event["count"] == 2
    # A different reason is aggregated separately.
    assert not c.correlate(ev("x", reason="Pulled"), 11.0).event["message"].startswith(COMBINED_PREFIX)


def test_aggregation_window_expires_after_ten_minutes() -> None:
    c = EventCorrelator()
    for i in range(9):
        c.correlate(ev(f"m{i}"), 0.0)
    r = c.correlate(ev("late"), 601.0)
    assert not r.event["message"].startswith(COMBINED_PREFIX)


def test_spam_filter_allows_a_burst_of_25_then_one_per_five_minutes() -> None:
    c = EventCorrelator()
    results = [c.correlate(ev(f"u{i}", reason=f"R{i}"), 0.0) for i in range(26)]
    assert [r.skip for r in results] == [False] * 25 + [True]
    assert c.correlate(ev("other", name="db"), 0.0).skip is False, "each object has its own bucket"
    assert c.correlate(ev("later", reason="Z"), 299.0).skip is True
    assert c.correlate(ev("later", reason="Z"), 301.0).skip is False

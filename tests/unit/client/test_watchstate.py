"""The list/watch resume state machine, with no event loop."""

import pytest

from kubelite.client.watchstate import Deliver, List, Wait, Watch, WatchEvent, WatchResume

pytestmark = pytest.mark.unit


def obj(name: str, rv: str) -> dict:
    return {"metadata": {"name": name, "resourceVersion": rv}}


def test_lists_first_then_watches_from_list_rv() -> None:
    m = WatchResume()
    assert m.start() == [List()]
    assert m.listed("10") == [Watch("10")]


def test_events_advance_rv_and_are_delivered() -> None:
    m = WatchResume()
    m.start()
    m.listed("10")
    acts = m.event("ADDED", obj("a", "11"))
    assert acts == [Deliver(WatchEvent("ADDED", obj("a", "11")))]
    m.event("MODIFIED", obj("a", "12"))
    m.event("DELETED", obj("a", "13"))
    assert m.resource_version == "13"
    assert m.stream_ended() == [Watch("13")], "a normal end resumes at once from the last event"


def test_bookmark_advances_rv_without_delivery() -> None:
    m = WatchResume()
    m.listed("5")
    assert m.event("BOOKMARK", {"kind": "Pod", "metadata": {"resourceVersion": "99"}}) == []
    assert m.stream_ended() == [Watch("99")]


def test_410_error_event_relists_and_forgets_rv() -> None:
    m = WatchResume()
    m.listed("5")
    status = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version"}
    assert m.event("ERROR", status) == [List()]
    assert m.resource_version == ""
    assert m.relists == 1
    assert m.listed("50") == [Watch("50")]


def test_gone_reason_without_code_also_relists() -> None:
    m = WatchResume()
    m.listed("5")
    assert m.event("ERROR", {"reason": "Gone"}) == [List()]


def test_other_error_event_backs_off_and_resumes_from_same_rv() -> None:
    m = WatchResume()
    m.listed("5")
    m.event("ADDED", obj("a", "6"))
    acts = m.event("ERROR", {"kind": "Status", "code": 500, "reason": "InternalError"})
    assert isinstance(acts[0], Wait) and acts[0].seconds > 0
    assert acts[1] == Watch("6")


def test_connection_failures_back_off_growing_and_reset_on_event() -> None:
    m = WatchResume()
    m.listed("5")
    waits = []
    for _ in range(4):
        acts = m.watch_failed(gone=False)
        assert acts[1] == Watch("5")
        assert isinstance(acts[0], Wait)
        waits.append(acts[0].seconds)
    assert waits == sorted(waits) and waits[0] < waits[-1]
    m.event("MODIFIED", obj("a", "6"))
    acts = m.watch_failed(gone=False)
    assert isinstance(acts[0], Wait) and acts[0].seconds == waits[0]


def test_http_410_on_open_relists() -> None:
    m = WatchResume()
    m.listed("5")
    assert m.watch_failed(gone=True) == [List()]


def test_list_failure_backs_off_then_lists_again() -> None:
    m = WatchResume()
    m.start()
    first = m.list_failed()
    second = m.list_failed()
    assert first[1] == List() and second[1] == List()
    assert isinstance(first[0], Wait) and isinstance(second[0], Wait)
    assert second[0].seconds > first[0].seconds


def test_start_from_known_rv_skips_list() -> None:
    m = WatchResume(resource_version="42")
    assert m.start() == [Watch("42")]


def test_unknown_event_type_is_not_delivered() -> None:
    m = WatchResume()
    m.listed("5")
    acts = m.event("WEIRD", obj("a", "6"))
    assert not any(isinstance(a, Deliver) for a in acts)
    assert acts[-1] == Watch("5")

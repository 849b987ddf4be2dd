"""The list/watch resume state machine, with no event loop."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

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

_INPUTS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]), st.integers(1, 5)),
    st.tuples(st.just("ERROR410"), st.just(0)),
    st.tuples(st.just("ERROR500"), st.just(0)),
    st.tuples(st.just("END"), st.just(0)),
    st.tuples(st.just("BROKEN"), st.just(0)),
    st.tuples(st.just("GONE"), st.just(0)),
), max_size=60)


@given(_INPUTS)
def test_resume_invariants(inputs: list[tuple[str, int]]) -> None:
    """Whatever happens: every Watch resumes from the newest version seen since the last list, only
    object events are delivered, a relist is asked for exactly when the server said 410, and versions
    never go backwards between relists."""
    m = WatchResume()
    m.start()
    rv = 100
    m.listed(str(rv))
    newest = rv
    for kind, step in inputs:
        if kind in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK"):
            rv += step
            acts = m.event(kind, obj("x", str(rv)))
            newest = rv
            assert acts == ([] if kind == "BOOKMARK" else [Deliver(WatchEvent(kind, obj("x", str(rv))))])
        elif kind == "ERROR410":
            assert m.event("ERROR", {"code": 410, "reason": "Expired"}) == [List()]
            rv += 10
            assert m.listed(str(rv)) == [Watch(str(rv))]
            newest = rv
        elif kind == "GONE":
            assert m.watch_failed(gone=True) == [List()]
            rv += 10
            m.listed(str(rv))
            newest = rv
        else:
            if kind == "ERROR500":
                acts = m.event("ERROR", {"code": 500, "reason": "InternalError"})
            elif kind == "END":
                acts = m.stream_ended()
            else:
                acts = m.watch_failed(gone=False)
            assert acts[-1] == Watch(str(newest))
            assert not any(isinstance(a, (Deliver, List)) for a in acts)
        assert int(m.resource_version) == newest

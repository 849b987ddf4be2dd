import pytest

from kubelite.controllers.expectations import Expectations

pytestmark = pytest.mark.unit


def test_creations_must_be_observed_before_acting_again() -> None:
    e = Expectations(ttl=300)
    assert e.satisfied("ns/rc", 0)
    e.expect_creations("ns/rc", 2, 0)
    assert not e.satisfied("ns/rc", 1)
    e.creation_observed("ns/rc")
    assert not e.satisfied("ns/rc", 1)
    e.creation_observed("ns/rc")
    e.creation_observed("ns/rc")  # extra observations never go negative
    assert e.satisfied("ns/rc", 1)
    assert e.pending("ns/rc") == (0, 0)


def test_deletions_tracked_by_pod_key_and_failures_lower() -> None:
    e = Expectations()
    e.expect_deletions("ns/rc", ["ns/a", "ns/b"], 0)
    e.deletion_observed("ns/rc", "ns/a")
    e.deletion_observed("ns/rc", "ns/a")  # the same pod seen twice counts once
    assert e.pending("ns/rc") == (0, 1)
    e.deletion_observed("ns/rc", "ns/b")
    assert e.satisfied("ns/rc", 0)
    e.expect_creations("ns/rc", 5, 0)
    e.lower_creations("ns/rc", 5)
    assert e.satisfied("ns/rc", 0)


def test_expectations_expire_and_can_be_deleted() -> None:
    e = Expectations(ttl=300)
    e.expect_creations("ns/rc", 1, 100)
    assert not e.satisfied("ns/rc", 400)
    assert e.satisfied("ns/rc", 401)
    e.delete("ns/rc")
    assert e.pending("ns/rc") == (0, 0)

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from kubelite.api import meta

pytestmark = pytest.mark.unit


def test_name_rules() -> None:
    assert meta.is_dns1123_subdomain("a.b-c") == []
    assert meta.is_dns1123_subdomain("A") != []
    assert meta.is_dns1123_label("a.b") != []
    assert meta.is_dns1035_label("1abc") != [] and meta.is_dns1123_label("1abc") == []
    assert meta.is_dns1123_label("a" * 64)[0] == "must be no more than 63 characters"
    assert meta.is_dns1123_subdomain("Foo")[0].startswith(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
        "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    )
    assert "(e.g. 'my-name',  or '123-abc', regex" in meta.is_dns1123_label("_")[0]
    assert meta.name_rule_for("services") == "dns1035-label"
    assert meta.name_rule_for("namespaces") == "dns1123-label"
    assert meta.name_rule_for("pods") == "dns1123-subdomain"


def test_qualified_names_and_label_values() -> None:
    assert meta.is_qualified_name("app") == []
    assert meta.is_qualified_name("example.com/App_1") == []
    assert meta.is_qualified_name("a/b/c") != []
    assert meta.is_qualified_name("/a") == ["prefix part must be non-empty"]
    assert meta.is_qualified_name("Ex.com/a")[0].startswith("prefix part a lowercase RFC 1123")
    assert meta.is_qualified_name("-a")[0].startswith("name part must consist of")
    assert meta.is_valid_label_value("") == []
    assert meta.is_valid_label_value("a b") != []


def test_validate_object_meta() -> None:
    errs = meta.validate_object_meta({}, "pods", True)
    assert [str(e) for e in errs] == [
        "metadata.name: Required value: name or generateName is required",
        "metadata.namespace: Required value",
    ]
    ok = meta.validate_object_meta({"generateName": "web-", "namespace": "default"}, "pods", True)
    assert ok == []
    errs = meta.validate_object_meta({"name": "Bad_Name", "namespace": "x"}, "pods", True)
    assert errs[0].field == "metadata.name" and errs[0].type == "FieldValueInvalid"
    assert meta.validate_object_meta({"name": "n", "namespace": "x"}, "nodes", False)[0].type == (
        "FieldValueForbidden"
    )
    errs = meta.validate_object_meta(
        {"name": "a", "namespace": "d", "labels": {"bad key!": "v", "k": "bad value"}}, "pods", True
    )
    assert len(errs) == 2 and all(e.field == "metadata.labels" for e in errs)
    two_controllers = {
        "name": "a", "namespace": "d",
        "ownerReferences": [
            {"apiVersion": "v1", "kind": "X", "name": n, "uid": n, "controller": True} for n in "ab"
        ],
    }
    assert meta.validate_object_meta(two_controllers, "pods", True)[0].detail == (
        "Only one reference can have Controller set to true"
    )


def test_generate_name_and_uid_are_deterministic_from_rng() -> None:
    name = meta.generate_name("web-", random.Random(1))
    assert name.startswith("web-") and len(name) == 9
    assert all(c in meta.NAME_ALPHABET for c in name[4:])
    assert name == meta.generate_name("web-", random.Random(1))
    long = meta.generate_name("x" * 100, random.Random(2))
    assert len(long) == 63
    uid = meta.new_uid(random.Random(3))
    assert len(uid) == 36 and uid[14] == "4"


def test_times() -> None:
    dt = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert meta.format_time(dt) == "2024-05-06T07:08:09Z"
    assert meta.format_micro_time(dt) == "2024-05-06T07:08:09.123456Z"
    assert meta.parse_time("2024-05-06T07:08:09Z") == dt.replace(microsecond=0)
    assert meta.parse_time("2024-05-06T09:08:09.123456789+02:00") == dt
    other = datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2)))
    assert meta.format_time(other) == "2024-05-06T07:08:09Z"
    with pytest.raises(ValueError):
        meta.parse_time("2024-05-06T07:08:09")


@given(hs.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_micro_time_round_trips(dt: datetime) -> None:
    aware = dt.replace(tzinfo=UTC)
    assert meta.parse_time(meta.format_micro_time(aware)) == aware


def test_fill_create_meta_and_generation() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    obj = {"kind": "Deployment", "metadata": {"generateName": "d-"}, "spec": {"replicas": 1}}
    out = meta.fill_create_meta(obj, now, random.Random(0))
    assert obj["metadata"] == {"generateName": "d-"}  # input untouched
    m = out["metadata"]
    assert m["name"].startswith("d-") and m["generation"] == 1
    assert m["creationTimestamp"] == "2024-01-01T00:00:00Z" and len(m["uid"]) == 36
    cm = meta.fill_create_meta({"kind": "ConfigMap", "metadata": {"name": "c"}}, now, random.Random(0))
    assert "generation" not in cm["metadata"]
    changed = {**out, "spec": {"replicas": 2}}
    assert meta.next_generation(out, changed) == 2
    relabeled = {**out, "metadata": {**m, "labels": {"a": "b"}}, "status": {"x": 1}}
    assert meta.next_generation(out, relabeled) == 1
    assert meta.next_generation(cm, cm) is None


def test_owner_refs_and_finalizers() -> None:
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs", "uid": "u1"}}
    ref = meta.owner_reference(owner)
    assert ref == {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1",
                   "controller": True, "blockOwnerDeletion": True}
    pod = {"metadata": {"ownerReferences": [ref]}}
    assert meta.controller_ref(pod) == ref and meta.is_owned_by(pod, "u1") and not meta.is_owned_by(pod, "x")
    assert meta.controller_ref({"metadata": {}}) is None
    with_fin = meta.add_finalizer(pod, "a/b")
    assert meta.has_finalizer(with_fin, "a/b") and not meta.has_finalizer(pod, "a/b")
    assert meta.add_finalizer(with_fin, "a/b")["metadata"]["finalizers"] == ["a/b"]
    assert "finalizers" not in meta.remove_finalizer(with_fin, "a/b")["metadata"]

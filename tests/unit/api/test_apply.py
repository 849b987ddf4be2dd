import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from kubelite.api.apply import managed_fields, server_side_apply, track_update
from kubelite.api.fieldpath import field_set, from_fields_v1, path_string, to_fields_v1
from kubelite.api.status import ApiError

pytestmark = pytest.mark.unit

NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def deploy(replicas: int = 1, image: str = "nginx", extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default", "labels": {"app": "d", **(extra_labels or {})}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {"metadata": {"labels": {"app": "d"}},
                         "spec": {"containers": [{"name": "c", "image": image,
                                                  "ports": [{"containerPort": 80}]}]}},
        },
    }


def test_field_set_uses_list_keys_and_skips_identity() -> None:
    paths = field_set(deploy())
    assert ("f:metadata", "f:labels", "f:app") in paths
    assert ("f:metadata", "f:name") not in paths and ("f:apiVersion",) not in paths
    c = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"c"}')
    assert c in paths and (*c, "f:image") in paths
    assert (*c, "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}', "f:containerPort") in paths
    fin = field_set({"apiVersion": "v1", "kind": "Pod", "metadata": {"finalizers": ["a/b"]}})
    assert fin == {("f:metadata", "f:finalizers", 'v:"a/b"')}


def test_fields_v1_round_trip_and_dot_marker() -> None:
    paths = field_set(deploy())
    encoded = to_fields_v1(paths)
    c = encoded["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"c"}']
    assert c["."] == {} and c["f:image"] == {}
    assert from_fields_v1(encoded) == paths
    assert path_string(("f:spec", "f:containers", 'k:{"name":"c"}', "f:image")) == (
        '.spec.containers[name="c"].image'
    )


def test_apply_create_then_merge_keeps_other_fields() -> None:
    created = server_side_apply(None, deploy(), "kubectl", False, NOW)
    entries = managed_fields(created)
    assert [(e["manager"], e["operation"], e["apiVersion"], e["time"]) for e, _ in entries] == [
        ("kubectl", "Apply", "apps/v1", "2024-01-02T03:04:05Z")
    ]
    live = {**created, "status": {"replicas": 1}}
    again = server_side_apply(live, deploy(replicas=3), "kubectl", False, NOW)
    assert again["spec"]["replicas"] == 3 and again["status"] == {"replicas": 1}


def test_apply_removes_fields_the_manager_stopped_applying() -> None:
    live = server_side_apply(None, deploy(extra_labels={"tier": "web"}), "kubectl", False, NOW)
    out = server_side_apply(live, deploy(), "kubectl", False, NOW)
    assert out["metadata"]["labels"] == {"app": "d"}


def test_shared_fields_are_kept_when_another_manager_owns_them() -> None:
    live = server_side_apply(None, deploy(extra_labels={"tier": "web"}), "a", False, NOW)
    live = server_side_apply(live, deploy(extra_labels={"tier": "web"}), "b", False, NOW)
    out = server_side_apply(live, deploy(), "a", False, NOW)
    assert out["metadata"]["labels"]["tier"] == "web"
    assert {e["manager"] for e, _ in managed_fields(out)} == {"a", "b"}


def test_conflict_with_update_manager_and_force() -> None:
    created = track_update(None, deploy(), "kubectl-create", NOW)
    (entry, paths), = managed_fields(created)
    assert entry["operation"] == "Update" and ("f:spec", "f:replicas") in paths
    with pytest.raises(ApiError) as info:
        server_side_apply(created, deploy(replicas=5), "kubectl", False, NOW)
    err = info.value
    assert err.code == 409 and err.reason == "Conflict"
    assert err.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1: .spec.replicas'
    )
    assert err.status["details"]["causes"] == [{
        "reason": "FieldManagerConflict", "message": 'conflict with "kubectl-create" using apps/v1',
        "field": ".spec.replicas",
    }]
    # the same value is no conflict: ownership is shared
    same = server_side_apply(created, deploy(), "kubectl", False, NOW)
    assert same["spec"]["replicas"] == 1
    forced = server_side_apply(created, deploy(replicas=5, image="x"), "kubectl", True, NOW)
    assert forced["spec"]["replicas"] == 5
    owners = {e["manager"]: p for e, p in managed_fields(forced)}
    assert ("f:spec", "f:replicas") not in owners["kubectl-create"]
    assert ("f:spec", "f:replicas") in owners["kubectl"]


def test_multiple_conflicts_message() -> None:
    created = track_update(None, deploy(), "kubectl-create", NOW)
    with pytest.raises(ApiError) as info:
        server_side_apply(created, deploy(replicas=5, image="other"), "kubectl", False, NOW)
    assert info.value.message == (
        "Apply failed with 2 conflicts: conflicts with \"kubectl-create\" using apps/v1:\n"
        "- .spec.replicas\n"
        "- .spec.template.spec.containers[name=\"c\"].image"
    )


def test_track_update_moves_ownership_of_changed_fields() -> None:
    created = track_update(None, deploy(), "kubectl-create", NOW)
    scaled = {**created, "spec": {**created["spec"], "replicas": 4}}
    out = track_update(created, scaled, "kubectl-scale", NOW)
    owners = {e["manager"]: p for e, p in managed_fields(out)}
    assert owners["kubectl-scale"] == {("f:spec", "f:replicas")}
    assert ("f:spec", "f:replicas") not in owners["kubectl-create"]
    unchanged = track_update(out, out, "someone", NOW)
    assert {e["manager"] for e, _ in managed_fields(unchanged)} == {"kubectl-create", "kubectl-scale"}


def test_status_subresource_tracked_separately() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []},
           "status": {"phase": "Running"}}
    assert field_set(pod, subresource="status") == {("f:status", "f:phase")}
    assert ("f:status", "f:phase") not in field_set(pod)


def test_apply_ignores_status_on_the_main_resource_and_spec_on_status() -> None:
    live = server_side_apply(None, deploy(), "kubectl", False, NOW)
    live["status"] = {"replicas": 1}
    applied = {**deploy(replicas=2), "status": {"replicas": 9}}
    out = server_side_apply(live, applied, "kubectl", False, NOW)
    assert out["status"] == {"replicas": 1} and out["spec"]["replicas"] == 2
    status_apply = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                    "spec": {"replicas": 7}, "status": {"replicas": 3}}
    out = server_side_apply(live, status_apply, "controller", False, NOW, subresource="status")
    assert out["status"] == {"replicas": 3} and out["spec"]["replicas"] == 1
    entry = next(e for e, _ in managed_fields(out) if e["manager"] == "controller")
    assert entry["subresource"] == "status"


def test_apply_rejects_list_elements_without_their_key() -> None:
    bad = deploy()
    del bad["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(ApiError) as info:
        server_side_apply(None, bad, "kubectl", False, NOW)
    assert info.value.code == 400
    assert info.value.message == (
        "failed to create typed patch object (apps/v1, Kind=Deployment): .spec.template.spec.containers: "
        'element 0: associative list with keys has an element that omits key field "name" (and doesn\'t '
        "have default value)"
    )


def test_update_of_one_container_field_does_not_take_the_element() -> None:
    created = track_update(None, deploy(), "kubectl-create", NOW)
    changed = copy.deepcopy(created)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    out = track_update(created, changed, "kubectl-set", NOW)
    owners = {e["manager"]: p for e, p in managed_fields(out)}
    c = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"c"}')
    assert owners["kubectl-set"] == {(*c, "f:image")}
    assert c in owners["kubectl-create"]


def test_update_honours_managed_fields_sent_by_the_client() -> None:
    created = track_update(None, deploy(), "kubectl-client-side-apply", NOW)
    migrated = copy.deepcopy(created)
    for entry in migrated["metadata"]["managedFields"]:
        entry["manager"], entry["operation"] = "kubectl", "Apply"
    out = track_update(created, migrated, "kubectl", NOW)
    assert [(e["manager"], e["operation"]) for e, _ in managed_fields(out)] == [("kubectl", "Apply")]
    applied = server_side_apply(out, deploy(replicas=4), "kubectl", False, NOW)
    assert applied["spec"]["replicas"] == 4


def test_dropping_an_element_keeps_it_while_another_manager_owns_a_field_in_it() -> None:
    two = deploy()
    two["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox"})
    live = server_side_apply(None, two, "a", False, NOW)
    changed = copy.deepcopy(live)
    changed["spec"]["template"]["spec"]["containers"][1]["image"] = "busybox:2"
    live = track_update(live, changed, "b", NOW)
    out = server_side_apply(live, deploy(), "a", False, NOW)
    names = [c["name"] for c in out["spec"]["template"]["spec"]["containers"]]
    assert names == ["c", "side"]
    side = out["spec"]["template"]["spec"]["containers"][1]
    assert side == {"name": "side", "image": "busybox:2"}  # a's name field stays: b still holds the element
    alone = server_side_apply(server_side_apply(None, two, "a", False, NOW), deploy(), "a", False, NOW)
    assert [c["name"] for c in alone["spec"]["template"]["spec"]["containers"]] == ["c"]


_names = hs.lists(hs.sampled_from(["a", "b", "c", "d"]), unique=True, max_size=3)
_labels = hs.dictionaries(hs.sampled_from(["x", "y", "z"]), hs.sampled_from(["1", "2"]), max_size=3)


def _config(names: list[str], labels: dict[str, str], replicas: int) -> dict[str, Any]:
    d = deploy(replicas=replicas)
    d["metadata"]["labels"] = labels
    d["spec"]["template"]["spec"]["containers"] = [{"name": n, "image": f"img-{n}"} for n in names]
    return d


@settings(max_examples=40, deadline=None)
@given(hs.tuples(_names, _labels, hs.integers(0, 3)), hs.tuples(_names, _labels, hs.integers(0, 3)))
def test_apply_laws(one: tuple[list[str], dict[str, str], int], two: tuple[list[str], dict[str, str], int]) -> None:
    (n1, l1, r1), (n2, l2, r2) = one, two
    first = server_side_apply(None, _config(n1, l1, r1), "m", False, NOW)
    again = server_side_apply(first, _config(n1, l1, r1), "m", False, NOW)
    assert again == first  # idempotent
    second = server_side_apply(first, _config(n2, l2, r2), "m", False, NOW)
    # a sole manager's object is exactly its latest configuration
    assert second["metadata"]["labels"] == l2
    assert second["spec"]["replicas"] == r2
    got = {c["name"]: c["image"] for c in second["spec"]["template"]["spec"]["containers"]}
    assert got == {n: f"img-{n}" for n in n2}

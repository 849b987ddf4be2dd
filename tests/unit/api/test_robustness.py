"""Garbage in never crashes the pure functions the API server runs on every body (no 500s)."""

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from kubelite.api.apply import server_side_apply, track_update
from kubelite.api.defaults import apply_defaults, prepare_for_create
from kubelite.api.field_selectors import field_set
from kubelite.api.meta import fill_create_meta
from kubelite.api.resources import REGISTRY
from kubelite.api.status import ApiError
from kubelite.api.strict import check
from kubelite.api.tables import table_for
from kubelite.api.validation import validate, validate_update

pytestmark = pytest.mark.unit

NOW = datetime(2024, 1, 1, tzinfo=UTC)
_leaf = hs.one_of(hs.none(), hs.booleans(), hs.integers(-2, 2), hs.sampled_from(["", "x", "1Gi", "80", "TCP"]))
_keys = hs.sampled_from(["spec", "status", "metadata", "containers", "ports", "name", "image", "replicas",
                         "selector", "template", "labels", "type", "data", "resources", "limits", "conditions",
                         "subsets", "addresses", "involvedObject", "schedule", "jobTemplate", "taints"])
_json = hs.recursive(_leaf, lambda inner: hs.lists(inner, max_size=3) | hs.dictionaries(_keys, inner, max_size=4),
                     max_leaves=20)
_kinds = hs.sampled_from([(r.api_version, r.kind, r.plural) for r in REGISTRY])


@settings(max_examples=100, deadline=None)
@given(_kinds, hs.dictionaries(_keys, _json, max_size=5))
def test_pipeline_functions_never_crash(kind: tuple[str, str, str], body: dict[str, Any]) -> None:
    api_version, kind_name, plural = kind
    obj = {**body, "apiVersion": api_version, "kind": kind_name}
    try:
        check(obj)
        defaulted = apply_defaults(obj)
        created = prepare_for_create(fill_create_meta(defaulted, NOW, random.Random(0)))
        validate(created)
        validate_update(created, defaulted)
        track_update(None, created, "m", NOW)
        table_for(plural, [created], NOW)
        field_set(plural, created)
        server_side_apply(created, obj, "m", True, NOW)
    except ApiError:
        pass


def test_wrong_shapes_become_field_errors_and_placeholder_cells() -> None:
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
           "spec": {"template": "oops", "selector": {"matchLabels": {"a": "b"}}}}
    errs = validate(bad)
    assert errs[-1].type == "FieldValueTypeInvalid"
    assert "cannot unmarshal string into Go struct field DeploymentSpec.spec.template" in errs[-1].detail
    assert apply_defaults(bad)["spec"]["template"] == "oops"
    unreadable = {**bad, "spec": ["not", "an", "object"]}
    row = table_for("deployments", [unreadable], NOW)["rows"][0]["cells"]
    assert row[0] == "d" and set(row[1:]) == {"<unknown>"}

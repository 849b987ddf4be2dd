"""Garbage in never crashes the pure functions the API server runs on every body (no 500s)."""

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from kubelite.api.apply import server_side_apply, track_update
from kubelite.api.defaults import apply_defaults, prepare_for_create
from kubelite.api.field_selectors import compile_field_selector, field_set
from kubelite.api.json_patch import apply_json_patch
from kubelite.api.merge_patch import apply_merge_patch
from kubelite.api.meta import fill_create_meta
from kubelite.api.patch_errors import PatchError
from kubelite.api.protobuf import ProtobufError, decode_protobuf, encode_unknown
from kubelite.api.quantity import QuantityError, parse_quantity
from kubelite.api.resources import REGISTRY
from kubelite.api.selectors import SelectorError, from_label_selector, parse_label_selector
from kubelite.api.status import ApiError
from kubelite.api.strategic import apply_strategic_patch
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


_pkeys = hs.sampled_from(["spec", "containers", "name", "image", "$patch", "$retainKeys", "$setElementOrder/containers",
                          "$deleteFromPrimitiveList/finalizers", "metadata", "finalizers", "template", "ports",
                          "containerPort", "op", "path", "value", "from", "matchLabels", "matchExpressions",
                          "key", "operator", "values"])
_pleaf = hs.one_of(hs.none(), hs.booleans(), hs.integers(-2, 2), hs.sampled_from(["", "x", "replace", "delete",
                                                                                  "In", "/spec"]))
_pjson = hs.recursive(_pleaf, lambda inner: hs.lists(inner, max_size=3) | hs.dictionaries(_pkeys, inner, max_size=4),
                      max_leaves=15)


@settings(max_examples=80, deadline=None)
@given(_pjson, _pjson)
def test_patches_fail_only_with_patch_errors(doc: Any, patch: Any) -> None:
    base = {"apiVersion": "apps/v1", "kind": "Deployment", **doc} if isinstance(doc, dict) else doc
    for fn in (apply_json_patch, apply_merge_patch, apply_strategic_patch):
        try:
            fn(base, patch)
        except PatchError:
            pass


@settings(max_examples=80, deadline=None)
@given(hs.binary(max_size=40), hs.text(alphabet="ab=!,() innotx<>\\.-/", max_size=16), _pjson)
def test_decoders_fail_only_with_their_errors(raw: bytes, text: str, obj: Any) -> None:
    for body in (b"k8s\x00" + raw, encode_unknown("apps/v1", "Deployment", raw)):
        try:
            decode_protobuf(body)
        except ProtobufError:
            pass
    for parse in (parse_label_selector, lambda t: compile_field_selector("pods", t), parse_quantity):
        try:
            parse(text)
        except (SelectorError, ApiError, QuantityError):
            pass
    try:
        from_label_selector(obj if isinstance(obj, dict) else None)
    except SelectorError:
        pass

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from kubelite.api.json_patch import apply_json_patch, format_pointer, json_equal, parse_pointer
from kubelite.api.merge_patch import apply_merge_patch, create_merge_patch
from kubelite.api.patch_errors import PatchError

pytestmark = pytest.mark.unit

DOC = {"a": {"b": [1, 2, 3]}, "c": "x", "d/e": {"~": 1}}


def test_json_patch_operations() -> None:
    out = apply_json_patch(DOC, [
        {"op": "add", "path": "/a/b/1", "value": 9},
        {"op": "add", "path": "/a/b/-", "value": 4},
        {"op": "remove", "path": "/c"},
        {"op": "replace", "path": "/d~1e/~0", "value": 2},
        {"op": "copy", "from": "/a/b", "path": "/copied"},
        {"op": "move", "from": "/copied", "path": "/moved"},
        {"op": "test", "path": "/moved/0", "value": 1},
    ])
    assert out == {"a": {"b": [1, 9, 2, 3, 4]}, "d/e": {"~": 2}, "moved": [1, 9, 2, 3, 4]}
    assert DOC == {"a": {"b": [1, 2, 3]}, "c": "x", "d/e": {"~": 1}}  # input untouched


@pytest.mark.parametrize(
    ("ops", "code"),
    [
        ([{"op": "test", "path": "/c", "value": "y"}], 422),
        ([{"op": "remove", "path": "/nope"}], 422),
        ([{"op": "replace", "path": "/a/x/y", "value": 1}], 422),
        ([{"op": "add", "path": "/a/b/7", "value": 1}], 422),
        ([{"op": "move", "from": "/a", "path": "/a/b/c"}], 422),
        ([{"op": "frob", "path": "/a"}], 400),
        ([{"path": "/a"}], 400),
        ({"op": "add"}, 400),
        ([{"op": "add", "path": "/a"}], 400),
    ],
)
def test_json_patch_errors(ops: Any, code: int) -> None:
    with pytest.raises(PatchError) as info:
        apply_json_patch(DOC, ops)
    assert info.value.code == code
    assert info.value.to_api_error().code == code


def test_json_patch_test_failure_message_and_equality() -> None:
    with pytest.raises(PatchError, match="testing value /c failed: test failed"):
        apply_json_patch(DOC, [{"op": "test", "path": "/c", "value": 1}])
    assert json_equal(1, 1.0) and not json_equal(True, 1) and not json_equal([1], [True])
    assert apply_json_patch({"n": 1}, [{"op": "test", "path": "/n", "value": 1.0}]) == {"n": 1}


_json = hs.recursive(
    hs.none() | hs.booleans() | hs.integers(-5, 5) | hs.text(max_size=3),
    lambda inner: hs.lists(inner, max_size=3) | hs.dictionaries(hs.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)
_tokens = hs.lists(hs.text(alphabet="ab~/", max_size=3), max_size=4)


@given(_tokens)
def test_pointer_round_trip(tokens: list[str]) -> None:
    assert parse_pointer(format_pointer(tokens)) == tokens


@settings(max_examples=40, deadline=None)
@given(hs.dictionaries(hs.text(max_size=4), _json, max_size=4), hs.text(max_size=4), _json)
def test_add_then_remove_is_identity_for_new_keys(doc: dict[str, Any], key: str, value: Any) -> None:
    if key in doc:
        return
    path = format_pointer([key])
    added = apply_json_patch(doc, [{"op": "add", "path": path, "value": value}])
    assert apply_json_patch(added, [{"op": "test", "path": path, "value": value}]) == added
    assert apply_json_patch(added, [{"op": "remove", "path": path}]) == doc


def test_merge_patch_rfc7386_examples() -> None:
    assert apply_merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert apply_merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert apply_merge_patch({"a": "b"}, {"a": None}) == {}
    assert apply_merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert apply_merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert apply_merge_patch([1, 2], {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}
    assert apply_merge_patch({"a": "foo"}, "bar") == "bar"


_nonnull = hs.recursive(
    hs.booleans() | hs.integers(-5, 5) | hs.text(max_size=3),
    lambda inner: hs.lists(inner, max_size=3) | hs.dictionaries(hs.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)
_obj = hs.dictionaries(hs.text(max_size=3), _nonnull, max_size=4)


@settings(max_examples=40, deadline=None)
@given(_obj, _obj)
def test_merge_patch_laws(original: dict[str, Any], modified: dict[str, Any]) -> None:
    before = copy.deepcopy(original)
    patch = create_merge_patch(original, modified)
    assert apply_merge_patch(original, patch) == modified
    assert original == before
    once = apply_merge_patch(original, patch)
    assert apply_merge_patch(once, patch) == once  # idempotent
    assert apply_merge_patch(original, {}) == original

import pytest

from kubelite.api.resources import REGISTRY
from kubelite.api.status import ApiError
from kubelite.apiserver import filters
from kubelite.apiserver.verbs.list import decode_continue, encode_continue
from kubelite.apiserver.verbs.watch import filtered_type
from kubelite.apiserver.watchcache import CachedObject, CacheEvent

pytestmark = pytest.mark.unit
PODS = REGISTRY.by_gvr("", "v1", "pods")
assert PODS is not None


def test_continue_token_round_trip() -> None:
    key = "/registry/pods/default/x"
    assert decode_continue(encode_continue(42, key)) == (42, key)
    with pytest.raises(ApiError) as err:
        decode_continue("%%%garbage")
    assert err.value.code == 400


def _obj(labels: dict[str, str], rev: int) -> CachedObject:
    obj = {"metadata": {"name": "p", "namespace": "default", "labels": labels}}
    return CachedObject("/registry/pods/default/p", obj, b"{}", rev)


def test_watch_selector_transitions() -> None:
    flt = filters.Filter(PODS, filters.from_query(PODS, {"labelSelector": "app=x"}).labels, None)
    enter = CacheEvent("MODIFIED", _obj({"app": "x"}, 3), _obj({}, 2), 3)
    leave = CacheEvent("MODIFIED", _obj({}, 4), _obj({"app": "x"}, 3), 4)
    stay_out = CacheEvent("MODIFIED", _obj({"b": "1"}, 5), _obj({}, 4), 5)
    assert filtered_type(enter, flt) == "ADDED"
    assert filtered_type(leave, flt) == "DELETED"
    assert filtered_type(stay_out, flt) is None


def test_bad_selectors_are_400() -> None:
    for query in ({"labelSelector": "a in (b"}, {"fieldSelector": "spec.bogus=1"}):
        with pytest.raises(ApiError) as err:
            filters.from_query(PODS, query)  # type: ignore[arg-type]
        assert err.value.code == 400

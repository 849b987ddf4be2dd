import pytest

from kubelite.api import status as st
from kubelite.client import errors as e

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("err", "cls"),
    [
        (st.not_found("pods", "x"), e.NotFoundError),
        (st.already_exists("pods", "x"), e.AlreadyExistsError),
        (st.conflict("pods", "x"), e.ConflictError),
        (st.gone("gone"), e.GoneError),
        (st.expired("too old resource version: 1 (5)"), e.ExpiredError),
        (st.invalid("Pod", "x", [st.required("spec.containers")]), e.InvalidError),
        (st.bad_request("bad"), e.BadRequestError),
        (st.forbidden("pods", "x", "no"), e.ForbiddenError),
        (st.unauthorized(), e.UnauthorizedError),
        (st.too_many_requests(), e.TooManyRequestsError),
        (st.internal("boom"), e.ServerError),
        (st.service_unavailable("later"), e.ServerError),
    ],
)
def test_status_maps_to_class_and_keeps_status(err: st.ApiError, cls: type) -> None:
    mapped = e.from_status(err.code, err.status)
    assert type(mapped) is cls
    assert mapped.status == err.status
    assert mapped.code == err.code and mapped.reason == err.reason and str(mapped) == err.message


def test_expired_is_gone_and_causes_exposed() -> None:
    assert issubclass(e.ExpiredError, e.GoneError)
    inv = e.from_status(422, st.invalid("Pod", "x", [st.required("spec.containers")]).status)
    assert inv.causes == [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers"}]


def test_retry_after_from_details_or_header() -> None:
    tm = e.from_status(429, st.too_many_requests(retry_after_seconds=3).status)
    assert tm.retry_after == 3
    plain = e.from_status(503, "upstream down", retry_after="7")
    assert isinstance(plain, e.ServerError) and plain.retry_after == 7 and plain.retryable
    assert plain.reason == "ServiceUnavailable" and plain.message == "upstream down"
    assert not e.from_status(500, st.internal("x").status).retryable


def test_non_status_bodies_are_synthesised() -> None:
    err = e.from_status(404, "<html>nope</html>")
    assert isinstance(err, e.NotFoundError) and err.status["kind"] == "Status" and err.code == 404
    odd = e.from_status(418, None)
    assert type(odd) is e.ApiError and odd.code == 418


def test_watch_error_event() -> None:
    err = e.from_watch_error(st.expired("too old").status)
    assert isinstance(err, e.ExpiredError)

import pytest

from kubelite.api import status as st

pytestmark = pytest.mark.unit


def test_not_found_matches_kube_shape() -> None:
    err = st.not_found("pods", "x")
    assert err.code == 404 and err.reason == "NotFound"
    assert err.status == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'pods "x" not found', "reason": "NotFound",
        "details": {"name": "x", "kind": "pods"}, "code": 404,
    }
    assert st.not_found("deployments", "d", group="apps").message == 'deployments.apps "d" not found'


def test_already_exists_and_conflict_wording() -> None:
    assert st.already_exists("pods", "x").message == 'pods "x" already exists'
    assert st.already_exists("pods", "x").code == 409
    c = st.conflict("pods", "x")
    assert c.reason == "Conflict" and c.code == 409
    assert c.message == (
        'Operation cannot be fulfilled on pods "x": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


def test_invalid_single_and_multiple() -> None:
    err = st.invalid("Pod", "x", [st.required("spec.containers[0].image")])
    assert err.code == 422 and err.reason == "Invalid"
    assert err.message == 'Pod "x" is invalid: spec.containers[0].image: Required value'
    assert err.status["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers[0].image"}
    ]
    assert err.status["details"]["kind"] == "Pod"
    two = st.invalid(
        "Deployment", "d",
        [st.invalid_value("spec.replicas", -1, "must be greater than or equal to 0"),
         st.not_supported("spec.strategy.type", "Foo", ["Recreate", "RollingUpdate"])],
        group="apps",
    )
    assert two.message == (
        'Deployment.apps "d" is invalid: [spec.replicas: Invalid value: -1: must be greater than or '
        'equal to 0, spec.strategy.type: Unsupported value: "Foo": supported values: "Recreate", '
        '"RollingUpdate"]'
    )


def test_field_error_bodies() -> None:
    assert st.too_long("metadata.name", 63).body() == "Too long: may not be more than 63 bytes"
    assert st.duplicate("spec.ports[1].name", "http").body() == 'Duplicate value: "http"'
    assert st.forbidden_field("spec", "pod updates may not change fields").body() == (
        "Forbidden: pod updates may not change fields"
    )
    assert st.invalid_value("x", True).body() == "Invalid value: true"
    assert st.invalid_value("x", None).body() == "Invalid value: null"
    assert st.too_many("x", 5, 3).body() == "Too many: 5: must have at most 3 items"


def test_go_quote() -> None:
    assert st.go_quote('a"b\\c\n\x01') == '"a\\"b\\\\c\\n\\x01"'
    assert st.go_quote("héllo") == '"héllo"'


@pytest.mark.parametrize(
    ("err", "code", "reason"),
    [
        (st.bad_request("bad"), 400, "BadRequest"),
        (st.gone("g"), 410, "Gone"),
        (st.expired("too old resource version: 1 (5)"), 410, "Expired"),
        (st.method_not_allowed("pods", "create"), 405, "MethodNotAllowed"),
        (st.unsupported_media_type("text/plain"), 415, "UnsupportedMediaType"),
        (st.request_entity_too_large(), 413, "RequestEntityTooLarge"),
        (st.too_many_requests(), 429, "TooManyRequests"),
        (st.forbidden("pods", "x", "nope"), 403, "Forbidden"),
        (st.unauthorized(), 401, "Unauthorized"),
        (st.not_acceptable(["application/json"]), 406, "NotAcceptable"),
        (st.internal("boom"), 500, "InternalError"),
    ],
)
def test_codes_and_reasons(err: st.ApiError, code: int, reason: str) -> None:
    assert err.code == code and err.reason == reason
    assert err.status["status"] == "Failure" and err.status["kind"] == "Status"
    assert isinstance(err, Exception)


def test_specific_messages() -> None:
    assert st.method_not_allowed("pods", "deletecollection").message == (
        'deletecollection is not supported on resources of kind "pods"'
    )
    assert st.forbidden("pods", "x", "no").message == 'pods "x" is forbidden: no'
    assert st.forbidden("pods", "", "no").message == "pods is forbidden: no"
    assert st.internal("boom").message == "Internal error occurred: boom"


def test_success_status() -> None:
    s = st.success_status("x", kind="pods", uid="u1")
    assert s["status"] == "Success" and s["details"] == {"name": "x", "kind": "pods", "uid": "u1"}
    assert "details" not in st.success_status()

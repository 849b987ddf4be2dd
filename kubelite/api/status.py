"""Kubernetes ``Status`` errors and field errors, worded exactly as kube-apiserver words them.

Public surface:

- :class:`ApiError` - the exception every API-layer failure raises; ``.status`` is the ``Status`` dict
  to send as the body, ``.code`` the HTTP status, ``.reason`` / ``.message`` shortcuts.
- Constructors returning an :class:`ApiError` (raise them): :func:`not_found`, :func:`already_exists`,
  :func:`conflict`, :func:`invalid`, :func:`bad_request`, :func:`gone`, :func:`expired`,
  :func:`method_not_allowed`, :func:`unsupported_media_type`, :func:`request_entity_too_large`,
  :func:`too_many_requests`, :func:`forbidden`, :func:`unauthorized`, :func:`not_acceptable`,
  :func:`internal`, :func:`timeout`, :func:`service_unavailable`.
  ``resource`` arguments are the *plural* (``"pods"``) plus ``group`` (``"apps"``), as in
  ``deployments.apps "x" not found``; :func:`invalid` takes the *kind* (``Pod "x" is invalid: ...``).
- :func:`failure(code, reason, message, details)` - any other Failure Status.
- :func:`success_status` - the ``Status`` of a successful delete and friends.
- :class:`FieldError` plus its constructors :func:`required`, :func:`invalid_value`,
  :func:`not_supported`, :func:`duplicate`, :func:`forbidden_field`, :func:`too_long`, :func:`too_many`,
  :func:`field_not_found`, :func:`internal_field`, :func:`type_invalid` - validation results; a list of
  them becomes a 422 with :func:`invalid`.
- :func:`go_quote` - Go's ``%q`` (kube messages quote names with it).
- :data:`OPTIMISTIC_LOCK_MESSAGE` - the text of the resourceVersion-mismatch conflict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

OPTIMISTIC_LOCK_MESSAGE = (
    "the object has been modified; please apply your changes to the latest version and try again"
)

JsonDict = dict[str, Any]


def go_quote(s: str) -> str:
    """``strconv.Quote``: double quotes, Go escapes for control and non-printable characters."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\v":
            out.append("\\v")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class ApiError(Exception):
    """An API failure carrying the full Kubernetes ``Status`` body."""

    def __init__(self, status: JsonDict) -> None:
        super().__init__(status.get("message", ""))
        self.status = status

    @property
    def code(self) -> int:
        return int(self.status["code"])

    @property
    def reason(self) -> str:
        return str(self.status.get("reason", ""))

    @property
    def message(self) -> str:
        return str(self.status.get("message", ""))

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.reason!r}, {self.message!r})"


def _status(code: int, reason: str, message: str, details: JsonDict | None = None) -> ApiError:
    body: JsonDict = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        body["details"] = details
    body["code"] = code
    return ApiError(body)


def failure(code: int, reason: str, message: str, details: JsonDict | None = None) -> ApiError:
    """Any other Failure Status (public spelling of the shared constructor)."""
    return _status(code, reason, message, details)


def _details(name: str | None, group: str, kind: str) -> JsonDict:
    out: JsonDict = {}
    if name:
        out["name"] = name
    if group:
        out["group"] = group
    if kind:
        out["kind"] = kind
    return out


def qualified(resource: str, group: str = "") -> str:
    """GroupResource.String(): ``pods`` or ``deployments.apps`` (also GroupKind: ``Deployment.apps``)."""
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    return _status(
        404, "NotFound", f"{qualified(resource, group)} {go_quote(name)} not found",
        _details(name, group, resource),
    )


def already_exists(resource: str, name: str, group: str = "") -> ApiError:
    return _status(
        409, "AlreadyExists", f"{qualified(resource, group)} {go_quote(name)} already exists",
        _details(name, group, resource),
    )


def conflict(resource: str, name: str, detail: str = OPTIMISTIC_LOCK_MESSAGE, group: str = "") -> ApiError:
    """409 Conflict; the default detail is the optimistic-concurrency message."""
    return _status(
        409, "Conflict",
        f"Operation cannot be fulfilled on {qualified(resource, group)} {go_quote(name)}: {detail}",
        _details(name, group, resource),
    )


def bad_request(message: str) -> ApiError:
    return _status(400, "BadRequest", message)


def gone(message: str) -> ApiError:
    return _status(410, "Gone", message)


def expired(message: str) -> ApiError:
    """410 Expired, e.g. ``too old resource version: 5 (12)`` for a compacted watch/list."""
    return _status(410, "Expired", message)


def method_not_allowed(resource: str, action: str, group: str = "") -> ApiError:
    return _status(
        405, "MethodNotAllowed",
        f"{action} is not supported on resources of kind {go_quote(qualified(resource, group))}",
        _details(None, group, resource),
    )


def unsupported_media_type(content_type: str, accepted: list[str] | None = None) -> ApiError:
    accepted = accepted or [
        "application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
    ]
    del content_type  # kube's wording does not echo the offending type
    return _status(
        415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
    )


def request_entity_too_large(message: str = "limit is 3145728") -> ApiError:
    return _status(413, "RequestEntityTooLarge", f"Request entity too large: {message}")


def too_many_requests(
    message: str = "Too many requests, please try again later.", retry_after_seconds: int = 1
) -> ApiError:
    return _status(429, "TooManyRequests", message, {"retryAfterSeconds": retry_after_seconds})


def forbidden(resource: str, name: str, detail: str, group: str = "") -> ApiError:
    subject = qualified(resource, group)
    subject = f"{subject} {go_quote(name)}" if name else subject
    return _status(403, "Forbidden", f"{subject} is forbidden: {detail}", _details(name, group, resource))


def unauthorized(message: str = "Unauthorized") -> ApiError:
    return _status(401, "Unauthorized", message or "not authorized")


def not_acceptable(accepted: list[str]) -> ApiError:
    return _status(
        406, "NotAcceptable", f"only the following media types are accepted: {', '.join(accepted)}"
    )


def internal(message: str) -> ApiError:
    return _status(
        500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]}
    )


def timeout(message: str, retry_after_seconds: int = 0) -> ApiError:
    details: JsonDict = {"retryAfterSeconds": retry_after_seconds} if retry_after_seconds else {}
    return _status(504, "Timeout", f"Timeout: {message}", details)


def service_unavailable(message: str) -> ApiError:
    return _status(503, "ServiceUnavailable", message)


def success_status(
    name: str | None = None, kind: str = "", group: str = "", uid: str | None = None
) -> JsonDict:
    """``{"kind":"Status","status":"Success",...}`` as kube returns for deletes answered by Status."""
    out: JsonDict = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    details = _details(name, group, kind)
    if uid:
        details["uid"] = uid
    if details:
        out["details"] = details
    return out


# ---------------------------------------------------------------------------------------- field errors

_TYPE_TEXT = {
    "FieldValueNotFound": "Not found",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long",
    "FieldValueTooMany": "Too many",
    "InternalError": "Internal error",
    "FieldValueTypeInvalid": "Invalid value",
}
_NO_VALUE_TYPES = {"FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong", "InternalError"}


class _Omit:
    def __repr__(self) -> str:
        return "<omitted>"


OMIT: Any = _Omit()


def format_value(value: Any) -> str:
    """A bad value the way Go's ``%v``/``%q`` would print it in a field error."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class FieldError:
    """One validation failure: ``type`` is the cause reason (``FieldValueRequired``...), ``field`` the
    path (``spec.containers[0].image``)."""

    type: str
    field: str
    bad_value: Any = OMIT
    detail: str = ""

    def body(self) -> str:
        """``ErrorBody()``: the message without the field path."""
        text = _TYPE_TEXT.get(self.type, self.type)
        if self.type not in _NO_VALUE_TYPES and self.bad_value is not OMIT:
            text = f"{text}: {format_value(self.bad_value)}"
        if self.detail:
            text = f"{text}: {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()

    def cause(self) -> JsonDict:
        return {"reason": self.type, "message": self.body(), "field": self.field}


def required(field: str, detail: str = "") -> FieldError:
    return FieldError("FieldValueRequired", field, OMIT, detail)


def invalid_value(field: str, value: Any, detail: str = "") -> FieldError:
    return FieldError("FieldValueInvalid", field, value, detail)


def not_supported(field: str, value: Any, valid: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(str(v)) for v in valid) if valid else ""
    return FieldError("FieldValueNotSupported", field, value, detail)


def duplicate(field: str, value: Any) -> FieldError:
    return FieldError("FieldValueDuplicate", field, value)


def forbidden_field(field: str, detail: str) -> FieldError:
    return FieldError("FieldValueForbidden", field, OMIT, detail)


def too_long(field: str, max_length: int) -> FieldError:
    unit = "byte" if max_length == 1 else "bytes"
    return FieldError("FieldValueTooLong", field, OMIT, f"may not be more than {max_length} {unit}")


def too_many(field: str, actual: int, maximum: int) -> FieldError:
    unit = "item" if maximum == 1 else "items"
    return FieldError("FieldValueTooMany", field, actual, f"must have at most {maximum} {unit}")


def field_not_found(field: str, value: Any) -> FieldError:
    return FieldError("FieldValueNotFound", field, value)


def internal_field(field: str, message: str) -> FieldError:
    return FieldError("InternalError", field, OMIT, message)


def type_invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError("FieldValueTypeInvalid", field, value, detail)


def invalid(kind: str, name: str, errors: list[FieldError], group: str = "") -> ApiError:
    """422 Invalid: ``Pod "x" is invalid: spec.containers[0].image: Required value`` (several errors are
    joined as ``[a, b]``, duplicates dropped, like ``ErrorList.ToAggregate``)."""
    messages: list[str] = []
    for err in errors:
        text = str(err)
        if text not in messages:
            messages.append(text)
    subject = f"{qualified(kind, group)} {go_quote(name)} is invalid"
    if len(messages) == 1:
        subject = f"{subject}: {messages[0]}"
    elif messages:
        subject = f"{subject}: [{', '.join(messages)}]"
    details = _details(name, group, kind)
    details["causes"] = [e.cause() for e in errors]
    return _status(422, "Invalid", subject, details)

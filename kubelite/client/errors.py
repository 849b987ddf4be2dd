"""The client's closed error vocabulary, translated from the API server's ``Status`` at the edge.

Every failure the server answers with a ``Status`` body becomes one of the classes below, each carrying
that ``Status`` (``err.status``) so callers can read ``reason``, ``details.causes`` or
``details.retryAfterSeconds`` without parsing text. Components branch on the class, never on messages:

============================  ======  ==================================================================
class                          code    typical reaction
============================  ======  ==================================================================
:class:`NotFoundError`          404    object gone: clean up and return (level-triggered reconcilers)
:class:`AlreadyExistsError`     409    someone created it first: re-read
:class:`ConflictError`          409    stale resourceVersion: re-read and retry (transient)
:class:`GoneError`              410    watch/list too old: relist (:class:`ExpiredError` is reason Expired)
:class:`InvalidError`           422    permanent: record an Event, do not retry
:class:`BadRequestError`        400    permanent
:class:`ForbiddenError`         403    permanent for this identity
:class:`UnauthorizedError`      401    credentials wrong or expired
:class:`TooManyRequestsError`   429    transient: the client already retried after ``retry_after``
:class:`ServerError`            5xx    transient when ``retryable``; the client retried safe verbs
============================  ======  ==================================================================

:class:`TransportError` is the one failure with no ``Status``: the connection could not be made or broke.
"""

from __future__ import annotations

from typing import Any

from kubelite.api.status import ApiError as _StatusError

JsonDict = dict[str, Any]


class ApiError(_StatusError):
    """A failure answered by the API server; ``status`` is its ``Status`` body (synthesised when the
    server sent something else, so ``code``/``reason``/``message`` always work)."""

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked us to wait (``details.retryAfterSeconds``), if any."""
        value = (self.status.get("details") or {}).get("retryAfterSeconds")
        return float(value) if isinstance(value, int | float) and value > 0 else None

    @property
    def causes(self) -> list[JsonDict]:
        return list((self.status.get("details") or {}).get("causes") or [])


class BadRequestError(ApiError):
    pass


class UnauthorizedError(ApiError):
    pass


class ForbiddenError(ApiError):
    pass


class NotFoundError(ApiError):
    pass


class MethodNotAllowedError(ApiError):
    pass


class AlreadyExistsError(ApiError):
    pass


class ConflictError(ApiError):
    pass


class GoneError(ApiError):
    """410: the requested resourceVersion is no longer available; the caller must relist."""


class ExpiredError(GoneError):
    """410 with reason ``Expired`` (``too old resource version``)."""


class InvalidError(ApiError):
    pass


class TooManyRequestsError(ApiError):
    pass


class ServerError(ApiError):
    """5xx. ``retryable`` says whether the server signalled it is safe to try again (503, 504, or a
    ``Retry-After``); a 500 from a handler bug is not."""

    @property
    def retryable(self) -> bool:
        return self.code in (503, 504) or self.retry_after is not None


class TransportError(Exception):
    """No answer from the server: connection refused or reset, TLS failure, read timeout.

    ``sent`` is False when the request certainly never reached the server (the connection was never
    established), which makes even non-idempotent verbs safe to retry.
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


_BY_REASON: dict[str, type[ApiError]] = {
    "NotFound": NotFoundError,
    "AlreadyExists": AlreadyExistsError,
    "Conflict": ConflictError,
    "Gone": GoneError,
    "Expired": ExpiredError,
    "Invalid": InvalidError,
    "BadRequest": BadRequestError,
    "Forbidden": ForbiddenError,
    "Unauthorized": UnauthorizedError,
    "TooManyRequests": TooManyRequestsError,
    "MethodNotAllowed": MethodNotAllowedError,
}

_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    410: GoneError,
    422: InvalidError,
    429: TooManyRequestsError,
}

_REASON_FOR_CODE = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
    409: "Conflict", 410: "Gone", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
    503: "ServiceUnavailable", 504: "Timeout",
}


def error_class(code: int, reason: str) -> type[ApiError]:
    """The class for a ``Status``: the reason decides when it is known (a 409 may be AlreadyExists or
    Conflict), the code otherwise."""
    if reason in _BY_REASON:
        return _BY_REASON[reason]
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code >= 500:
        return ServerError
    return ApiError


def from_status(code: int, body: Any, *, retry_after: str | None = None) -> ApiError:
    """Turn an HTTP error answer into its exception.

    ``body`` is the decoded response (a ``Status`` dict when the server is Kubernetes-shaped, anything
    else otherwise); ``retry_after`` is the ``Retry-After`` header, folded into
    ``details.retryAfterSeconds`` when the body did not carry it.
    """
    if isinstance(body, dict) and body.get("kind") == "Status":
        status: JsonDict = dict(body)
    else:
        text = body if isinstance(body, str) else ""
        status = {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": text.strip() or f"the server responded with HTTP {code}",
            "reason": _REASON_FOR_CODE.get(code, "Unknown"),
        }
    status.setdefault("code", code)
    if retry_after is not None:
        details = dict(status.get("details") or {})
        if not details.get("retryAfterSeconds"):
            try:
                details["retryAfterSeconds"] = int(retry_after)
            except ValueError:
                pass
            else:
                status["details"] = details
    cls = error_class(int(status.get("code") or code), str(status.get("reason") or ""))
    return cls(status)


def from_watch_error(obj: Any) -> ApiError:
    """The exception for a watch ``ERROR`` event's object (a ``Status``)."""
    code = int(obj.get("code") or 500) if isinstance(obj, dict) else 500
    return from_status(code, obj)

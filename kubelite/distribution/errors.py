"""The closed error vocabulary of the distribution API, shared by the server and the client.

The server raises :class:`RegistryError` anywhere below the HTTP edge and one middleware turns it
into the spec's JSON body (``{"errors": [{"code", "message", "detail"}]}``) with the code's status.
The client parses the same body back into a :class:`RegistryError` so callers see the registry's words.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class Code(Enum):
    """Error codes of the OCI distribution spec (plus Docker's TOOMANYREQUESTS), with their HTTP status."""

    BLOB_UNKNOWN = (404, "blob unknown to registry")
    BLOB_UPLOAD_INVALID = (400, "blob upload invalid")
    BLOB_UPLOAD_UNKNOWN = (404, "blob upload unknown to registry")
    DIGEST_INVALID = (400, "provided digest did not match uploaded content")
    MANIFEST_BLOB_UNKNOWN = (404, "manifest references a manifest or blob unknown to registry")
    MANIFEST_INVALID = (400, "manifest invalid")
    MANIFEST_UNKNOWN = (404, "manifest unknown to registry")
    NAME_INVALID = (400, "invalid repository name")
    NAME_UNKNOWN = (404, "repository name not known to registry")
    SIZE_INVALID = (400, "provided length did not match content length")
    UNAUTHORIZED = (401, "authentication required")
    DENIED = (403, "requested access to the resource is denied")
    UNSUPPORTED = (405, "the operation is unsupported")
    TOOMANYREQUESTS = (429, "too many requests")
    # Docker distribution's code for a bad ``n`` in tag and catalog listings.
    PAGINATION_NUMBER_INVALID = (400, "invalid number of results requested")

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def default_message(self) -> str:
        return self.value[1]


class RegistryError(Exception):
    """One spec error: ``code``, a message, optional ``detail``; ``status`` overrides the code's default
    where the spec asks for another (416 for an out-of-order chunk, 413 for an oversized manifest)."""

    def __init__(self, code: Code, message: str | None = None, *, detail: Any = None,
                 status: int | None = None, headers: dict[str, str] | None = None) -> None:
        self.code = code
        self.headers = headers or {}
        self.message = message or code.default_message
        self.detail = detail
        self.status = status or code.status
        super().__init__(f"{code.name}: {self.message}")

    def body(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"code": self.code.name, "message": self.message}
        if self.detail is not None:
            entry["detail"] = self.detail
        return {"errors": [entry]}


def parse_error_body(status: int, body: bytes) -> RegistryError | None:
    """The first error of a spec error body, or None when the body is not one (proxies, HTML pages)."""
    import json

    try:
        doc = json.loads(body)
        first = doc["errors"][0]
        code = Code[str(first["code"])]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return RegistryError(code, str(first.get("message") or code.default_message),
                         detail=first.get("detail"), status=status)

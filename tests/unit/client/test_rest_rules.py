"""The REST client's pure rules: query encoding and which failures are retried."""

import pytest

from kubelite.api import status as st
from kubelite.client import errors as e
from kubelite.client.resource import split_api_version
from kubelite.client.rest import decode_body, encode_params, is_retryable

pytestmark = pytest.mark.unit


def test_encode_params() -> None:
    assert encode_params({"watch": True, "x": False, "limit": 5, "gone": None}) == {
        "watch": "true", "x": "false", "limit": "5"}


def test_decode_body() -> None:
    assert decode_body(b'{"a":1}') == {"a": 1}
    assert decode_body(b"plain text") == "plain text"
    assert decode_body(b"") is None


def test_split_api_version() -> None:
    assert split_api_version("v1") == ("", "v1")
    assert split_api_version("apps/v1") == ("apps", "v1")


def test_retry_rules() -> None:
    throttled = e.from_status(429, st.too_many_requests().status)
    unavailable = e.from_status(503, st.service_unavailable("x").status)
    unavailable_with_hint = e.from_status(503, st.service_unavailable("x").status, retry_after="2")
    internal = e.from_status(500, st.internal("x").status)
    refused = e.TransportError("refused", sent=False)
    broken = e.TransportError("reset", sent=True)
    conflict = e.from_status(409, st.conflict("pods", "x").status)
    for method in ("GET", "POST"):
        assert is_retryable(method, throttled)
        assert is_retryable(method, unavailable_with_hint)
        assert is_retryable(method, refused)
        assert not is_retryable(method, internal)
        assert not is_retryable(method, conflict)
    assert is_retryable("GET", unavailable) and not is_retryable("POST", unavailable)
    assert is_retryable("GET", broken) and not is_retryable("PATCH", broken)


class _Chunks:
    """The one attribute of a response iter_lines reads: ``content.iter_any()``."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.content = self
        self._chunks = chunks

    async def iter_any(self):  # type: ignore[no-untyped-def]
        for c in self._chunks:
            yield c


async def test_iter_lines_reassembles_split_and_batched_lines() -> None:
    from kubelite.client.rest import iter_lines

    chunks = [b'{"a":', b'1}\n{"b":2}\n\n{"c"', b":3}\n", b'{"tail":true}']
    got = [line async for line in iter_lines(_Chunks(chunks))]  # type: ignore[arg-type]
    assert got == [b'{"a":1}', b'{"b":2}', b'{"c":3}', b'{"tail":true}']
    logs = [line async for line in iter_lines(_Chunks([b"one\n\nthree\n"]), skip_blank=False)]  # type: ignore[arg-type]
    assert logs == [b"one", b"", b"three"]

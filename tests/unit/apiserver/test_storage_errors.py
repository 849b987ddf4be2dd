"""Every storage failure becomes the Status kube-apiserver would answer, never a 500 for a known cause."""

import pytest

from kubelite.api.resources import REGISTRY
from kubelite.apiserver.store import translate_storage_error
from kubelite.storage.interface import (
    CompactedError,
    ConflictError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    TooLargeError,
    UnavailableError,
)


@pytest.mark.parametrize(("err", "code", "reason"), [
    (KeyExistsError("k"), 409, "AlreadyExists"),
    (KeyNotFoundError("k"), 404, "NotFound"),
    (ConflictError("k", KeyValue("k", b"{}", 1, 2)), 409, "Conflict"),
    (CompactedError(5, 9), 410, "Expired"),
    (UnavailableError("down"), 503, "ServiceUnavailable"),
    (TooLargeError("value of 9 bytes exceeds 8"), 413, "RequestEntityTooLarge"),
])
def test_storage_errors_become_statuses(err: Exception, code: int, reason: str) -> None:
    pods = REGISTRY.by_gvr("", "v1", "pods")
    assert pods is not None
    status = translate_storage_error(err, pods, "web").status
    assert (status["code"], status["reason"]) == (code, reason)

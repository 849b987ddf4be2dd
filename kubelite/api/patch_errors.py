"""The one error type every patch module raises, and its translation to a Status.

``code`` is 400 for a malformed patch (kube: ``NewBadRequest``) and 422 when a well-formed patch
cannot apply to the object (kube: 422 Invalid).
"""

from __future__ import annotations

from kubelite.api.status import ApiError, _status


class PatchError(ValueError):
    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def to_api_error(self) -> ApiError:
        reason = "BadRequest" if self.code == 400 else "Invalid"
        return _status(self.code, reason, self.message)

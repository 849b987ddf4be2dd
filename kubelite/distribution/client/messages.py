"""One line for the user from any failure of a push, pull or login: the CLI's edge translation."""

from __future__ import annotations

from kubelite.distribution.client.pull import PullError
from kubelite.distribution.client.push import PushError
from kubelite.distribution.client.transport import TransportError
from kubelite.distribution.errors import Code, RegistryError


def user_message(err: BaseException, ref: str) -> str | None:
    """The message for a known failure, or None for a bug (which the caller lets surface)."""
    from kubelite.oci.errors import OCIError
    from kubelite.runtime.content import ContentError
    from kubelite.runtime.images import ImageError

    if isinstance(err, RegistryError):
        if err.code is Code.UNAUTHORIZED:
            return f"{ref}: {err.message} (UNAUTHORIZED)"
        if err.code in (Code.MANIFEST_UNKNOWN, Code.NAME_UNKNOWN):
            return f"manifest for {ref} not found: {err.message} ({err.code.name})"
        return f"{ref}: {err.message} ({err.code.name})"
    if isinstance(err, PullError | PushError | TransportError | OCIError | ImageError | ContentError):
        return str(err)
    if isinstance(err, BaseExceptionGroup):
        for inner in err.exceptions:
            message = user_message(inner, ref)
            if message is not None:
                return message
    return None

"""The closed error vocabulary of the image data model.

Every error is a ``ValueError`` (bad input, permanent) whose message is one line a user can act on;
callers translate them at their edge (the CLI prints them, the registry server maps them to its codes).
"""

from __future__ import annotations


class OCIError(ValueError):
    """Base of every image-model error: the input is malformed; retrying will not help."""


class InvalidReferenceError(OCIError):
    """An image reference (``name[:tag][@digest]``) that Docker's grammar rejects."""


class InvalidDigestError(OCIError):
    """A digest that is not ``algorithm:hex`` of a supported algorithm, or does not match content."""


class InvalidManifestError(OCIError):
    """A manifest or index that is not valid JSON of a known media type and shape."""


class InvalidConfigError(OCIError):
    """An image config that is not valid JSON of the image-config shape."""

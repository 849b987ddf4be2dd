"""Repository names, tags and digests, validated as the distribution spec says.

These checks are also the registry's guard against path traversal: a name that passes has only
``[a-z0-9]`` runs joined by ``.``, ``_``, ``__``, ``-`` and ``/`` (never ``..``, never a leading
``_`` or ``/``), a tag has no ``/``, and a digest's encoded part is fixed-length lowercase hex, so
every value that reaches a storage path is already safe to join.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from kubelite.distribution.errors import Code, RegistryError

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
TAG_RE = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
DIGEST_RE = re.compile(r"([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)")
# Many clients cap hostname + "/" + name at 255 characters; names alone are held to that cap.
MAX_NAME_LENGTH = 255

# The algorithms we can verify, with the length of their hex encoding.
ALGORITHMS: dict[str, int] = {"sha256": 64, "sha512": 128}


def validate_name(name: str) -> str:
    """``name`` if it is a valid repository name, else NAME_INVALID."""
    if len(name) > MAX_NAME_LENGTH or not NAME_RE.fullmatch(name):
        raise RegistryError(Code.NAME_INVALID, detail={"name": name[:300]})
    return name


def is_tag(reference: str) -> bool:
    return TAG_RE.fullmatch(reference) is not None


@dataclass(frozen=True, order=True)
class Digest:
    """A parsed, verifiable digest: ``algorithm:hex``."""

    algorithm: str
    hex: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    def hasher(self) -> hashlib._Hash:
        return hashlib.new(self.algorithm)

    @classmethod
    def of(cls, data: bytes, algorithm: str = "sha256") -> Digest:
        return cls(algorithm, hashlib.new(algorithm, data).hexdigest())


def parse_digest(text: str) -> Digest:
    """A digest we can verify, or DIGEST_INVALID (bad grammar) / UNSUPPORTED (unknown algorithm)."""
    match = DIGEST_RE.fullmatch(text)
    if not match:
        raise RegistryError(Code.DIGEST_INVALID, "invalid digest", detail={"digest": text[:200]})
    algorithm, encoded = match.groups()
    length = ALGORITHMS.get(algorithm)
    if length is None:
        raise RegistryError(Code.DIGEST_INVALID, f"unsupported digest algorithm {algorithm!r}",
                            detail={"digest": text[:200]})
    if len(encoded) != length or not re.fullmatch(r"[0-9a-f]+", encoded):
        raise RegistryError(Code.DIGEST_INVALID, "invalid digest", detail={"digest": text[:200]})
    return Digest(algorithm, encoded)


def is_digest(reference: str) -> bool:
    return ":" in reference

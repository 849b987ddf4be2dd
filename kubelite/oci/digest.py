"""Content digests (``sha256:<64 hex>``) and layer chain ids.

A *diff id* is the digest of a layer's uncompressed tar; the *chain id* of a layer names the whole
stack below and including it: ``chain(L0) = diff(L0)`` and ``chain(Ln) = sha256(chain(Ln-1) + " " +
diff(Ln))``, as the OCI image spec defines. Snapshots are keyed by chain id, so two images sharing a
base share its unpacked directories.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from kubelite.oci.errors import InvalidDigestError

_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_DIGEST_RE = re.compile(r"^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$")


def sha256_digest(data: bytes) -> str:
    """The ``sha256:...`` digest of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def validate_digest(digest: str) -> str:
    """Return ``digest`` if it is a well-formed digest of a supported algorithm, else raise."""
    match = _DIGEST_RE.match(digest) if isinstance(digest, str) else None
    if not match:
        raise InvalidDigestError(f"invalid digest {digest!r}: want algorithm:hex, e.g. sha256:<64 hex>")
    algo, hexpart = match.groups()
    want = _HEX_LENGTHS.get(algo)
    if want is None:
        raise InvalidDigestError(f"unsupported digest algorithm {algo!r} in {digest!r}")
    if len(hexpart) != want or not all(c in "0123456789abcdef" for c in hexpart):
        raise InvalidDigestError(f"invalid digest {digest!r}: {algo} wants {want} lowercase hex digits")
    return digest


def split_digest(digest: str) -> tuple[str, str]:
    """``(algorithm, hex)`` of a valid digest."""
    algo, _, hexpart = validate_digest(digest).partition(":")
    return algo, hexpart


def chain_ids(diff_ids: Iterable[str]) -> list[str]:
    """The chain id of every prefix of a layer stack, bottom first."""
    out: list[str] = []
    for diff in diff_ids:
        validate_digest(diff)
        out.append(diff if not out else sha256_digest(f"{out[-1]} {diff}".encode()))
    return out


def chain_id(diff_ids: Iterable[str]) -> str | None:
    """The chain id of the whole stack, or None for an empty one."""
    ids = chain_ids(diff_ids)
    return ids[-1] if ids else None

"""Constants, the error vocabulary and result types shared by layer unpack and creation."""

from __future__ import annotations

from dataclasses import dataclass

CHUNK = 1 << 20
WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_BIN = "/usr/bin/gzip"
F_SETPIPE_SZ = 1031


class LayerError(ValueError):
    """Base of layer errors: the tarball is bad; retrying will not help."""


class UnsafeLayerError(LayerError):
    """The layer tries to write outside its root or to create something forbidden."""


class LayerFormatError(LayerError):
    """The layer is not a readable (compressed) tar archive."""


@dataclass(frozen=True)
class UnpackResult:
    diff_id: str          # sha256 of the uncompressed tar
    digest: str           # sha256 of the bytes read (equal to diff_id for a plain tar)
    compressed_size: int
    size: int             # uncompressed bytes
    entries: int


@dataclass(frozen=True)
class LayerInfo:
    diff_id: str
    digest: str
    size: int             # bytes written (compressed when compressed)
    media_type: str
    uncompressed_size: int = 0

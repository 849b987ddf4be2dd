"""Layer tarballs: safe unpack with OCI whiteouts, and layer creation from a directory or an upper dir.

A layer is a tar (usually gzip-compressed) of the changes to a root filesystem; a file named
``.wh.NAME`` deletes ``NAME`` from the layers below and ``.wh..wh..opq`` in a directory hides
everything below it in that directory (OCI image spec, "whiteouts").

Unpack (:func:`unpack_layer`) treats the tarball as hostile. It refuses, with
:class:`UnsafeLayerError` and one clear line: ``..`` components, absolute member names, writing through
a symlink (every parent of a member must be a real directory inside ``dest``), relative symlink targets
that climb above the root, hardlinks whose target is absolute, climbs out or is missing, and
character/block device nodes. Absolute symlink targets are allowed: they resolve inside the container's
root, never on the host, and base images are full of them (``/bin/sh -> /bin/busybox``). Nothing is
ever opened by following a symlink (``O_NOFOLLOW``, ``lchown``, ``utime(follow_symlinks=False)``).

Whiteouts are written in one of two modes: ``"overlay"`` (the layer gets its own directory, stacked as
an overlayfs lowerdir: a whiteout becomes a 0/0 character device, an opaque marker the
``trusted.overlay.opaque=y`` xattr) or ``"apply"`` (layers are applied in turn onto one directory:
a whiteout deletes). Unpacking yields the diff id (sha256 of the uncompressed stream, trailing padding
included) and the compressed digest.

Speed: the tar parsing, checks and file writes are Python; zlib and sha256 are C. Regular files are
filled and given their metadata through one descriptor, straight from the tar stream, and the lstat
before each create is skipped when unpacking into an empty directory: the CPU cost ends up on a par
with GNU tar + gzip (``bench/engine_images.py``). ``threads=True`` instead decompresses in a
``gzip -dc`` process fed by a thread, as GNU tar does: it can shorten the wall time when a core is idle
but costs about 40% more CPU, so it is not the default on these shared two-core machines.

Creation (:func:`write_layer`) walks a directory in sorted order and writes a PAX tar, gzip-compressed
by default, giving (diff id, digest, size). With ``overlay_upper=True`` the directory is an overlayfs
upper dir and its whiteout devices and opaque xattrs become OCI whiteout entries: this is how a build
step's changes, deletions included, become a layer. Without an upper dir, :func:`write_diff` compares a
whole new tree with the lower stack it came from and produces the same kind of layer.
"""

from __future__ import annotations

from kubelite.runtime.layers.common import (
    OPAQUE_MARKER,
    OPAQUE_XATTR,
    WHITEOUT_PREFIX,
    LayerError,
    LayerFormatError,
    LayerInfo,
    UnpackResult,
    UnsafeLayerError,
)
from kubelite.runtime.layers.decode import detect_compression
from kubelite.runtime.layers.diff import LowerView, write_diff
from kubelite.runtime.layers.unpack import unpack_layer
from kubelite.runtime.layers.write import write_layer

__all__ = [
    "OPAQUE_MARKER",
    "OPAQUE_XATTR",
    "WHITEOUT_PREFIX",
    "LayerError",
    "LayerFormatError",
    "LayerInfo",
    "LowerView",
    "UnpackResult",
    "UnsafeLayerError",
    "detect_compression",
    "unpack_layer",
    "write_diff",
    "write_layer",
]

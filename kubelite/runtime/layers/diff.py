"""Layer creation by comparison: a full root filesystem against the layer stack it started from.

When a tree was changed without overlayfs (a copied rootfs, an exported container), there is no upper
dir recording the changes: :func:`write_diff` finds them. The lower stack is a list of unpacked layer
directories in overlay form, top first (``Mounts.lowerdirs``): whiteout devices and opaque dirs in
them are honoured, as the kernel would. An entry of the new tree goes into the layer when it is new or
its type, mode, owner, size, mtime or link target differs (Docker's change detection: metadata, not
content); its parent directories go with it, with their own metadata, so that the layer never widens
a directory's permissions. An entry of the lower view missing from the new tree becomes a ``.wh.``
whiteout, only at the top of a deleted subtree.
"""

from __future__ import annotations

import os
import posixpath
import stat
import tarfile
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from kubelite.runtime.layers.common import OPAQUE_XATTR, WHITEOUT_PREFIX, LayerInfo
from kubelite.runtime.layers.write import _HashingSink, _tarinfo, _walk_dir_root


class LowerView:
    """The merged view of an overlay lowerdir stack (top first), read without mounting it."""

    def __init__(self, lowers: Sequence[str]) -> None:
        self.lowers = list(lowers)

    def lookup(self, rel: str) -> os.stat_result | None:
        """What ``rel`` is in the merged view, or None when absent, whited out or hidden."""
        parts = rel.split("/")
        for layer in self.lowers:
            hidden_below = False
            for depth in range(1, len(parts)):
                ancestor = os.path.join(layer, *parts[:depth])
                st = _lstat(ancestor)
                if st is None:
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    return None  # a file, link or whiteout above hides everything under it
                if _opaque(ancestor):
                    hidden_below = True
            st = _lstat(os.path.join(layer, rel))
            if st is not None:
                return None if _is_whiteout(st) else st
            if hidden_below:
                return None
        return None

    def walk(self) -> Iterator[str]:
        """Every path visible in the merged view, parents first."""
        seen: set[str] = set()
        for layer in self.lowers:
            for rel in _walk_dir_root(layer):
                if rel in seen:
                    continue
                st = self.lookup(rel)
                if st is not None:
                    seen.add(rel)
                    yield rel


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _opaque(path: str) -> bool:
    try:
        return os.getxattr(path, OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


def _changed(new: os.stat_result, old: os.stat_result | None, new_path: str, old_path: str | None) -> bool:
    if old is None or stat.S_IFMT(new.st_mode) != stat.S_IFMT(old.st_mode):
        return True
    if (new.st_mode, new.st_uid, new.st_gid) != (old.st_mode, old.st_uid, old.st_gid):
        return True
    if stat.S_ISDIR(new.st_mode):
        return False  # a directory's own metadata is all that can change; children are walked
    if stat.S_ISLNK(new.st_mode):
        return old_path is None or os.readlink(new_path) != os.readlink(old_path)
    return new.st_size != old.st_size or new.st_mtime_ns != old.st_mtime_ns


def write_diff(lowers: Sequence[str], new_root: str, out: BinaryIO, *, compress: bool = True,
               level: int = 1) -> LayerInfo:
    """The changes from the merged ``lowers`` (top first) to ``new_root`` as a layer tar on ``out``."""
    from kubelite.oci import mediatypes as mt

    view = LowerView(lowers)
    changed: set[str] = set()
    for rel in _walk_dir_root(new_root):
        path = os.path.join(new_root, rel)
        st = os.lstat(path)
        old = view.lookup(rel)
        old_path = _source(view, rel) if old is not None and stat.S_ISLNK(old.st_mode) else None
        if _changed(st, old, path, old_path):
            changed.add(rel)
            parent = posixpath.dirname(rel)
            while parent and parent not in changed:
                changed.add(parent)
                parent = posixpath.dirname(parent)
    # Only the top of a deleted subtree needs a whiteout: its parent is still a directory.
    deleted = [rel for rel in view.walk()
               if not os.path.lexists(os.path.join(new_root, rel)) and _is_real_dir(new_root, posixpath.dirname(rel))]
    sink = _HashingSink(out, compress, level)
    links: dict[tuple[int, int], str] = {}
    entries = sorted(changed | {_whiteout_name(rel) for rel in deleted})
    whiteouts = {_whiteout_name(rel) for rel in deleted}
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tf:  # type: ignore[call-overload]
        for rel in entries:
            if rel in whiteouts:
                tf.addfile(tarfile.TarInfo(rel))
                continue
            path = os.path.join(new_root, rel)
            st = os.lstat(path)
            if stat.S_ISSOCK(st.st_mode):
                continue
            info = _tarinfo(new_root, rel, st, None, links, owner=None)
            if info.type == tarfile.REGTYPE:
                with open(path, "rb") as fh:
                    tf.addfile(info, fh)
            else:
                tf.addfile(info)
    sink.close_stream()
    return LayerInfo(diff_id="sha256:" + sink.diff.hexdigest(), digest="sha256:" + sink.digest.hexdigest(),
                     size=sink.size, media_type=mt.OCI_LAYER_GZIP if compress else mt.OCI_LAYER,
                     uncompressed_size=sink.raw_size)


def _is_real_dir(root: str, rel: str) -> bool:
    st = _lstat(os.path.join(root, rel) if rel else root)
    return st is not None and stat.S_ISDIR(st.st_mode)


def _whiteout_name(rel: str) -> str:
    return posixpath.join(posixpath.dirname(rel), WHITEOUT_PREFIX + posixpath.basename(rel))


def _source(view: LowerView, rel: str) -> str | None:
    """The lower layer path that provides ``rel`` in the view."""
    for layer in view.lowers:
        path = os.path.join(layer, rel)
        if os.path.lexists(path):
            return path
    return None

"""Safe unpack of a layer tar into a directory; see the package docstring for what is refused."""

from __future__ import annotations

import errno
import os
import posixpath
import stat
import tarfile
from typing import Any, BinaryIO

from kubelite.runtime.layers.common import (
    CHUNK,
    OPAQUE_MARKER,
    OPAQUE_XATTR,
    WHITEOUT_PREFIX,
    LayerFormatError,
    UnpackResult,
    UnsafeLayerError,
)
from kubelite.runtime.layers.decode import (
    ChunkReader,
    Decoder,
    GzipPipe,
    ThreadedChunks,
    detect_compression,
    gzip_binary,
)

# ---------------------------------------------------------------------------------------------------
# Unpacking.


def _clean_name(name: str, what: str = "path") -> str:
    """The member's path relative to the root, or raise if it is absolute or climbs with ``..``."""
    if name.startswith("/"):
        raise UnsafeLayerError(f"refusing absolute {what} {name!r} in layer")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeLayerError(f"refusing {what} with '..' in layer: {name!r}")
    if any("\x00" in p for p in parts):
        raise UnsafeLayerError(f"refusing {what} with a NUL byte in layer: {name!r}")
    return "/".join(parts)


class _Unpacker:
    def __init__(self, dest: str, whiteouts: str, same_owner: bool) -> None:
        if whiteouts not in ("overlay", "apply"):
            raise ValueError(f"whiteouts must be 'overlay' or 'apply', not {whiteouts!r}")
        self.dest = os.path.abspath(dest)
        self.whiteouts = whiteouts
        self.same_owner = same_owner
        self.dirs: set[str] = {""}              # relative dirs known to be real directories
        self.created: set[str] = set()          # paths this layer wrote (for opaque dirs in apply mode)
        self.dir_meta: list[tuple[str, tarfile.TarInfo]] = []
        self.entries = 0
        # Unpacking into an empty directory (the usual case), a path this layer has not written
        # cannot exist yet, so the lstat before each create can be skipped.
        self.fresh = not os.listdir(self.dest)

    def abspath(self, rel: str) -> str:
        return os.path.join(self.dest, rel) if rel else self.dest

    def ensure_parent(self, rel: str) -> None:
        parent = posixpath.dirname(rel)
        if parent in self.dirs:
            return
        self.ensure_parent(parent)
        path = self.abspath(parent)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            os.mkdir(path, 0o755)
            self.dirs.add(parent)
            return
        if stat.S_ISLNK(st.st_mode):
            raise UnsafeLayerError(f"refusing to write {rel!r} through the symlink {parent!r}")
        if not stat.S_ISDIR(st.st_mode):
            raise UnsafeLayerError(f"refusing to write {rel!r}: its parent {parent!r} is not a directory")
        self.dirs.add(parent)

    def forget(self, rel: str) -> None:
        """``rel`` is about to stop being a directory: drop it and its subtree from the dir cache."""
        if rel in self.dirs:
            prefix = rel + "/"
            self.dirs = {d for d in self.dirs if d != rel and not d.startswith(prefix)}

    def remove_existing(self, rel: str, keep_dir: bool) -> None:
        path = self.abspath(rel)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            if keep_dir:
                return
            self.forget(rel)
            _rmtree(path)
        else:
            os.unlink(path)

    def whiteout(self, rel: str, base: str) -> None:
        parent = posixpath.dirname(rel)
        self.ensure_parent(rel)
        if base == OPAQUE_MARKER:
            if self.whiteouts == "overlay":
                os.setxattr(self.abspath(parent), OPAQUE_XATTR, b"y")
            else:
                self._clear_dir_below(parent)
            return
        target = posixpath.join(parent, base[len(WHITEOUT_PREFIX):])
        _clean_name(target, "whiteout")
        if not posixpath.basename(target) or posixpath.basename(target) in (".", ".."):
            raise UnsafeLayerError(f"refusing malformed whiteout {rel!r}")
        self.remove_existing(target, keep_dir=False)
        if self.whiteouts == "overlay":
            os.mknod(self.abspath(target), stat.S_IFCHR | 0o000, os.makedev(0, 0))
            self.created.add(target)

    def _clear_dir_below(self, parent: str) -> None:
        # Apply mode: an opaque directory keeps only what this layer itself put in it.
        path = self.abspath(parent)
        for name in os.listdir(path):
            child = posixpath.join(parent, name) if parent else name
            if child not in self.created:
                self.remove_existing(child, keep_dir=False)

    def add(self, tf: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        rel = _clean_name(member.name)
        self.entries += 1
        if not rel:
            if member.isdir():
                self.dir_meta.append(("", member))
            return
        base = posixpath.basename(rel)
        if base.startswith(WHITEOUT_PREFIX):
            self.whiteout(rel, base)
            return
        if member.ischr() or member.isblk():
            raise UnsafeLayerError(f"refusing device node {rel!r} in layer")
        self.ensure_parent(rel)
        path = self.abspath(rel)
        if member.isdir():
            try:
                st = os.lstat(path)
                if not stat.S_ISDIR(st.st_mode):
                    os.unlink(path)
                    raise FileNotFoundError
            except FileNotFoundError:
                os.mkdir(path, 0o700)
            self.dirs.add(rel)
            self.dir_meta.append((rel, member))
            self.created.add(rel)
            return
        if not self.fresh or rel in self.created or rel in self.dirs:
            self.remove_existing(rel, keep_dir=False)  # else it cannot exist: skip the lstat
        if member.isreg():
            self._write_file(tf, member, path)
            self.created.add(rel)
            return
        if member.issym():
            self._check_symlink(rel, member.linkname)
            os.symlink(member.linkname, path)
        elif member.islnk():
            self._hardlink(rel, member.linkname, path)
            self.created.add(rel)
            return  # a hardlink shares its target's inode: its metadata is the target's
        elif member.isfifo():
            os.mkfifo(path, 0o600)
        else:
            raise UnsafeLayerError(f"refusing unsupported tar entry type {member.type!r} for {rel!r}")
        self.created.add(rel)
        self._set_meta(path, member, is_link=member.issym())

    def _write_file(self, tf: tarfile.TarFile, member: tarfile.TarInfo, path: str) -> None:
        """Create, fill and set the metadata of a regular file, all through one descriptor."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            # Sparse members need tarfile's own reader; others are read straight from the stream,
            # which sits at the member's data (saves a file object per member).
            src: Any = tf.extractfile(member) if member.issparse() else tf.fileobj
            remaining = member.size
            while remaining > 0:
                data = src.read(min(CHUNK, remaining))
                if not data:
                    raise LayerFormatError(f"layer is truncated inside {member.name!r}")
                os.write(fd, data)
                remaining -= len(data)
            if self.same_owner:
                try:
                    os.chown(fd, member.uid, member.gid)
                except OSError as err:
                    if err.errno not in (errno.EPERM, errno.EINVAL):
                        raise
            os.chmod(fd, member.mode & 0o7777)
            for key, value in member.pax_headers.items():
                if key.startswith("SCHILY.xattr."):
                    _set_xattr(fd, key[len("SCHILY.xattr."):], value)
            try:
                os.utime(fd, (member.mtime, member.mtime))
            except (OSError, OverflowError, ValueError):
                pass
        finally:
            os.close(fd)

    def _check_symlink(self, rel: str, target: str) -> None:
        if not target:
            raise UnsafeLayerError(f"refusing symlink {rel!r} with an empty target")
        if target.startswith("/"):
            return  # resolved inside the container's root at run time; never followed here
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
        if joined == ".." or joined.startswith("../"):
            raise UnsafeLayerError(f"refusing symlink {rel!r} -> {target!r}: it points outside the root")

    def _hardlink(self, rel: str, linkname: str, path: str) -> None:
        if linkname.startswith("/"):
            raise UnsafeLayerError(f"refusing hardlink {rel!r} to the absolute path {linkname!r}")
        target = _clean_name(linkname, "hardlink target")
        if not target:
            raise UnsafeLayerError(f"refusing hardlink {rel!r} to the root")
        # Every parent of the target must be a real directory: a link through a symlink could reach
        # a file outside the root.
        parent = posixpath.dirname(target)
        walked = ""
        for part in parent.split("/") if parent else []:
            walked = posixpath.join(walked, part) if walked else part
            st = _lstat_or_none(self.abspath(walked))
            if st is None or not stat.S_ISDIR(st.st_mode):
                raise UnsafeLayerError(
                    f"refusing hardlink {rel!r} -> {linkname!r}: {walked!r} is not a directory in the layer")
        tst = _lstat_or_none(self.abspath(target))
        if tst is None:
            raise UnsafeLayerError(f"refusing hardlink {rel!r} -> {linkname!r}: target not in the layer")
        if stat.S_ISDIR(tst.st_mode):
            raise UnsafeLayerError(f"refusing hardlink {rel!r} to the directory {linkname!r}")
        os.link(self.abspath(target), path, follow_symlinks=False)

    def _set_meta(self, path: str, member: tarfile.TarInfo, *, is_link: bool = False) -> None:
        if self.same_owner:
            try:
                os.lchown(path, member.uid, member.gid)
            except OSError as err:
                if err.errno not in (errno.EPERM, errno.EINVAL):
                    raise
        if not is_link:
            os.chmod(path, member.mode & 0o7777)
        for key, value in member.pax_headers.items():
            if key.startswith("SCHILY.xattr."):
                _set_xattr(path, key[len("SCHILY.xattr."):], value)
        try:
            os.utime(path, (member.mtime, member.mtime), follow_symlinks=False)
        except (OSError, OverflowError, ValueError):
            pass

    def finish(self) -> None:
        # Directory times last, deepest first, since writing children changes them.
        for rel, member in sorted(self.dir_meta, key=lambda item: item[0].count("/"), reverse=True):
            self._set_meta(self.abspath(rel), member)


def _set_xattr(target: str | int, name: str, value: str) -> None:
    if name.startswith("trusted.overlay."):
        raise UnsafeLayerError(f"refusing overlayfs xattr {name!r} in layer")
    try:
        data = value.encode("utf-8", "surrogateescape")
        if isinstance(target, int):
            os.setxattr(target, name, data)
        else:
            os.setxattr(target, name, data, follow_symlinks=False)
    except OSError:
        pass  # xattrs are best effort, as with docker on filesystems without them


def _lstat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _rmtree(path: str) -> None:
    import shutil

    shutil.rmtree(path)


def unpack_layer(src: BinaryIO, dest: str, *, whiteouts: str = "overlay",
                 same_owner: bool | None = None, threads: bool = False) -> UnpackResult:
    """Unpack the (gzip or plain) layer tar ``src`` into the directory ``dest``, safely.

    On error the caller owns ``dest`` in its partial state (the snapshotter unpacks into a temp dir
    and discards it). Raises :class:`UnsafeLayerError` or :class:`LayerFormatError`.
    """
    os.makedirs(dest, exist_ok=True)
    first = src.read(CHUNK)
    compression = detect_compression(first)
    if compression == "zstd":
        raise LayerFormatError("zstd-compressed layers are not supported")
    decoder = Decoder(src, first, compression)
    threaded: ThreadedChunks | GzipPipe | None = None
    gzip_path = gzip_binary() if compression == "gzip" and threads else None
    if gzip_path:
        threaded = GzipPipe(decoder, gzip_path)
        reader = ChunkReader(threaded.chunks())
    elif threads:
        threaded = ThreadedChunks(decoder.chunks())
        reader = ChunkReader(threaded)
    else:
        reader = ChunkReader(decoder.chunks())
    unpacker = _Unpacker(dest, whiteouts, os.geteuid() == 0 if same_owner is None else same_owner)
    try:
        try:
            with tarfile.open(fileobj=reader, mode="r|", errorlevel=2) as tf:  # type: ignore[call-overload]
                for member in tf:
                    unpacker.add(tf, member)
        except tarfile.TarError as err:
            raise LayerFormatError(f"layer is not a valid tar archive: {err}") from None
        except EOFError as err:
            raise LayerFormatError(f"layer is truncated: {err}") from None
        reader.drain()
        unpacker.finish()
    finally:
        if threaded is not None:
            threaded.close()
    if unpacker.entries == 0 and decoder.size == 0:
        raise LayerFormatError("layer is empty: not a tar archive")
    return UnpackResult(diff_id="sha256:" + decoder.diff.hexdigest(),
                        digest="sha256:" + decoder.digest.hexdigest(),
                        compressed_size=decoder.compressed_size, size=decoder.size,
                        entries=unpacker.entries)

"""COPY and ADD onto a mounted root filesystem, with Docker's destination rules.

- A directory source copies its *contents* into the destination directory.
- A file source lands at ``dest/<name>`` when ``dest`` ends with ``/``, already is a directory, or
  several sources were given; otherwise ``dest`` is the new file's path.
- Missing parent directories are created (0755). Copied entries keep their permission bits and mtime
  and are owned by ``--chown``'s user (looked up in the image's /etc/passwd) or by root, as Docker does;
  ``--chmod`` overrides the bits.
- ADD unpacks a local tar archive (plain, gzip, bzip2 or xz) into the destination directory, refusing
  members that would climb out of it; the archive's owners are kept unless ``--chown`` is given.

Every destination is resolved inside the rootfs (symlinks there are the container's, clamped at its
top), and an existing symlink at a destination is replaced, never written through.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tarfile

from kubelite.build import paths
from kubelite.build.context import Entry, Source
from kubelite.build.errors import BuildError
from kubelite.build.planner import CopySpec


def _clear(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _place(rootfs: str, target: str, entry: Entry, owner: tuple[int, int], chmod: int | None) -> None:
    """Create ``target`` (an absolute path in the container) as a copy of ``entry``."""
    parent = paths.makedirs(rootfs, posixpath.dirname(target))
    host = os.path.join(parent, posixpath.basename(target))
    if entry.kind == "d":
        if not (os.path.isdir(host) and not os.path.islink(host)):
            _clear(host)
            os.mkdir(host)
    elif entry.kind == "l":
        _clear(host)
        os.symlink(entry.link, host)
    else:
        _clear(host)
        shutil.copyfile(entry.path, host, follow_symlinks=False)
    os.lchown(host, *owner)
    if entry.kind != "l":
        os.chmod(host, chmod if chmod is not None else entry.mode)
        st = os.lstat(entry.path)
        os.utime(host, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def _is_archive(entry: Entry) -> bool:
    if entry.kind != "f":
        return False
    try:
        return tarfile.is_tarfile(entry.path)
    except OSError:
        return False


def _extract(rootfs: str, archive: str, dest: str, owner: tuple[int, int] | None) -> None:
    target = paths.makedirs(rootfs, dest)
    try:
        with tarfile.open(archive) as tf:
            # The "tar" filter drops leading slashes and refuses members (or links) that would be
            # written outside ``target``; numeric owners, never the host's name lookup.
            tf.extractall(target, filter="tar", numeric_owner=True)
            if owner is not None:
                for member in tf.getmembers():
                    os.lchown(os.path.join(target, member.name.lstrip("/")), *owner)
    except (tarfile.TarError, OSError) as err:
        raise BuildError(f"ADD: cannot unpack {os.path.basename(archive)}: {err}") from None


def copy_sources(rootfs: str, sources: list[Source], spec: CopySpec, owner: tuple[int, int] | None
                 ) -> None:
    """Copy ``sources`` (resolved by :func:`kubelite.build.context.resolve_sources`) into the rootfs
    mounted at ``rootfs`` per ``spec``; ``owner`` is the ``--chown`` uid/gid (``None``: root)."""
    who = owner or (0, 0)
    several = len(sources) > 1
    if several and not spec.dest_is_dir:
        name = "ADD" if spec.add else "COPY"
        raise BuildError(f"When using {name} with more than one source file, the destination must be a "
                         "directory and end with a /")
    for source in sources:
        top = source.entries[0]
        if source.is_dir:
            paths.makedirs(rootfs, spec.dest, owner=owner)
            for entry in source.entries[1:]:
                _place(rootfs, posixpath.join(spec.dest, entry.rel), entry, who, spec.chmod)
            continue
        if spec.add and _is_archive(top):
            _extract(rootfs, top.path, spec.dest, owner)
            continue
        dest_host = paths.resolve(rootfs, spec.dest, clamp=True)
        into_dir = spec.dest_is_dir or several or os.path.isdir(dest_host)
        if into_dir:
            paths.makedirs(rootfs, spec.dest, owner=owner)
        name = posixpath.basename(source.name.rstrip("/")) or "file"
        target = posixpath.join(spec.dest, name) if into_dir else spec.dest
        _place(rootfs, target, top, who, spec.chmod)

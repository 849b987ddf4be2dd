"""The build context: resolving COPY/ADD sources safely, walking them, and hashing their content.

Safety: every source is resolved inside the context directory. A source that climbs out (``../x``) or
a symlink on the way that points outside the context is refused with :class:`ContextError`; symlinks
*inside* a copied directory are copied as links (never followed), so they cannot leak host files.

Content hash: per COPY/ADD, a sha256 over each entry's path (relative to its source), type,
permission bits, owner and content digest (or link target); mtime is not part of it, so touching a
file does not invalidate the cache. Hashing every file on every build would make a cached rebuild
cost the size of the context, so :class:`StatCache` remembers each file's digest under its
(device, inode, size, mtime, ctime) as BuildKit does, and a file is re-read only when one of those
changed. Files modified within a timestamp tick of now are never remembered (see :mod:`racy`).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
import os
import posixpath
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kubelite.build import paths
from kubelite.build.dockerignore import Matcher
from kubelite.build.errors import ContextError
from kubelite.build.racy import is_racy


@dataclass(frozen=True)
class Entry:
    """One thing to copy. ``rel`` is its path below the source (``""`` for the source itself)."""

    path: str          # absolute host path
    rel: str
    kind: str          # "f" file, "d" directory, "l" symlink
    mode: int          # permission bits (incl. setuid/setgid/sticky)
    uid: int
    gid: int
    size: int
    link: str = ""
    digest: str = ""   # sha256 of a file's content, filled by :func:`hash_entries`


@dataclass(frozen=True)
class Source:
    """A resolved source argument: the context-relative ``name`` and its entries (``rel == ""`` first)."""

    name: str
    entries: tuple[Entry, ...]

    @property
    def is_dir(self) -> bool:
        return self.entries[0].kind == "d"


def _clean(source: str) -> str:
    """A source as a context-relative path; refuses climbing out of the context."""
    cleaned = posixpath.normpath("/" + source.replace("\\", "/")) if source.startswith("/") else \
        posixpath.normpath(source)
    if cleaned == ".." or cleaned.startswith("../"):
        raise ContextError(f"forbidden path outside the build context: {source}")
    return cleaned.lstrip("/") or "."


def resolve_in_context(root: str, rel: str, clamp: bool = False) -> str:
    """The host path of context-relative ``rel``; symlinks leading out are refused (or, in an
    image's rootfs, ``clamp``-ed at its top)."""
    return paths.resolve(os.path.realpath(root), rel, clamp=clamp)


def _entry(path: str, rel: str, st: os.stat_result) -> Entry:
    if stat.S_ISLNK(st.st_mode):
        return Entry(path, rel, "l", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, 0, os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return Entry(path, rel, "d", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, 0)
    if stat.S_ISREG(st.st_mode):
        return Entry(path, rel, "f", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_size)
    raise ContextError(f"unsupported file type in the build context: {path} (devices, sockets and "
                       "fifos cannot be copied)")


def _walk(path: str, ctx_rel: str, rel: str, matcher: Matcher) -> Iterator[Entry]:
    """Entries below directory ``path`` in sorted order, skipping what .dockerignore excludes."""
    with os.scandir(path) as it:
        children = sorted(it, key=lambda d: d.name)
    for child in children:
        child_ctx = f"{ctx_rel}/{child.name}" if ctx_rel != "." else child.name
        child_rel = f"{rel}/{child.name}" if rel else child.name
        st = child.stat(follow_symlinks=False)
        is_dir = stat.S_ISDIR(st.st_mode)
        if matcher.excluded(child_ctx):
            if is_dir and matcher.may_include_below(child_ctx):
                yield from _walk(child.path, child_ctx, child_rel, matcher)
            continue
        yield _entry(child.path, child_rel, st)
        if is_dir:
            yield from _walk(child.path, child_ctx, child_rel, matcher)


def _glob(root: str, pattern: str, matcher: Matcher, clamp: bool) -> list[str]:
    """Context-relative paths matching a wildcard source, component by component (``filepath.Match``)."""
    found = ["."]
    for part in pattern.split("/"):
        nxt: list[str] = []
        for base in found:
            host = resolve_in_context(root, base, clamp)
            if not any(c in part for c in "*?["):
                candidate = part if base == "." else f"{base}/{part}"
                if os.path.lexists(os.path.join(host, part)):
                    nxt.append(candidate)
                continue
            if not os.path.isdir(host):
                continue
            for name in sorted(os.listdir(host)):
                if fnmatch.fnmatchcase(name, part):
                    nxt.append(name if base == "." else f"{base}/{name}")
        found = nxt
    return [f for f in found if not matcher.excluded(f)]


def resolve_sources(root: str, sources: list[str], matcher: Matcher, *, clamp: bool = False
                    ) -> list[Source]:
    """Each source argument (wildcards expanded) with its entries; a missing source is an error.
    ``clamp`` for an image's rootfs (``COPY --from``), where symlinks are the container's own."""
    out: list[Source] = []
    for source in sources:
        cleaned = _clean(source)
        names = _glob(root, cleaned, matcher, clamp) if any(c in cleaned for c in "*?[") else [cleaned]
        if not names:
            raise ContextError(f"no source files were specified (nothing matches {source!r})")
        for name in names:
            if name != "." and matcher.excluded(name):
                raise ContextError(f"{source}: not found (excluded by .dockerignore)")
            host = resolve_in_context(root, name, clamp)
            try:
                st = os.stat(host, follow_symlinks=False)
            except FileNotFoundError:
                raise ContextError(f"{source}: not found in the build context") from None
            top = _entry(host, "", st)
            entries = [top]
            if top.kind == "d":
                entries += _walk(host, name, "", matcher)
            out.append(Source(name, tuple(entries)))
    return out


class StatCache:
    """File digests remembered by stat, in one small JSON file per context (see module docstring).

    Layout: ``{"<abs path>": [dev, ino, size, mtime_ns, ctime_ns, "sha256:..."]}``.
    """

    def __init__(self, path: str, clock: Callable[[], int] = time.time_ns) -> None:
        self.path = path
        self.clock = clock
        self.entries: dict[str, list[object]] = {}
        self.seen: set[str] = set()
        self.dirty = False
        try:
            with open(path) as fh:
                self.entries = json.load(fh)
        except (FileNotFoundError, ValueError):
            self.entries = {}

    @staticmethod
    def _key(st: os.stat_result) -> list[int]:
        return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]

    def digest(self, path: str) -> str:
        st = os.stat(path, follow_symlinks=False)
        key = self._key(st)
        self.seen.add(path)
        known = self.entries.get(path)
        if known is not None and known[:5] == key:
            return str(known[5])
        with open(path, "rb") as fh:
            digest = "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()
        if not is_racy(key, self.clock()):
            self.entries[path] = [*key, digest]
            self.dirty = True
        elif path in self.entries:
            del self.entries[path]
            self.dirty = True
        return digest

    def save(self) -> None:
        """Persist what changed, keeping only the files this build looked at (so the file does not
        grow with every file ever deleted from the context)."""
        if set(self.entries) - self.seen:
            self.entries = {p: e for p, e in self.entries.items() if p in self.seen}
            self.dirty = True
        if not self.dirty:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            json.dump(self.entries, fh)
        os.replace(tmp, self.path)
        self.dirty = False


def hash_sources(sources: list[Source], cache: StatCache) -> tuple[str, list[Source]]:
    """The content hash of the sources, and the sources with file digests filled in."""
    h = hashlib.sha256()
    filled: list[Source] = []
    for source in sources:
        h.update(f"source\0{source.name}\n".encode())
        entries = []
        for raw in source.entries:
            digest = cache.digest(raw.path) if raw.kind == "f" else ""
            e = dataclasses.replace(raw, digest=digest)
            entries.append(e)
            h.update(f"{e.rel}\0{e.kind}\0{e.mode:o}\0{e.uid}:{e.gid}\0{e.link}\0{digest}\n".encode())
        filled.append(Source(source.name, tuple(entries)))
    return h.hexdigest(), filled

"""The content-addressed blob store: every manifest, config and layer, once, by its sha256 digest.

Layout under the engine root (see docs/engine-images.md)::

    ROOT/content/blobs/sha256/<hex>     one file per blob, read-only once written
    ROOT/tmp/ingest-<pid>-<rand>        a blob being written; renamed into place when verified

Contract (others code against it; names are stable):

- ``ContentStore(root)``: ``root`` is the engine root.
- ``has(digest) -> bool``; ``path(digest) -> str`` (where it is or would be; no check).
- ``open(digest) -> BinaryIO`` (raises :class:`BlobNotFoundError`).
- ``write(data, expected_digest=None, expected_size=None) -> BlobInfo(digest, size)``: ``data`` is
  bytes, a readable binary file, or an iterable of bytes chunks. The digest is computed while writing;
  a mismatch with ``expected_digest`` (or size) raises :class:`DigestMismatchError` and leaves nothing.
  Writing a blob already present is a cheap no-op when ``expected_digest`` is given (dedup across
  images), else the new copy is verified and dropped.
- ``writer(expected_digest=None)``: the same as an object for chunked writers (a registry pull):
  ``w.write(chunk)`` ... ``w.commit() -> BlobInfo``; ``w.abort()`` (or leaving a ``with`` block by an
  exception) removes the temp file.
- ``info(digest) -> BlobInfo``; ``delete(digest) -> bool``; ``walk() -> Iterator[BlobInfo]``;
  ``read_bytes(digest)`` for small blobs (manifests, configs), verified on read.

Atomicity: a blob appears under its name only complete and verified (temp file + ``rename(2)``), so a
process killed mid-write leaves at most a temp file, which :meth:`ContentStore.cleanup_tmp` removes once
its writer's pid is gone. Blobs are not fsynced: state survives a killed process, not a power loss.
Deleting blobs that images still use is the image store's concern (it holds the ``images`` lock and
counts references); the content store itself keeps no references.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO

from kubelite.oci.digest import validate_digest

CHUNK = 1 << 20


class ContentError(Exception):
    """Base of the content store's errors."""


class BlobNotFoundError(ContentError, LookupError):
    """No blob with that digest in the store."""


class DigestMismatchError(ContentError, ValueError):
    """Written content does not match the digest (or size) it was announced with."""


@dataclass(frozen=True)
class BlobInfo:
    digest: str
    size: int


class BlobWriter:
    """A blob being written: hashed as it goes, renamed into the store by :meth:`commit`."""

    def __init__(self, store: ContentStore, expected_digest: str | None = None,
                 expected_size: int | None = None) -> None:
        self._store = store
        self.expected_digest = validate_digest(expected_digest) if expected_digest else None
        self.expected_size = expected_size
        self._hash = hashlib.sha256()
        self.size = 0
        self.tmp_path = store.tmp_name("ingest")
        self._fh: BinaryIO | None = open(self.tmp_path, "xb")  # noqa: SIM115 - closed by commit/abort

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if self._fh is None:
            raise ContentError("blob writer is closed")
        self._fh.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    def commit(self) -> BlobInfo:
        if self._fh is None:
            raise ContentError("blob writer is closed")
        self._fh.close()
        self._fh = None
        digest = self.digest
        try:
            if self.expected_digest and digest != self.expected_digest:
                raise DigestMismatchError(
                    f"content digest mismatch: expected {self.expected_digest}, got {digest}")
            if self.expected_size is not None and self.size != self.expected_size:
                raise DigestMismatchError(
                    f"content size mismatch for {digest}: expected {self.expected_size}, got {self.size}")
            final = self._store.path(digest)
            if os.path.exists(final):
                os.unlink(self.tmp_path)
            else:
                os.chmod(self.tmp_path, 0o444)
                os.rename(self.tmp_path, final)
        except BaseException:
            self._unlink_tmp()
            raise
        return BlobInfo(digest, self.size)

    def abort(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._unlink_tmp()

    def _unlink_tmp(self) -> None:
        try:
            os.unlink(self.tmp_path)
        except FileNotFoundError:
            pass

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None or self._fh is not None:
            self.abort()


class ContentStore:
    """Blobs by sha256 digest under ``ROOT/content``; see the module docstring for the contract."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.blob_dir = os.path.join(root, "content", "blobs", "sha256")
        self.tmp_dir = os.path.join(root, "tmp")
        os.makedirs(self.blob_dir, exist_ok=True)
        os.makedirs(self.tmp_dir, exist_ok=True)

    def path(self, digest: str) -> str:
        algo, _, hexpart = validate_digest(digest).partition(":")
        if algo != "sha256":
            raise ContentError(f"unsupported digest algorithm {algo!r}: the store keeps sha256 only")
        return os.path.join(self.blob_dir, hexpart)

    def has(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

    def info(self, digest: str) -> BlobInfo:
        try:
            return BlobInfo(digest, os.stat(self.path(digest)).st_size)
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} not found in the content store") from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} not found in the content store") from None

    def read_bytes(self, digest: str) -> bytes:
        """A small blob's bytes, checked against its digest (guards against a corrupted store)."""
        with self.open(digest) as fh:
            data = fh.read()
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise DigestMismatchError(f"blob {digest} in the content store is corrupt")
        return data

    def tmp_name(self, prefix: str) -> str:
        """A fresh temp path in ``ROOT/tmp`` (same filesystem as the store, so rename is atomic)."""
        return os.path.join(self.tmp_dir, f"{prefix}-{os.getpid()}-{secrets.token_hex(6)}")

    def writer(self, expected_digest: str | None = None, expected_size: int | None = None) -> BlobWriter:
        return BlobWriter(self, expected_digest, expected_size)

    def write(self, data: bytes | BinaryIO | Iterable[bytes], expected_digest: str | None = None,
              expected_size: int | None = None) -> BlobInfo:
        if expected_digest and self.has(expected_digest):
            info = self.info(expected_digest)
            if expected_size is None or info.size == expected_size:
                return info
        with self.writer(expected_digest, expected_size) as w:
            if isinstance(data, bytes | bytearray | memoryview):
                w.write(data)
            elif hasattr(data, "read"):
                while chunk := data.read(CHUNK):
                    w.write(chunk)
            else:
                for chunk in data:
                    w.write(chunk)
            return w.commit()

    def delete(self, digest: str) -> bool:
        try:
            os.unlink(self.path(digest))
            return True
        except FileNotFoundError:
            return False

    def walk(self) -> Iterator[BlobInfo]:
        with os.scandir(self.blob_dir) as it:
            for entry in it:
                if len(entry.name) == 64 and entry.is_file(follow_symlinks=False):
                    yield BlobInfo("sha256:" + entry.name, entry.stat(follow_symlinks=False).st_size)

    def cleanup_tmp(self) -> int:
        """Remove temp files and dirs left by writers that are no longer running; returns how many."""
        return cleanup_tmp_dir(self.tmp_dir)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup_tmp_dir(tmp_dir: str) -> int:
    """Drop ``<prefix>-<pid>-<rand>`` entries of dead pids (files, or trees such as unpack dirs)."""
    import shutil

    removed = 0
    try:
        names = os.listdir(tmp_dir)
    except FileNotFoundError:
        return 0
    for name in names:
        parts = name.rsplit("-", 2)
        if len(parts) != 3 or not parts[1].isdigit() or _pid_alive(int(parts[1])):
            continue
        path = os.path.join(tmp_dir, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
        removed += 1
    return removed

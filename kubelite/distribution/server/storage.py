"""The registry's storage driver: content-addressed blobs and per-repository links, on a local disk.

Layout under the registry root (every name, tag and digest was validated before it reaches a path)::

    <root>/
      blobs/<alg>/<hex[0:2]>/<hex>            blob and manifest bytes, written once, by rename
      uploads/<uuid>/data                      bytes of an upload in progress
      uploads/<uuid>/repo                      the repository the upload was started for
      repositories/<name...>/
        _layers/<alg>/<hex>                    empty file: the blob is linked into this repository
        _manifests/revisions/<alg>/<hex>       the manifest's media type: the repository holds it
        _manifests/tags/<tag>                  the digest the tag points at
        _referrers/<alg>/<subject hex>/<alg>-<hex>   descriptor JSON of a manifest whose subject it is
      tmp/                                     staging for small atomic writes

Atomicity: a blob becomes visible only through ``os.replace`` of a complete, verified file into
``blobs/``, so a crash (even ``kill -9``) mid-upload leaves at most an ``uploads/<uuid>`` directory,
never a partial blob. Files are not fsynced (as docker/distribution's filesystem driver and the
engine's content store): state survives a killed process, not a power cut. Links are written
after the blob they name and tags after the revision they name, so a crash between steps leaves
only unreferenced bytes, which gc reclaims.
Repository names cannot start a component with ``_``, so ``_layers`` and friends never clash with
a nested repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelite.distribution.errors import Code, RegistryError
from kubelite.distribution.names import Digest, is_tag, parse_digest

_UUID_RE = re.compile(r"[0-9a-f]{32}")
_CHUNK = 1 << 20


@dataclass
class _HashState:
    """The running hash of an upload, kept in memory so finishing it need not re-read the data."""

    offset: int
    hashers: dict[str, Any]


class Storage:
    """Everything the registry keeps on disk. Methods are synchronous and cheap unless documented;
    the HTTP layer runs the slow ones (commit, rehash, gc) in a thread."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.uploads = self.root / "uploads"
        self.repos = self.root / "repositories"
        self.tmp = self.root / "tmp"
        for d in (self.blobs, self.uploads, self.repos, self.tmp):
            d.mkdir(parents=True, exist_ok=True)
        self._hash_states: dict[str, _HashState] = {}

    # ---- blobs -------------------------------------------------------------------------------

    def blob_path(self, digest: Digest) -> Path:
        return self.blobs / digest.algorithm / digest.hex[:2] / digest.hex

    def blob_size(self, digest: Digest) -> int | None:
        """The blob's size if the registry holds it (in any repository), else None."""
        try:
            return self.blob_path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def _repo_dir(self, repo: str) -> Path:
        return self.repos / repo

    def _layer_link(self, repo: str, digest: Digest) -> Path:
        return self._repo_dir(repo) / "_layers" / digest.algorithm / digest.hex

    def repo_exists(self, repo: str) -> bool:
        d = self._repo_dir(repo)
        return (d / "_layers").is_dir() or (d / "_manifests").is_dir()

    def repo_blob_size(self, repo: str, digest: Digest) -> int | None:
        """The size of a blob linked into ``repo`` (a blob is only visible where it was pushed)."""
        if not self._layer_link(repo, digest).exists():
            return None
        return self.blob_size(digest)

    def link_blob(self, repo: str, digest: Digest) -> None:
        link = self._layer_link(repo, digest)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.touch(exist_ok=True)

    def unlink_blob(self, repo: str, digest: Digest) -> bool:
        try:
            self._layer_link(repo, digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def _publish(self, source: Path, digest: Digest) -> None:
        """Move a complete, verified file into ``blobs/``: the one step that makes bytes visible."""
        target = self.blob_path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            source.unlink()  # same digest, same bytes: keep the one already there
            return
        os.replace(source, target)

    def put_small_blob(self, data: bytes, digest: Digest) -> None:
        """Store bytes already in memory (manifests, single-POST blobs) after checking their digest."""
        h = digest.hasher()
        h.update(data)
        if h.hexdigest() != digest.hex:
            raise RegistryError(Code.DIGEST_INVALID, detail={"digest": str(digest)})
        if self.blob_path(digest).exists():
            return
        tmp = self.tmp / f"blob-{uuid.uuid4().hex}"
        tmp.write_bytes(data)
        self._publish(tmp, digest)

    def read_blob(self, digest: Digest) -> bytes:
        return self.blob_path(digest).read_bytes()

    # ---- uploads -----------------------------------------------------------------------------

    def _upload_dir(self, upload_id: str) -> Path:
        if not _UUID_RE.fullmatch(upload_id):
            raise RegistryError(Code.BLOB_UPLOAD_UNKNOWN, detail={"uuid": upload_id[:64]})
        return self.uploads / upload_id

    def start_upload(self, repo: str) -> str:
        upload_id = uuid.uuid4().hex
        d = self.uploads / upload_id
        d.mkdir()
        (d / "data").touch()
        (d / "repo").write_text(repo)
        self._hash_states[upload_id] = _HashState(0, {"sha256": Digest("sha256", "").hasher()})
        return upload_id

    def upload_count(self) -> int:
        return sum(1 for _ in self.uploads.iterdir())

    def upload_size(self, repo: str, upload_id: str) -> int:
        """Bytes received so far; BLOB_UPLOAD_UNKNOWN if the upload is not ``repo``'s."""
        d = self._upload_dir(upload_id)
        try:
            owner = (d / "repo").read_text()
            size = (d / "data").stat().st_size
        except FileNotFoundError:
            raise RegistryError(Code.BLOB_UPLOAD_UNKNOWN, detail={"uuid": upload_id}) from None
        if owner != repo:
            raise RegistryError(Code.BLOB_UPLOAD_UNKNOWN, detail={"uuid": upload_id})
        return size

    def open_upload(self, repo: str, upload_id: str) -> UploadWriter:
        """A writer appending at the current end; a failed request is rolled back with ``abort``."""
        size = self.upload_size(repo, upload_id)
        state = self._hash_states.get(upload_id)
        if state is None or state.offset != size:
            state = None  # the server restarted or a write was lost: the final commit rehashes
            self._hash_states.pop(upload_id, None)
        return UploadWriter(self, upload_id, self._upload_dir(upload_id) / "data", size, state)

    def cancel_upload(self, repo: str, upload_id: str) -> None:
        self.upload_size(repo, upload_id)
        self._hash_states.pop(upload_id, None)
        shutil.rmtree(self._upload_dir(upload_id), ignore_errors=True)

    def commit_upload(self, repo: str, upload_id: str, digest: Digest) -> int:
        """Verify the upload against ``digest``, publish it as a blob, link it into ``repo``.

        On a digest mismatch the upload is cancelled (its bytes can never become that blob) and
        DIGEST_INVALID raised; nothing becomes visible. Slow for big uploads: run in a thread.
        """
        size = self.upload_size(repo, upload_id)
        data = self._upload_dir(upload_id) / "data"
        state = self._hash_states.pop(upload_id, None)
        if state is not None and state.offset == size and digest.algorithm in state.hashers:
            actual = state.hashers[digest.algorithm].hexdigest()
        else:
            h = digest.hasher()
            with data.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    h.update(chunk)
            actual = h.hexdigest()
        if actual != digest.hex:
            shutil.rmtree(self._upload_dir(upload_id), ignore_errors=True)
            raise RegistryError(Code.DIGEST_INVALID, detail={"digest": str(digest),
                                                             "actual": f"{digest.algorithm}:{actual}"})
        self._publish(data, digest)
        self.link_blob(repo, digest)
        shutil.rmtree(self._upload_dir(upload_id), ignore_errors=True)
        return size

    def stale_uploads(self, older_than: float) -> list[Path]:
        """Upload directories untouched for ``older_than`` seconds (abandoned or crashed clients)."""
        cutoff = time.time() - older_than
        stale = []
        for d in self.uploads.iterdir():
            try:
                mtime = max(d.stat().st_mtime, (d / "data").stat().st_mtime)
            except FileNotFoundError:
                mtime = 0.0
            if mtime < cutoff:
                stale.append(d)
        return stale

    # ---- manifests and tags ------------------------------------------------------------------

    def _revision(self, repo: str, digest: Digest) -> Path:
        return self._repo_dir(repo) / "_manifests" / "revisions" / digest.algorithm / digest.hex

    def _tag_path(self, repo: str, tag: str) -> Path:
        return self._repo_dir(repo) / "_manifests" / "tags" / tag

    def _write_atomic(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.tmp / f"w-{uuid.uuid4().hex}"
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def put_manifest(self, repo: str, digest: Digest, body: bytes, media_type: str,
                     tag: str | None) -> None:
        """Store the manifest's bytes as a blob, record the revision, then (optionally) move the tag."""
        self.put_small_blob(body, digest)
        self._write_atomic(self._revision(repo, digest), media_type.encode())
        if tag is not None:
            self._write_atomic(self._tag_path(repo, tag), str(digest).encode())

    def resolve(self, repo: str, reference: str) -> Digest:
        """The digest a tag or digest reference names in ``repo``; MANIFEST_UNKNOWN if none."""
        if is_tag(reference):
            try:
                return parse_digest(self._tag_path(repo, reference).read_text())
            except FileNotFoundError:
                raise RegistryError(Code.MANIFEST_UNKNOWN, detail={"tag": reference}) from None
        digest = parse_digest(reference)
        if not self._revision(repo, digest).exists():
            raise RegistryError(Code.MANIFEST_UNKNOWN, detail={"digest": reference})
        return digest

    def manifest_media_type(self, repo: str, digest: Digest) -> str:
        try:
            return self._revision(repo, digest).read_text()
        except FileNotFoundError:
            raise RegistryError(Code.MANIFEST_UNKNOWN, detail={"digest": str(digest)}) from None

    def has_manifest(self, repo: str, digest: Digest) -> bool:
        return self._revision(repo, digest).exists()

    def tags(self, repo: str) -> list[str]:
        d = self._repo_dir(repo) / "_manifests" / "tags"
        return sorted(p.name for p in d.iterdir()) if d.is_dir() else []

    def tags_for(self, repo: str, digest: Digest) -> list[str]:
        return [t for t in self.tags(repo) if self._tag_path(repo, t).read_text() == str(digest)]

    def delete_tag(self, repo: str, tag: str) -> None:
        try:
            self._tag_path(repo, tag).unlink()
        except FileNotFoundError:
            raise RegistryError(Code.MANIFEST_UNKNOWN, detail={"tag": tag}) from None

    def delete_manifest(self, repo: str, digest: Digest) -> None:
        """Forget a manifest in ``repo``: its tags, its revision and its referrer entries.

        The bytes stay in ``blobs/`` (another repository may hold the same manifest) until gc.
        """
        if not self.has_manifest(repo, digest):
            raise RegistryError(Code.MANIFEST_UNKNOWN, detail={"digest": str(digest)})
        for tag in self.tags_for(repo, digest):
            self._tag_path(repo, tag).unlink(missing_ok=True)
        referrers = self._repo_dir(repo) / "_referrers"
        if referrers.is_dir():
            for entry in referrers.glob(f"*/*/{digest.algorithm}-{digest.hex}"):
                entry.unlink(missing_ok=True)
        self._revision(repo, digest).unlink()

    def revisions(self, repo: str) -> Iterator[Digest]:
        base = self._repo_dir(repo) / "_manifests" / "revisions"
        if base.is_dir():
            for alg_dir in base.iterdir():
                for p in alg_dir.iterdir():
                    yield Digest(alg_dir.name, p.name)

    def layer_links(self, repo: str) -> Iterator[Digest]:
        base = self._repo_dir(repo) / "_layers"
        if base.is_dir():
            for alg_dir in base.iterdir():
                for p in alg_dir.iterdir():
                    yield Digest(alg_dir.name, p.name)

    # ---- referrers ---------------------------------------------------------------------------

    def add_referrer(self, repo: str, subject: Digest, referrer: Digest, descriptor: dict[str, Any]) -> None:
        path = (self._repo_dir(repo) / "_referrers" / subject.algorithm / subject.hex
                / f"{referrer.algorithm}-{referrer.hex}")
        self._write_atomic(path, json.dumps(descriptor, sort_keys=True).encode())

    def referrers(self, repo: str, subject: Digest) -> list[dict[str, Any]]:
        d = self._repo_dir(repo) / "_referrers" / subject.algorithm / subject.hex
        if not d.is_dir():
            return []
        out = []
        for p in sorted(d.iterdir()):
            try:
                out.append(json.loads(p.read_bytes()))
            except (FileNotFoundError, ValueError):
                continue
        return out

    # ---- repositories ------------------------------------------------------------------------

    def repositories(self) -> list[str]:
        """Every repository name, sorted: directories that hold ``_layers`` or ``_manifests``."""
        names = []
        for dirpath, dirnames, _ in os.walk(self.repos):
            if "_layers" in dirnames or "_manifests" in dirnames:
                names.append(os.path.relpath(dirpath, self.repos))
            dirnames[:] = [d for d in dirnames if not d.startswith("_")]
        return sorted(names)


class UploadWriter:
    """Appends request bodies to an upload; ``abort`` truncates back so a broken request leaves the
    upload exactly as it was before it (the client can then ask for the Range and resume)."""

    def __init__(self, storage: Storage, upload_id: str, path: Path, offset: int,
                 state: _HashState | None) -> None:
        self._storage = storage
        self._id = upload_id
        self._path = path
        self.start = offset
        self.offset = offset
        self._state = state
        self._pending: dict[str, Any] = {}
        if state is not None:
            self._pending = {alg: h.copy() for alg, h in state.hashers.items()}
        self._file = path.open("r+b")
        self._file.seek(offset)

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        for h in self._pending.values():
            h.update(chunk)
        self.offset += len(chunk)

    def write_all(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def close(self) -> None:
        """Keep what was written: the hash state moves forward with it."""
        self._file.close()
        if self._state is not None:
            self._storage._hash_states[self._id] = _HashState(self.offset, self._pending)

    def abort(self) -> None:
        self._file.truncate(self.start)
        self._file.close()

"""The storage driver and gc directly on a temp directory: grace periods, stale uploads, dry runs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kubelite.distribution.names import Digest
from kubelite.distribution.server.gc import collect
from kubelite.distribution.server.storage import Storage

pytestmark = pytest.mark.integration


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_gc_grace_dry_run_and_stale_uploads(tmp_path: Path) -> None:
    storage = Storage(tmp_path)
    old, new = Digest.of(b"old orphan"), Digest.of(b"new orphan")
    for data, digest in ((b"old orphan", old), (b"new orphan", new)):
        storage.put_small_blob(data, digest)
        storage.link_blob("repo", digest)
    _age(storage.blob_path(old), 3600)
    stale = storage.start_upload("repo")
    fresh = storage.start_upload("repo")
    for p in (storage.uploads / stale).iterdir():
        _age(p, 2 * 86400)
    _age(storage.uploads / stale, 2 * 86400)

    dry = collect(storage, grace=600, dry_run=True)
    assert dry.blobs_deleted == [str(old)] and dry.uploads_deleted == 1
    assert storage.blob_path(old).exists() and (storage.uploads / stale).exists()

    report = collect(storage, grace=600)
    assert report.blobs_deleted == [str(old)] and report.bytes_freed == len(b"old orphan")
    assert not storage.blob_path(old).exists() and storage.blob_path(new).exists()
    assert storage.repo_blob_size("repo", old) is None  # the link went with the blob
    assert storage.repo_blob_size("repo", new) == len(b"new orphan")
    assert not (storage.uploads / stale).exists() and (storage.uploads / fresh).exists()


def test_repositories_nest_and_hide_internal_dirs(tmp_path: Path) -> None:
    storage = Storage(tmp_path)
    d = Digest.of(b"x")
    storage.put_small_blob(b"x", d)
    for repo in ("a", "a/b", "a/b/c", "z"):
        storage.link_blob(repo, d)
    assert storage.repositories() == ["a", "a/b", "a/b/c", "z"]


def test_upload_survives_a_restart_and_rehashes(tmp_path: Path) -> None:
    upload = Storage(tmp_path).start_upload("r")
    writer = Storage(tmp_path).open_upload("r", upload)  # a new Storage: no hash state in memory
    writer.write(b"hello ")
    writer.close()
    writer = Storage(tmp_path).open_upload("r", upload)
    writer.write(b"world")
    writer.close()
    storage = Storage(tmp_path)
    assert storage.commit_upload("r", upload, Digest.of(b"hello world")) == 11
    assert storage.read_blob(Digest.of(b"hello world")) == b"hello world"

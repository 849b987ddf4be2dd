"""Garbage collection: mark every blob a manifest in some repository needs, sweep the rest.

Mark: each repository's manifest revisions (and, with ``delete_untagged``, only those reachable
from a tag, an index that is, or a subject that is kept) mark themselves, their config and layers.
Sweep: blobs not marked and older than ``grace`` seconds are deleted, and repository links to them
removed; upload directories idle longer than ``upload_max_age`` go too.

Like docker/distribution's, this is meant to run while no push is in flight (a blob uploaded but
whose manifest is not pushed yet looks unreferenced); ``grace`` protects pushes that are, by
sparing blobs written in the last ``grace`` seconds.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field

from kubelite.distribution.errors import RegistryError
from kubelite.distribution.manifests import Manifest, parse_manifest
from kubelite.distribution.names import ALGORITHMS, Digest
from kubelite.distribution.server.storage import Storage


@dataclass
class Report:
    marked: int = 0
    blobs_deleted: list[str] = field(default_factory=list)
    bytes_freed: int = 0
    revisions_deleted: list[str] = field(default_factory=list)
    uploads_deleted: int = 0


def _load(storage: Storage, digest: Digest, media_type: str) -> Manifest | None:
    try:
        return parse_manifest(storage.read_blob(digest), media_type)
    except (FileNotFoundError, RegistryError):
        return None  # a revision whose bytes are gone or unreadable marks nothing further


def _reachable(storage: Storage, repo: str) -> set[Digest]:
    """Revisions reachable from the repository's tags, through indexes and referrers."""
    keep: set[Digest] = set()
    todo = []
    for tag in storage.tags(repo):
        try:
            todo.append(storage.resolve(repo, tag))
        except RegistryError:
            continue
    while todo:
        digest = todo.pop()
        if digest in keep:
            continue
        keep.add(digest)
        manifest = _load(storage, digest, storage.manifest_media_type(repo, digest)) \
            if storage.has_manifest(repo, digest) else None
        if manifest is not None:
            todo.extend(m.digest for m in manifest.manifests)
        for ref in storage.referrers(repo, digest):
            try:
                todo.append(Digest(*str(ref["digest"]).split(":", 1)))
            except (KeyError, TypeError):
                continue
    return keep


def mark(storage: Storage, *, delete_untagged: bool, dry_run: bool, report: Report) -> set[Digest]:
    marked: set[Digest] = set()
    for repo in storage.repositories():
        revisions = list(storage.revisions(repo))
        if delete_untagged:
            keep = _reachable(storage, repo)
            for digest in revisions:
                if digest not in keep:
                    report.revisions_deleted.append(f"{repo}@{digest}")
                    if not dry_run:
                        storage.delete_manifest(repo, digest)
            revisions = [d for d in revisions if d in keep]
        for digest in revisions:
            marked.add(digest)
            manifest = _load(storage, digest, storage.manifest_media_type(repo, digest))
            if manifest is not None:
                marked.update(b.digest for b in manifest.blobs())
    report.marked = len(marked)
    return marked


def sweep(storage: Storage, marked: set[Digest], *, grace: float, dry_run: bool, report: Report) -> None:
    cutoff = time.time() - grace
    doomed: set[Digest] = set()
    for algorithm in ALGORITHMS:
        base = storage.blobs / algorithm
        if not base.is_dir():
            continue
        for path in base.glob("*/*"):
            digest = Digest(algorithm, path.name)
            stat = path.stat()
            if digest in marked or stat.st_mtime > cutoff:
                continue
            doomed.add(digest)
            report.blobs_deleted.append(str(digest))
            report.bytes_freed += stat.st_size
            if not dry_run:
                path.unlink(missing_ok=True)
    if dry_run:
        return
    for repo in storage.repositories():
        for digest in list(storage.layer_links(repo)):
            if digest in doomed:
                storage.unlink_blob(repo, digest)


def collect(storage: Storage, *, delete_untagged: bool = False, grace: float = 0.0,
            upload_max_age: float = 24 * 3600, dry_run: bool = False) -> Report:
    """Run one collection over ``storage`` and say what was (or, with ``dry_run``, would be) freed."""
    report = Report()
    marked = mark(storage, delete_untagged=delete_untagged, dry_run=dry_run, report=report)
    sweep(storage, marked, grace=grace, dry_run=dry_run, report=report)
    for d in storage.stale_uploads(upload_max_age):
        report.uploads_deleted += 1
        if not dry_run:
            shutil.rmtree(d, ignore_errors=True)
    for tmp in storage.tmp.iterdir():
        if not dry_run and tmp.stat().st_mtime < time.time() - upload_max_age:
            tmp.unlink(missing_ok=True)
    return report


def report_json(report: Report) -> str:
    return json.dumps({"marked": report.marked, "blobs_deleted": len(report.blobs_deleted),
                       "bytes_freed": report.bytes_freed, "revisions_deleted": len(report.revisions_deleted),
                       "uploads_deleted": report.uploads_deleted})

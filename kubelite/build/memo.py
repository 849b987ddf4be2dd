"""Gathering, while a build runs, what its result depends on, and writing it as the build's memo.

The memo itself (format, validation, the fast path) is :mod:`kubelite.build.replay`; this is its
writer's side, kept out of the executor: the context paths the COPY/ADD steps read and how they
resolved, the images the build resolved by name, the output a fully cached run prints.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

from kubelite.build import replay
from kubelite.build.context import Source
from kubelite.build.racy import stat_key


class MemoRecorder:
    def __init__(self, context: str) -> None:
        self.context = context
        self.watched: set[str] = set()        # paths whose stat the result depends on
        self.resolved: dict[str, str] = {}     # source path as named -> where it resolved
        self.names: dict[str, str] = {}        # full image name -> manifest digest
        self.manifests: set[str] = set()
        self.lines: list[str] = []             # the output a fully cached run of this build prints
        self.started_ns = time.time_ns()

    def image(self, ref: str, manifest: str) -> None:
        """Remember how ``ref`` resolved: by name when it is one, else by its manifest only."""
        from kubelite.oci.errors import OCIError
        from kubelite.oci.reference import looks_like_id, parse_reference

        self.manifests.add(manifest)
        if ref.startswith("sha256:") or looks_like_id(ref):
            return
        try:
            parsed = parse_reference(ref)
        except OCIError:
            return
        if not parsed.digest:
            self.names[str(parsed)] = manifest

    def sources(self, sources: list[Source], *, wildcards: bool) -> None:
        """What to re-check for these sources: each entry's stat (a directory's mtime changes when an
        entry comes or goes), how each source path resolves (a symlink on the way could be
        re-pointed), and for wildcards the directories they were matched in."""
        for source in sources:
            self.watched.update(entry.path for entry in source.entries)
            self.resolved[os.path.join(self.context, source.name)] = source.entries[0].path
            if wildcards:
                parent = os.path.dirname(os.path.join(self.context, source.name))
                while parent == self.context or parent.startswith(self.context + os.sep):
                    self.watched.add(parent)
                    parent = os.path.dirname(parent)

    def write(self, root: str, request: replay.Request, *, image_id: str, manifest: str,
              resolve_id: Callable[[str], str], tags: Sequence[str]) -> bool:
        """Write the memo if our tags still name our image (``resolve_id`` maps a tag to an image id)
        and nothing changed the image index meanwhile."""
        index = os.path.join(root, replay.INDEX)
        before = stat_key(index)
        if any(resolve_id(tag) != image_id for tag in tags) or stat_key(index) != before:
            return False
        for tag in tags:
            self.image(tag, manifest)
        return replay.record(root, request, files=self.watched, resolved=self.resolved, index_key=before,
                             lines=self.lines, image_id=image_id, started_ns=self.started_ns,
                             names=self.names, manifests=self.manifests)

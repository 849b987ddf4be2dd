"""Writable root filesystems for build steps, on the engine's snapshotter, and their cleanup.

A step that changes files (RUN, COPY, ADD) gets a snapshot of the current :class:`ImageState`
(``build-<pid>-<n>``), mounted at ``ROOT/build/mnt/<key>``; after the step it is unmounted, its upper
dir becomes a layer (``Snapshotter.commit_diff``) and the snapshot is removed. A CLI killed mid-step
leaves a mount and a snapshot whose pid is gone (and its RUN container, which runc keeps running):
:meth:`Workspace.reap_stale` (run by the next build that needs a filesystem) ends such containers,
unmounts and removes them. Nothing of a step is visible to others before its layer blob is complete
and its cache entry written.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
from collections.abc import Iterator

from kubelite.build.state import ImageState
from kubelite.runtime.container_errors import ContainerError
from kubelite.runtime.monitor import pid_alive
from kubelite.runtime.runc import Runc
from kubelite.runtime.snapshots import CommittedLayer, Snapshotter

_KEY = re.compile(r"^build-(\d+)-\d+$")
MNT_DIR = os.path.join("build", "mnt")
RUNC_DIR = os.path.join("build", "runc")   # runc's state root for RUN containers


def _mounted_targets() -> set[str]:
    try:
        with open("/proc/self/mountinfo") as fh:
            return {line.split()[4] for line in fh}
    except OSError:
        return set()


class Workspace:
    """Hands out mounted snapshots of build states; see the module docstring."""

    def __init__(self, root: str, snapshotter: Snapshotter) -> None:
        self.root = root
        self.snapshotter = snapshotter
        self.mnt = os.path.join(root, MNT_DIR)
        self.runc_root = os.path.join(root, RUNC_DIR)
        self._counter = itertools.count()

    def reap_stale(self) -> None:
        """Unmount and drop what builds killed mid-step left behind: first the RUN containers still
        running on their snapshots (runc outlives a killed CLI), then the mounts and snapshots."""
        stale = [key for key in self.snapshotter.active()
                 if (m := _KEY.match(key)) and not pid_alive(int(m.group(1)))]
        if not stale:
            return
        self._end_containers_on([os.path.join(self.mnt, key) for key in stale])
        mounted = _mounted_targets()
        for key in stale:
            target = os.path.join(self.mnt, key)
            if target in mounted:
                with contextlib.suppress(OSError):
                    self.snapshotter.unmount(target)
            with contextlib.suppress(Exception):
                self.snapshotter.remove(key)
            shutil.rmtree(target, ignore_errors=True)

    def _end_containers_on(self, targets: list[str]) -> None:
        if not os.path.isdir(self.runc_root):
            return
        runc = Runc(self.runc_root)
        for cid in os.listdir(self.runc_root):
            state = runc.state(cid)
            rootfs = str((state or {}).get("rootfs", ""))
            if any(rootfs == t or rootfs.startswith(t + "/") for t in targets):
                with contextlib.suppress(ContainerError):
                    runc.delete(cid, force=True)

    @contextlib.contextmanager
    def rootfs(self, state: ImageState) -> Iterator[Snapshot]:
        """A mounted writable snapshot of ``state``; always unmounted and removed on exit."""
        key = f"build-{os.getpid()}-{next(self._counter)}"
        mounts = self.snapshotter.prepare(key, state)
        target = os.path.join(self.mnt, key)
        os.makedirs(target, exist_ok=True)
        snap = Snapshot(self.snapshotter, key, target, mounts.upperdir)
        try:
            self.snapshotter.mount(mounts, target)
            snap.is_mounted = True
            yield snap
        finally:
            if snap.is_mounted:
                with contextlib.suppress(OSError):
                    self.snapshotter.unmount(target)
            with contextlib.suppress(Exception):
                self.snapshotter.remove(key)
            with contextlib.suppress(OSError):
                os.rmdir(target)


class Snapshot:
    """One mounted build snapshot: ``path`` is the rootfs, ``upper`` its changes."""

    def __init__(self, snapshotter: Snapshotter, key: str, path: str, upper: str) -> None:
        self.snapshotter = snapshotter
        self.key = key
        self.path = path
        self.upper = upper
        self.is_mounted = False

    def unmount(self) -> None:
        if self.is_mounted:
            self.snapshotter.unmount(self.path)
            self.is_mounted = False

    def commit(self) -> CommittedLayer:
        """Unmount and turn the upper dir into a layer blob."""
        self.unmount()
        return self.snapshotter.commit_diff(self.key)

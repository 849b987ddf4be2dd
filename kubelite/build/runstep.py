"""RUN: one process in a build container on the step's snapshot, via the engine's runc runner.

The container shares the host's network (so package installs work, as ``docker build`` does by
default) and sees the host's /etc/resolv.conf and /etc/hosts, bind-mounted read-only. Mount points
that runc or we had to create (``/proc``, ``/dev``, ``/sys``, ``/etc/resolv.conf``...) in an image that
lacked them are removed from the upper dir afterwards, so they never end up in the step's layer.
Output is captured and printed when the process ends (:func:`kubelite.runtime.runc.run_process`
writes it to a file, never a pipe, see its docstring).
"""

from __future__ import annotations

import os

from kubelite.build import paths
from kubelite.build.errors import BuildError
from kubelite.build.planner import RunSpec
from kubelite.build.workspace import Snapshot
from kubelite.runtime.container_errors import ContainerError
from kubelite.runtime.runc import ProcessResult, run_process
from kubelite.runtime.seccomp import default_profile
from kubelite.runtime.spec import DEFAULT_CAPS, bind
from kubelite.runtime.users import resolve_user

_HOST_FILES = ("etc/resolv.conf", "etc/hosts")
# Deepest first, so a parent created only to hold a mount point is seen empty after its child goes.
_MOUNT_POINTS = ("etc/resolv.conf", "etc/hosts", "etc", "proc", "dev", "sys")


def run(snap: Snapshot, spec: RunSpec, *, state_root: str, cache_dir: str) -> tuple[ProcessResult, list[str]]:
    """Run ``spec`` in the mounted ``snap``; returns the result and the mount points it created
    (to hand to :func:`drop_mount_points` once unmounted). The container gets Docker's default
    capabilities and seccomp profile, as ``docker build``'s do (``cache_dir`` keeps the converted
    profile)."""
    created = [rel for rel in _MOUNT_POINTS if not os.path.lexists(os.path.join(snap.path, rel))]
    paths.makedirs(snap.path, spec.cwd)
    mounts = []
    if spec.network == "host":
        for rel in _HOST_FILES:
            if os.path.isfile("/" + rel):
                mounts.append(bind("/" + rel, "/" + rel, readonly=True))
    try:
        user = resolve_user(snap.path, spec.user)
        seccomp = default_profile(list(DEFAULT_CAPS), cache_dir=cache_dir)
        result = run_process(snap.path, list(spec.argv), env=list(spec.env), cwd=spec.cwd, user=user,
                             mounts=mounts, state_root=state_root, network=spec.network, seccomp=seccomp)
    except ContainerError as err:
        raise BuildError(str(err)) from None
    return result, created


def drop_mount_points(upper: str, created: list[str]) -> None:
    """Remove from ``upper`` the empty files and directories that only served as mount points."""
    for rel in created:
        path = os.path.join(upper, rel)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                if not os.listdir(path):
                    os.rmdir(path)
            elif os.path.isfile(path) and os.path.getsize(path) == 0:
                os.unlink(path)
        except OSError:
            pass

"""Processes run inside a running container (``exec``), built from the container's own spec.

The exec'd process gets the container's capabilities, rlimits, no-new-privileges and environment (plus
``-e`` overrides), its user resolved in the container's /etc/passwd, and joins all its namespaces and
its cgroup: ``runc exec`` does the joining; we only write the process spec.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubelite.runtime.container_errors import ContainerError, InvalidState
from kubelite.runtime.containers import RUNNING

if TYPE_CHECKING:
    from kubelite.runtime.lifecycle import Engine


def process_spec(
    base: dict[str, Any],
    args: list[str],
    *,
    env: list[str],
    uid: int,
    gid: int,
    additional_gids: tuple[int, ...],
    cwd: str,
    tty: bool,
) -> dict[str, Any]:
    """The process object for ``runc exec --process`` (pure): the container's, with these changes."""
    from kubelite.runtime.requests import merge_env

    proc = dict(base)
    proc["args"] = list(args)
    proc["env"] = merge_env(list(base.get("env") or []), env)
    proc["user"] = {"uid": uid, "gid": gid}
    if additional_gids:
        proc["user"]["additionalGids"] = list(additional_gids)
    proc["cwd"] = cwd or base.get("cwd") or "/"
    proc["terminal"] = tty
    proc.pop("consoleSize", None)
    return proc


def prepare_exec(
    engine: Engine,
    ref: str,
    args: list[str],
    *,
    env: list[str],
    user: str,
    cwd: str,
    tty: bool,
    detach: bool = False,
) -> tuple[list[str], Callable[[], None]]:
    """argv of ``runc exec`` for ``args`` in container ``ref`` and a cleanup for the process file."""
    from kubelite.runtime.users import resolve_user

    ctr = engine.get(ref)
    if ctr.state.status != RUNNING:
        raise InvalidState(f"container {ctr.id[:12]} is not running")
    with open(engine.store.path(ctr.id, "config.json")) as fh:
        spec = json.load(fh)
    rootfs = engine.store.path(ctr.id, "rootfs")
    if user:
        who = resolve_user(rootfs, user)
        uid, gid, extra = who.uid, who.gid, who.additional_gids
    else:
        base_user = spec["process"]["user"]
        uid, gid = base_user["uid"], base_user["gid"]
        extra = tuple(base_user.get("additionalGids") or ())
    from kubelite.runtime.container_errors import CommandNotFound
    from kubelite.runtime.requests import merge_env, parse_volume
    from kubelite.runtime.users import find_executable

    binds = []
    for spec_text in ctr.host_config.binds:
        try:
            src, dst, _ = parse_volume(spec_text)
        except ContainerError:
            continue  # the host path is gone; runc will say so if it matters
        binds.append((src, dst))
    exec_env = merge_env(list(spec["process"].get("env") or []), env)
    if not find_executable(rootfs, args[0], exec_env, cwd or spec["process"].get("cwd", "/"), binds):
        raise CommandNotFound(
            f'exec: "{args[0]}": executable file not found in $PATH'
            if "/" not in args[0]
            else f'exec: "{args[0]}": stat {args[0]}: no such file or directory'
        )
    proc = process_spec(spec["process"], args, env=env, uid=uid, gid=gid, additional_gids=extra, cwd=cwd, tty=tty)
    fd, path = tempfile.mkstemp(prefix="exec-", suffix=".json", dir=engine.store.path(ctr.id))
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(proc))

    def cleanup() -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    return engine.runc.exec_argv(ctr.id, path, tty=tty, detach=detach), cleanup


def exec_capture(
    engine: Engine, ref: str, args: list[str], *, env: list[str] | None = None, timeout: float | None = None
) -> tuple[int, bytes, bytes]:
    """Run ``args`` in the container and return (exit code, stdout, stderr); for the CRI's ExecSync.

    Output goes through temporary files, not pipes (a process the command leaves behind would hold a
    pipe open and we would never see EOF)."""
    argv, cleanup = prepare_exec(engine, ref, args, env=env or [], user="", cwd="", tty=False)
    try:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.run(
                    argv, check=False, stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=timeout
                )
                code = proc.returncode
            except subprocess.TimeoutExpired:
                code = -1
            out.seek(0)
            err.seek(0)
            return code, out.read(), err.read()
    finally:
        cleanup()

"""Resolving ``-u USER[:GROUP]`` against the container's own /etc/passwd and /etc/group (pure parsing)."""

from __future__ import annotations

import os

from kubelite.runtime.container_errors import InvalidArgument
from kubelite.runtime.spec import User


def _table(path: str) -> list[list[str]]:
    try:
        with open(path, errors="replace") as fh:
            return [line.split(":") for line in fh.read().splitlines() if line and not line.startswith("#")]
    except FileNotFoundError:
        return []


def _in_root(rootfs: str, path: str) -> str:
    """``path`` (absolute, inside the container) resolved against ``rootfs``, following symlinks as
    the container would see them (absolute targets re-rooted), without ever leaving ``rootfs``."""
    parts = [p for p in path.split("/") if p and p != "."]
    current = rootfs
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            current = os.path.dirname(current) if current != rootfs else rootfs
            continue
        candidate = os.path.join(current, part)
        if os.path.islink(candidate):
            hops += 1
            if hops > 40:
                return candidate
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = rootfs
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        current = candidate
    return current


def find_executable(
    rootfs: str, command: str, env: list[str], cwd: str = "/", binds: list[tuple[str, str]] | None = None
) -> bool:
    """Whether ``command`` names an executable file in the container, searched as execve(PATH) would.

    ``binds`` are (host source, container destination) bind mounts: a path below a destination is
    looked up in its source, since the mount is not visible in the rootfs from the host. Checked before
    starting so a typo gives one clear error line instead of runc's.
    """

    def host_path(path: str) -> str:
        for src, destination in sorted(binds or [], key=lambda b: len(b[1]), reverse=True):
            dst = destination.rstrip("/") or "/"
            if path == dst or path.startswith(dst + "/"):
                return os.path.join(src, path[len(dst) :].lstrip("/"))
        return _in_root(rootfs, path)

    def executable(path: str) -> bool:
        target = host_path(os.path.normpath(path))
        return os.path.isfile(target) and os.access(target, os.X_OK)

    if "/" in command:
        return executable(command if command.startswith("/") else os.path.join(cwd or "/", command))
    default = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    search = next((e[5:] for e in env if e.startswith("PATH=")), default)
    return any(executable(os.path.join(d or "/", command)) for d in search.split(":"))


def resolve_user(rootfs: str, spec: str) -> User:
    """``""`` -> root; ``1000``, ``1000:1000``, ``www``, ``www:www`` looked up in the rootfs.

    Supplementary groups are those listing the user in /etc/group, as Docker does.
    """
    if not spec:
        return User(0, 0)
    user_part, _, group_part = spec.partition(":")
    passwd = _table(os.path.join(rootfs, "etc", "passwd"))
    groups = _table(os.path.join(rootfs, "etc", "group"))
    name = ""
    if user_part.isdigit():
        uid = int(user_part)
        gid = uid if not group_part else -1
        for row in passwd:
            if len(row) > 3 and row[2] == user_part:
                name, gid = row[0], int(row[3]) if row[3].isdigit() else uid
                break
    else:
        for row in passwd:
            if len(row) > 3 and row[0] == user_part:
                name, uid, gid = row[0], int(row[2]), int(row[3])
                break
        else:
            raise InvalidArgument(f"unable to find user {user_part}: no matching entries in passwd file")
    if group_part:
        if group_part.isdigit():
            gid = int(group_part)
        else:
            for row in groups:
                if len(row) > 2 and row[0] == group_part:
                    gid = int(row[2])
                    break
            else:
                raise InvalidArgument(f"unable to find group {group_part}: no matching entries in group file")
    extra = tuple(
        sorted(
            {int(row[2]) for row in groups if len(row) > 3 and name and name in row[3].split(",") and row[2].isdigit()}
            - {gid}
        )
    )
    return User(uid, gid, extra)

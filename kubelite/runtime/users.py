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

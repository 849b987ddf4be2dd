"""Resolving a path inside a root directory without ever leaving it (securejoin, in spirit).

Two roots, two policies. In the *build context* a symlink or ``..`` that would lead out is refused:
the user asked for a host file outside what they sent. In an *image's root filesystem* symlinks are
the container's: an absolute target means the rootfs's own ``/`` and ``..`` stops at its top, as the
kernel would see it inside the container (``clamp=True``).
"""

from __future__ import annotations

import os

from kubelite.build.errors import ContextError

_MAX_HOPS = 255


def resolve(root: str, rel: str, *, clamp: bool, follow_last: bool = True) -> str:
    """The host path of ``rel`` under ``root``, following symlinks inside ``root`` only.

    With ``clamp=False`` a way out raises :class:`ContextError` ("forbidden path outside the build
    context"); with ``clamp=True`` it is held at ``root``. ``follow_last=False`` leaves a final
    symlink itself (to replace it rather than write through it).
    """
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            elif not clamp:
                raise ContextError(f"forbidden path outside the build context: {rel}")
            continue
        candidate = os.path.join(root, *resolved, part)
        if (parts or follow_last) and os.path.islink(candidate):
            hops += 1
            if hops > _MAX_HOPS:
                raise ContextError(f"too many levels of symbolic links: {rel}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                if not clamp:
                    raise ContextError(f"forbidden path outside the build context: {rel} "
                                       f"(a symlink to {target})")
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)


def makedirs(root: str, rel: str, mode: int = 0o755, owner: tuple[int, int] | None = None) -> str:
    """``mkdir -p`` of ``rel`` inside ``root`` (symlinks followed, clamped); new directories get
    ``mode`` and ``owner``. Returns the host path."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    done = ""
    path = root
    for part in parts:
        done = f"{done}/{part}"
        path = resolve(root, done, clamp=True)
        if os.path.isdir(path):
            continue
        if os.path.lexists(path):
            os.unlink(path)
        os.mkdir(path, mode)
        os.chmod(path, mode)
        if owner is not None:
            os.lchown(path, *owner)
    return path

"""What the container side needs from the image side, as one small interface.

The container engine never reads blobs or layers itself: it asks an :class:`ImageSource` to resolve a
reference to an image (id, config, tags) and to mount a fresh writable root filesystem for a container
(an overlayfs snapshot keyed by the container id), and to release it on removal.

:class:`StoreImageSource` adapts the image engineer's ``ImageStore``/``Snapshotter`` (imported lazily,
so ``kubelite ps`` never pays for them). Tests may pass any other implementation, e.g.
:class:`kubelite.testing.dir_images.DirImageSource` (a plain directory as the image).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubelite.runtime.container_errors import InvalidArgument, NotFound


@dataclass(frozen=True)
class ImageInfo:
    id: str
    config: dict[str, Any]  # Docker's config keys: Env, Entrypoint, Cmd, WorkingDir, User...
    repo_tags: list[str] = field(default_factory=list)
    raw: Any = None  # the image side's own object, for prepare_rootfs


class ImageSource(Protocol):
    def resolve(self, ref: str) -> ImageInfo:
        """The image for ``ref``; raises NotFound (missing) or InvalidArgument (malformed reference)."""
        ...

    def prepare_rootfs(self, key: str, image: ImageInfo, target: str) -> None:
        """Mount a new writable snapshot of ``image`` at ``target`` (a directory that exists)."""
        ...

    def release_rootfs(self, key: str, target: str) -> None:
        """Unmount ``target`` and drop the snapshot ``key``; idempotent."""
        ...

    def list_images(self) -> list[ImageInfo]:
        """Every image (for the CRI's ListImages)."""
        ...

    def remove_image(self, ref: str) -> None:
        """Untag/delete ``ref``; NotFound if absent, InvalidState while a container uses it."""
        ...


def _config_dict(cfg: Any) -> dict[str, Any]:
    """The image config as Docker's dict, whatever shape the image side gives (dict or object)."""
    if cfg is None:
        return {}
    if isinstance(cfg, dict):
        inner = cfg.get("config", cfg)
        return dict(inner) if isinstance(inner, dict) else {}
    for attr in ("to_json", "to_dict", "as_dict"):
        fn = getattr(cfg, attr, None)
        if callable(fn):
            value = fn()
            if isinstance(value, dict):
                return _config_dict(value)
    keys = ("Env", "Entrypoint", "Cmd", "WorkingDir", "User", "ExposedPorts", "StopSignal", "Labels")
    out = {}
    for key in keys:
        for attr in (key, _snake(key)):
            if hasattr(cfg, attr):
                out[key] = getattr(cfg, attr)
                break
    return out


def detach(target: str) -> None:
    """Lazily unmount ``target`` (MNT_DETACH) if it is a mount point.

    A plain umount of an overlay syncs the upper filesystem, which on a busy host costs hundreds of
    milliseconds per container removal; the container is gone (runc deleted it), so nothing uses the
    mount and detaching is safe.
    """
    if not os.path.ismount(target):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.umount2(target.encode(), 2)


def _info(image: Any) -> ImageInfo:
    return ImageInfo(
        id=str(image.id),
        config=_config_dict(getattr(image, "config", None)),
        repo_tags=list(getattr(image, "repo_tags", []) or []),
        raw=image,
    )


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class StoreImageSource:
    """The real image side: ``ImageStore(root).resolve`` and ``Snapshotter(root)``."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._snaps: Any = None

    def resolve(self, ref: str) -> ImageInfo:
        from kubelite.runtime.images import ImageStore  # type: ignore[import-not-found,unused-ignore]

        try:
            image = ImageStore(self.root).resolve(ref)
        except (KeyError, LookupError, FileNotFoundError) as err:
            raise NotFound(f"Unable to find image '{ref}' locally") from err
        except ValueError as err:
            text = str(err)
            raise InvalidArgument(text if "reference" in text else f"invalid reference format: {text}") from err
        except Exception as err:
            if type(err).__name__ in ("NotFound", "ImageNotFound", "ErrNotFound", "NotFoundError"):
                raise NotFound(f"Unable to find image '{ref}' locally") from err
            if "reference" in type(err).__name__.lower() or "invalid" in type(err).__name__.lower():
                raise InvalidArgument(f"invalid reference format: {err}") from err
            raise
        return ImageInfo(
            id=str(image.id),
            config=_config_dict(getattr(image, "config", None)),
            repo_tags=list(getattr(image, "repo_tags", []) or []),
            raw=image,
        )

    def _snapshotter(self) -> Any:
        """One Snapshotter per source (it loads libc through ctypes on first mount: do that once)."""
        if self._snaps is None:
            from kubelite.runtime.snapshots import Snapshotter  # type: ignore[import-not-found,unused-ignore]

            self._snaps = Snapshotter(self.root)
        return self._snaps

    def prepare_rootfs(self, key: str, image: ImageInfo, target: str) -> None:
        from kubelite.runtime.snapshots import SnapshotError

        snaps = self._snapshotter()
        try:
            mounts = snaps.prepare(key, image.raw)
        except SnapshotError as err:  # a hostile or corrupt layer: one clear line, not a traceback
            raise InvalidArgument(f"image {(image.repo_tags or [image.id])[0]}: {err}") from None
        snaps.mount(mounts, target)

    def release_rootfs(self, key: str, target: str) -> None:
        snaps = self._snapshotter()
        detach(target)
        if os.path.ismount(target):  # still mounted only if the detach failed
            try:
                snaps.unmount(target)
            except (FileNotFoundError, OSError):
                pass
        try:
            snaps.remove(key)
        except (KeyError, LookupError, FileNotFoundError):
            pass

    def list_images(self) -> list[ImageInfo]:
        from kubelite.runtime.images import ImageStore

        return [_info(img) for img in ImageStore(self.root).list()]

    def remove_image(self, ref: str) -> None:
        from kubelite.runtime.container_errors import InvalidState
        from kubelite.runtime.images import ImageStore

        try:
            ImageStore(self.root).remove(ref)
        except LookupError as err:
            raise NotFound(str(err)) from err
        except Exception as err:
            if "Conflict" in type(err).__name__:
                raise InvalidState(str(err)) from err
            raise

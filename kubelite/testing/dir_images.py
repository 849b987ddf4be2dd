"""An :class:`~kubelite.runtime.image_source.ImageSource` whose images are plain rootfs directories.

For tests of the container side that must not depend on the image store: each image is a directory
(made e.g. by :func:`make_busybox_rootfs`) plus a Docker-style config dict; a container's root is a
real overlayfs mount (the directory as lowerdir, a per-container upperdir), as the real snapshotter gives.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from typing import Any

from kubelite.runtime.container_errors import InvalidArgument, NotFound
from kubelite.runtime.image_source import ImageInfo

BUSYBOX = "/bin/busybox"


def make_busybox_rootfs(target: str) -> str:
    """A minimal root filesystem: busybox-static and its applet links, /etc/passwd and /etc/group."""
    busybox = shutil.which("busybox") or BUSYBOX
    if not os.path.exists(busybox):
        raise RuntimeError("busybox not found: apt-get install busybox-static")
    for d in ("bin", "etc", "proc", "sys", "dev", "tmp", "root", "var/www", "mnt", "home"):
        os.makedirs(os.path.join(target, d), exist_ok=True)
    shutil.copy2(busybox, os.path.join(target, "bin", "busybox"))
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        link = os.path.join(target, "bin", applet)
        if applet != "busybox" and not os.path.lexists(link):
            os.symlink("busybox", link)
    with open(os.path.join(target, "etc", "passwd"), "w") as fh:
        fh.write(
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
            "www:x:1000:1000:www:/var/www:/bin/sh\n"
        )
    with open(os.path.join(target, "etc", "group"), "w") as fh:
        fh.write("root:x:0:\nnogroup:x:65534:\nwww:x:1000:\n")
    os.chmod(os.path.join(target, "tmp"), 0o1777)
    return target


class DirImageSource:
    """Images by name -> (rootfs directory, config). ``add`` registers one."""

    def __init__(self, work: str) -> None:
        self.work = work
        self.images: dict[str, ImageInfo] = {}

    def add(self, name: str, rootfs: str, config: dict[str, Any] | None = None) -> ImageInfo:
        digest = "sha256:" + hashlib.sha256(f"{name}{rootfs}".encode()).hexdigest()
        info = ImageInfo(id=digest, config=dict(config or {}), repo_tags=[name], raw=rootfs)
        self.images[name] = info
        if ":" not in name:
            self.images[name + ":latest"] = info
        return info

    def resolve(self, ref: str) -> ImageInfo:
        if not ref or ref != ref.strip() or any(c.isupper() for c in ref.split(":", maxsplit=1)[0]):
            raise InvalidArgument(f"invalid reference format: {ref!r}")
        for candidate in (ref, ref + ":latest"):
            if candidate in self.images:
                return self.images[candidate]
        for info in self.images.values():
            if info.id == ref or info.id.removeprefix("sha256:").startswith(ref):
                return info
        raise NotFound(f"Unable to find image '{ref}' locally")

    def prepare_rootfs(self, key: str, image: ImageInfo, target: str) -> None:
        base = os.path.join(self.work, "snap", key)
        upper, work = os.path.join(base, "upper"), os.path.join(base, "work")
        os.makedirs(upper, exist_ok=True)
        os.makedirs(work, exist_ok=True)
        os.makedirs(target, exist_ok=True)
        subprocess.run(
            [
                "mount",
                "-t",
                "overlay",
                "overlay",
                "-o",
                f"lowerdir={image.raw},upperdir={upper},workdir={work}",
                target,
            ],
            check=True,
            capture_output=True,
        )

    def release_rootfs(self, key: str, target: str) -> None:
        if os.path.ismount(target):
            subprocess.run(["umount", "-l", target], check=False, capture_output=True)
        shutil.rmtree(os.path.join(self.work, "snap", key), ignore_errors=True)

    def list_images(self) -> list[ImageInfo]:
        seen: dict[str, ImageInfo] = {}
        for info in self.images.values():
            seen.setdefault(info.id, info)
        return list(seen.values())

    def remove_image(self, ref: str) -> None:
        info = self.resolve(ref)
        for name in [n for n, i in self.images.items() if i.id == info.id]:
            del self.images[name]

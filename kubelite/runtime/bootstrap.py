"""Base images without a registry: ``busybox`` from Debian's busybox-static, ``debian`` by mmdebstrap.

``bootstrap_busybox(root)`` builds a one-layer image tagged ``busybox:latest``: ``/bin/busybox`` (the
static binary of the host's busybox-static package), a symlink to it for every applet at the path
``busybox --list-full`` gives, a minimal ``/etc`` (passwd, group, hosts, nsswitch.conf, shadow-less
accounts as in the Docker Hub image) and the usual empty directories. Every entry is owned by root and
timed at the binary's mtime, so the same busybox binary always gives the same image id. It takes a
fraction of a second and is what every e2e test runs.

``bootstrap_debian(root, suite, include)`` runs ``mmdebstrap --variant=minbase --skip=output/dev``
against the Debian mirror (about 45 s with redis-server here) into a tarball, then imports it like
``kubelite import``.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time
from collections.abc import Sequence

from kubelite.runtime.images import Image, ImageStore

BUSYBOX_PATHS = ("/bin/busybox", "/usr/bin/busybox")
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
_GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
mail:x:12:
www-data:x:33:
operator:x:37:
staff:x:50:
users:x:100:
nogroup:x:65534:
"""
_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
_NSSWITCH = "hosts: files dns\nnetworks: files\npasswd: files\ngroup: files\nshadow: files\n"
_DIRS = {"bin": 0o755, "sbin": 0o755, "usr": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755, "etc": 0o755,
         "dev": 0o755, "proc": 0o755, "sys": 0o755, "root": 0o700, "home": 0o755, "tmp": 0o1777,
         "var": 0o755, "var/spool": 0o755, "var/spool/mail": 0o755, "var/www": 0o755, "lib": 0o755}


class BootstrapError(Exception):
    """A base image could not be made (a missing tool, a failed debootstrap); one clear line."""


def find_static_busybox() -> str:
    for path in BUSYBOX_PATHS:
        if os.path.isfile(path) and is_static_elf(path):
            return path
    raise BootstrapError("no static busybox found: install it with 'apt-get install busybox-static'")


def is_static_elf(path: str) -> bool:
    """True for an ELF executable without a program interpreter (PT_INTERP), i.e. statically linked."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2:
            return False
        endian = "<" if head[5] == 1 else ">"
        phoff, = struct.unpack_from(endian + "Q", head, 32)
        phentsize, phnum = struct.unpack_from(endian + "HH", head, 54)
        fh.seek(phoff)
        table = fh.read(phentsize * phnum)
    for i in range(phnum):
        p_type, = struct.unpack_from(endian + "I", table, i * phentsize)
        if p_type == 3:  # PT_INTERP
            return False
    return True


def make_busybox_rootfs(target: str, busybox: str) -> None:
    """Lay out the busybox root filesystem in ``target`` (an empty directory)."""
    for rel, mode in _DIRS.items():
        path = os.path.join(target, rel)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
    shutil.copyfile(busybox, os.path.join(target, "bin", "busybox"))
    os.chmod(os.path.join(target, "bin", "busybox"), 0o755)
    applets = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True).stdout
    for raw in applets.split():
        rel = raw.strip("/")
        if not rel or rel == "bin/busybox" or ".." in rel.split("/"):
            continue
        link = os.path.join(target, rel)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.lexists(link):
            os.symlink("/bin/busybox", link)
    files = {"etc/passwd": _PASSWD, "etc/group": _GROUP, "etc/hosts": _HOSTS, "etc/nsswitch.conf": _NSSWITCH,
             "etc/shadow": "".join(f"{line.split(':')[0]}:*:10933:0:99999:7:::\n"
                                   for line in _PASSWD.splitlines())}
    for rel, text in files.items():
        with open(os.path.join(target, rel), "w") as fh:
            fh.write(text)
        os.chmod(os.path.join(target, rel), 0o640 if rel == "etc/shadow" else 0o644)


def bootstrap_busybox(root: str, name: str = "busybox:latest") -> Image:
    """Build (or rebuild, identically) the busybox image and tag it ``name``."""
    from kubelite.runtime.layers import write_layer

    busybox = find_static_busybox()
    mtime = int(os.stat(busybox).st_mtime)
    store = ImageStore(root)
    with store.ingest():
        tmp = store.content.tmp_name("bootstrap")
        os.makedirs(tmp)
        try:
            make_busybox_rootfs(tmp, busybox)
            with store.content.writer() as w:
                info = write_layer(tmp, w, mtime=mtime, owner=(0, 0))  # type: ignore[arg-type]
                blob = w.commit()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        from kubelite.oci.descriptor import Descriptor

        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))
        history = [{"created": created, "created_by": f"kubelite image bootstrap busybox ({busybox})"}]
        return store.create([Descriptor(info.media_type, blob.digest, blob.size)], [info.diff_id],
                            container_config={"Env": [DEFAULT_PATH], "Cmd": ["sh"]},
                            names=[name], history=history, created=created)


def bootstrap_debian(root: str, suite: str = "bookworm", include: Sequence[str] = (),
                     name: str | None = None, mirror: str | None = None) -> Image:
    """mmdebstrap a minbase Debian ``suite`` (plus ``include`` packages) and import it as an image."""
    from kubelite.runtime.archive import import_tarball

    tool = shutil.which("mmdebstrap")
    if tool is None:
        raise BootstrapError("mmdebstrap not found: install it with 'apt-get install mmdebstrap'")
    for pkg in include:
        if not pkg or not all(c.isalnum() or c in "+-.:~" for c in pkg):
            raise BootstrapError(f"invalid package name {pkg!r}")
    store = ImageStore(root)
    out = store.content.tmp_name("debian") + ".tar"
    # --skip=output/dev: no device nodes in the tarball (layers with devices are refused; the runtime
    # gives every container its own /dev).
    cmd = [tool, "--variant=minbase", "--quiet", "--skip=output/dev"]
    if include:
        cmd.append("--include=" + ",".join(include))
    cmd += [suite, out]
    if mirror:
        cmd.append(mirror)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise BootstrapError(f"mmdebstrap failed (exit {proc.returncode}): {tail[0]}")
        history = [{"created_by": " ".join(["mmdebstrap", *cmd[1:-1]])}]
        with open(out, "rb") as fh:
            image: Image = import_tarball(root, fh, name or f"debian:{suite}",
                                  container_config={"Env": [DEFAULT_PATH], "Cmd": ["bash"]},
                                  history=history)
        return image
    finally:
        if os.path.exists(out):
            os.unlink(out)

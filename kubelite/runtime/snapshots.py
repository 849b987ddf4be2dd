"""The overlayfs snapshotter: layers unpacked once, keyed by chain id; a writable rootfs per container.

Layout under the engine root::

    ROOT/snapshots/
      layers/<chain-id hex>/
        fs/               the layer unpacked in overlay form (whiteouts as 0/0 char devices, opaque
                          dirs marked trusted.overlay.opaque=y): usable as a lowerdir as is
        meta.json         {"chain_id", "diff_id", "parent", "size"}
      active/<key>/
        upper/  work/     the container's writable layer and overlayfs's work dir
        meta.json         {"key", "image_id", "lowers": [chain ids, top first], "created"}
      empty/              the lowerdir of an image without layers (FROM scratch)
      l/<16 hex>          short symlinks to layers/<hex>/fs, made only for stacks too long to name
                          in one page of mount options

A layer directory appears only complete (unpacked in ``ROOT/tmp`` then renamed into place), so a
killed unpack leaves only temp files; two processes unpacking the same layer race harmlessly (the
loser's copy is dropped). Layers shared by images (same chain id) are unpacked once.

Contract (others code against it; names are stable):

- ``Snapshotter(root, kernel=None)``; ``kernel`` is the mount seam (:class:`MountKernel`), the real
  one by default.
- ``prepare(key, image) -> Mounts``: unpack the image's layers if needed and make ``active/<key>``;
  ``Mounts.lowerdirs`` (top first), ``.upperdir``, ``.workdir``. Raises :class:`SnapshotExistsError`,
  or :class:`BadLayerError` (one line, e.g. a hostile layer of a pulled image).
  ``image`` is anything with ``.id``, ``.layers`` (descriptors) and ``.diff_ids``
  (:class:`kubelite.runtime.images.Image`).
- ``mount(mounts, target)`` / ``unmount(target)``: the overlay mount of a prepared snapshot.
- ``remove(key)``: drop ``active/<key>`` (unmount first); raises :class:`SnapshotNotFoundError`.
- ``commit_diff(key) -> CommittedLayer(descriptor, diff_id)``: the snapshot's upper dir, whiteouts
  included, as a new gzip layer blob in the content store (for builds: then
  ``ImageStore.create``/``add`` an image whose layers are the parent's plus this one, holding
  ``ImageStore.ingest()`` from the commit to the add). When the snapshot is unmounted, its upper
  dir also becomes the new layer's unpacked directory and the snapshot carries on above it.
- ``mounts(key)``, ``active()``, ``prune_layers(keep)``: for the image store's reference counting.

Concurrency: ``prepare`` and ``commit_diff`` hold the ``content`` lock shared while they read or
write blobs and unpack, so ``rmi``/``prune`` (``content`` exclusive) never delete a layer or blob in
use; ``prune_layers`` must be called with ``content`` held exclusively.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kubelite.oci.descriptor import Descriptor
from kubelite.oci.digest import chain_ids
from kubelite.runtime.content import ContentStore
from kubelite.runtime.lock import EngineLock

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_OPTIONS_MAX = 4000  # mount(2) data is one page; leave room for the rest of the options


class SnapshotError(Exception):
    """Base of the snapshotter's errors."""


class SnapshotNotFoundError(SnapshotError, LookupError):
    pass


class SnapshotExistsError(SnapshotError, FileExistsError):
    pass


class MountError(SnapshotError, OSError):
    pass


class BadLayerError(SnapshotError, ValueError):
    """A layer of the image cannot be unpacked: unsafe, malformed, missing or not what the config says.

    Permanent: the image is bad (e.g. a hostile layer pulled from a registry); the message is one line.
    """


class ImageLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def layers(self) -> Sequence[Descriptor]: ...
    @property
    def diff_ids(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Mounts:
    """What to mount for one container: an overlay of ``lowerdirs`` (top first) under ``upperdir``."""

    lowerdirs: tuple[str, ...]
    upperdir: str
    workdir: str

    def options(self) -> str:
        return f"lowerdir={':'.join(self.lowerdirs)},upperdir={self.upperdir},workdir={self.workdir}"


@dataclass(frozen=True)
class CommittedLayer:
    descriptor: Descriptor
    diff_id: str


class MountKernel(Protocol):
    """The one seam to the kernel's mount table (architecture habit 12)."""

    def mount_overlay(self, target: str, options: str, cwd: str | None = None) -> None: ...
    def unmount(self, target: str) -> None: ...


class LibcMounts:
    """mount(2)/umount2(2) through libc: no fork per mount."""

    def __init__(self) -> None:
        import ctypes
        import ctypes.util

        self._ctypes = ctypes
        self._libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

    def mount_overlay(self, target: str, options: str, cwd: str | None = None) -> None:
        old = os.getcwd() if cwd else None
        try:
            if cwd:
                os.chdir(cwd)  # relative lowerdirs keep long stacks under one page of options
            rc = self._libc.mount(b"overlay", target.encode(), b"overlay", 0, options.encode())
            if rc != 0:
                err = self._ctypes.get_errno()
                raise MountError(err, f"overlay mount on {target} failed: {os.strerror(err)}")
        finally:
            if old:
                os.chdir(old)

    def unmount(self, target: str) -> None:
        if self._libc.umount2(target.encode(), 0) != 0:
            err = self._ctypes.get_errno()
            if err == 16:  # EBUSY: something still has it open; detach it as docker does
                if self._libc.umount2(target.encode(), 2) == 0:
                    return
                err = self._ctypes.get_errno()
            raise MountError(err, f"unmount of {target} failed: {os.strerror(err)}")


class Snapshotter:
    """Overlay snapshots under ``ROOT/snapshots``; see the module docstring for the contract."""

    def __init__(self, root: str, kernel: MountKernel | None = None) -> None:
        self.root = root
        self.base = os.path.join(root, "snapshots")
        self.layers_dir = os.path.join(self.base, "layers")
        self.active_dir = os.path.join(self.base, "active")
        self.empty_dir = os.path.join(self.base, "empty")
        for d in (self.layers_dir, self.active_dir, self.empty_dir):
            os.makedirs(d, exist_ok=True)
        self.content = ContentStore(root)
        self._kernel = kernel

    @property
    def kernel(self) -> MountKernel:
        if self._kernel is None:
            self._kernel = LibcMounts()
        return self._kernel

    # -- layers ------------------------------------------------------------------------------------

    def layer_path(self, chain: str) -> str:
        return os.path.join(self.layers_dir, chain.partition(":")[2])

    def has_layer(self, chain: str) -> bool:
        return os.path.isdir(os.path.join(self.layer_path(chain), "fs"))

    def ensure_layers(self, image: ImageLike) -> list[str]:
        """Unpack every layer of ``image`` not yet unpacked; its chain ids, bottom first."""
        diff_ids = list(image.diff_ids)
        layers = list(image.layers)
        if len(diff_ids) != len(layers):
            raise SnapshotError(f"image {image.id}: {len(layers)} layers but {len(diff_ids)} diff ids")
        chains = chain_ids(diff_ids)
        for i, (chain, diff, desc) in enumerate(zip(chains, diff_ids, layers, strict=True)):
            if not self.has_layer(chain):
                self._unpack(chain, diff, desc, chains[i - 1] if i else None)
        return chains

    def _unpack(self, chain: str, diff_id: str, desc: Descriptor, parent: str | None) -> None:
        from kubelite.runtime.content import ContentError
        from kubelite.runtime.layers import LayerError, unpack_layer

        tmp = self.content.tmp_name("unpack")
        os.makedirs(tmp)
        try:
            try:
                with self.content.open(desc.digest) as fh:
                    result = unpack_layer(fh, os.path.join(tmp, "fs"), whiteouts="overlay")
            except (LayerError, ContentError) as err:
                raise BadLayerError(f"layer {desc.digest}: {err}") from err
            if result.diff_id != diff_id:
                raise BadLayerError(
                    f"layer {desc.digest} does not match the image config: diff id {result.diff_id}, "
                    f"config says {diff_id}")
            _write_json(os.path.join(tmp, "meta.json"), {"chain_id": chain, "diff_id": diff_id,
                                                         "parent": parent, "size": result.size})
            try:
                os.rename(tmp, self.layer_path(chain))
            except OSError:
                if not self.has_layer(chain):
                    raise
                # Another process unpacked the same layer first: keep theirs.
        finally:
            if os.path.exists(tmp):
                shutil.rmtree(tmp, ignore_errors=True)

    def install_layer(self, unpacked: str, chain: str, diff_id: str, parent: str | None, size: int) -> None:
        """Adopt a layer already unpacked (overlay mode) at ``unpacked/fs`` under ``chain``.

        ``unpacked`` must be a directory in ``ROOT/tmp``; it is renamed into place, or dropped when
        the layer is already there. Loads and imports unpack once this way, validating as they go.
        """
        try:
            if self.has_layer(chain):
                return
            _write_json(os.path.join(unpacked, "meta.json"), {"chain_id": chain, "diff_id": diff_id,
                                                              "parent": parent, "size": size})
            try:
                os.rename(unpacked, self.layer_path(chain))
            except OSError:
                if not self.has_layer(chain):
                    raise
        finally:
            if os.path.exists(unpacked):
                shutil.rmtree(unpacked, ignore_errors=True)

    def layer_chains(self) -> Iterator[str]:
        for name in os.listdir(self.layers_dir):
            if len(name) == 64:
                yield "sha256:" + name

    def prune_layers(self, keep: Iterable[str]) -> list[str]:
        """Remove unpacked layers neither in ``keep`` nor below an active snapshot; hold ``content``."""
        keep_set = set(keep)
        for key in self.active():
            keep_set.update(self._meta(key).get("lowers", []))
        removed = []
        for chain in list(self.layer_chains()):
            if chain not in keep_set:
                shutil.rmtree(self.layer_path(chain), ignore_errors=True)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self.base, "l", chain.partition(":")[2][:16]))
                removed.append(chain)
        return removed

    # -- active snapshots ---------------------------------------------------------------------------

    def _key_dir(self, key: str) -> str:
        if not _KEY_RE.match(key):
            raise SnapshotError(f"invalid snapshot key {key!r}")
        return os.path.join(self.active_dir, key)

    def prepare(self, key: str, image: ImageLike) -> Mounts:
        path = self._key_dir(key)
        with EngineLock(self.root, "content", shared=True):
            chains = self.ensure_layers(image)
            tmp = self.content.tmp_name("snap")
            os.makedirs(os.path.join(tmp, "upper"), 0o755)
            os.makedirs(os.path.join(tmp, "work"), 0o700)
            lowers = list(reversed(chains))
            _write_json(os.path.join(tmp, "meta.json"), {
                "key": key, "image_id": image.id, "lowers": lowers,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            try:
                os.rename(tmp, path)
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)
                raise SnapshotExistsError(f"snapshot {key!r} already exists") from None
        return self.mounts(key)

    def _meta(self, key: str) -> dict[str, Any]:
        try:
            with open(os.path.join(self._key_dir(key), "meta.json"), "rb") as fh:
                meta: dict[str, Any] = json.load(fh)
        except FileNotFoundError:
            raise SnapshotNotFoundError(f"snapshot {key!r} not found") from None
        return meta

    def mounts(self, key: str) -> Mounts:
        meta = self._meta(key)
        path = self._key_dir(key)
        lowers = [os.path.join(self.layer_path(c), "fs") for c in meta["lowers"]] or [self.empty_dir]
        return Mounts(lowerdirs=tuple(lowers), upperdir=os.path.join(path, "upper"),
                      workdir=os.path.join(path, "work"))

    def image_of(self, key: str) -> str:
        return str(self._meta(key).get("image_id", ""))

    def active(self) -> list[str]:
        return sorted(n for n in os.listdir(self.active_dir) if _KEY_RE.match(n))

    def mount(self, mounts: Mounts, target: str) -> None:
        options = mounts.options()
        if len(options) <= _OPTIONS_MAX:
            self.kernel.mount_overlay(target, options)
            return
        # Long stacks: short symlinks ``snapshots/l/<16 hex>`` -> the layer, relative to a cwd, as
        # Docker's overlay2 does, so ~200 layers fit in one page of mount options.
        rel = [self._short_link(d) for d in mounts.lowerdirs]
        short = f"lowerdir={':'.join(rel)},upperdir={mounts.upperdir},workdir={mounts.workdir}"
        if len(short) > _OPTIONS_MAX:
            raise MountError(7, f"too many layers to mount ({len(rel)})")
        self.kernel.mount_overlay(target, short, cwd=self.base)

    def _short_link(self, lowerdir: str) -> str:
        hexname = os.path.basename(os.path.dirname(lowerdir))
        if os.path.dirname(os.path.dirname(lowerdir)) != self.layers_dir:
            return os.path.relpath(lowerdir, self.base)
        link = os.path.join(self.base, "l", hexname[:16])
        os.makedirs(os.path.dirname(link), exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.symlink(f"../layers/{hexname}/fs", link)
        return f"l/{hexname[:16]}"

    def unmount(self, target: str) -> None:
        self.kernel.unmount(target)

    def remove(self, key: str) -> None:
        path = self._key_dir(key)
        if not os.path.isdir(path):
            raise SnapshotNotFoundError(f"snapshot {key!r} not found")
        if _is_mounted_upper(os.path.join(path, "upper")):
            raise SnapshotError(f"snapshot {key!r} is still mounted: unmount it first")
        # Rename first so a half-removed snapshot is never seen under its key.
        doomed = self.content.tmp_name("rm")
        os.rename(path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)

    def commit_diff(self, key: str) -> CommittedLayer:
        """The upper dir as a new layer blob; when unmounted, also its unpacked snapshot, for free.

        An unmounted upper dir is already that layer in overlay form, so it becomes
        ``layers/<chain id>/fs`` by a rename and the snapshot continues on top of it with an empty
        upper dir: the same view, and the next build step's ``prepare`` unpacks nothing.
        """
        from kubelite.runtime.layers import write_layer

        upper = self.mounts(key).upperdir
        with EngineLock(self.root, "content", shared=True):
            with self.content.writer() as w:
                info = write_layer(upper, w, overlay_upper=True)  # type: ignore[arg-type]
                blob = w.commit()
            if not _is_mounted_upper(upper):
                self._adopt_upper(key, info.diff_id, info.uncompressed_size)
        desc = Descriptor(media_type=info.media_type, digest=blob.digest, size=blob.size)
        return CommittedLayer(descriptor=desc, diff_id=info.diff_id)

    def _adopt_upper(self, key: str, diff_id: str, size: int) -> None:
        meta = self._meta(key)
        lowers: list[str] = list(meta.get("lowers", []))
        parent = lowers[0] if lowers else None
        chain = chain_ids([parent, diff_id])[1] if parent else diff_id
        path = self._key_dir(key)
        tmp = self.content.tmp_name("commit")
        os.makedirs(tmp)
        os.rename(os.path.join(path, "upper"), os.path.join(tmp, "fs"))
        os.makedirs(os.path.join(path, "upper"), 0o755)
        self.install_layer(tmp, chain, diff_id, parent, size)
        meta["lowers"] = [chain, *lowers]
        _write_json(os.path.join(path, "meta.json"), meta)


def _is_mounted_upper(upper: str) -> bool:
    """Whether an overlay mount of this process's mount namespace uses ``upper``."""
    needle = f"upperdir={upper}"
    try:
        with open("/proc/self/mountinfo") as fh:
            return any(needle in line for line in fh)
    except OSError:
        return True  # cannot tell: assume it is, and leave it alone


def _write_json(path: str, obj: object) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(obj, fh)
    os.replace(tmp, path)


@contextlib.contextmanager
def mounted(snapshotter: Snapshotter, mounts: Mounts, target: str) -> Iterator[str]:
    """Mount for the duration of a block (tests, build steps); always unmounts."""
    snapshotter.mount(mounts, target)
    try:
        yield target
    finally:
        snapshotter.unmount(target)

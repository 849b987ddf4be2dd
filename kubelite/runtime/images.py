"""The image store: names to manifests, over the content store.

Layout under the engine root::

    ROOT/images/index.json    {"version": 1,
                               "images": {"<manifest digest>": {"id": "<config digest>", "added": "..."}},
                               "refs":   {"docker.io/library/busybox:latest": "<manifest digest>"}}

An image *is* a manifest in the content store (its digest is ``Image.digest``); its *id* is the
digest of its config, as with Docker. ``refs`` maps full normalised names to manifests; an image that
loses its last name stays, listed as ``<none>`` (dangling) until ``rmi``/``prune``. Every change is one
read-modify-write of ``index.json`` under the ``images`` lock, written to a temp file and renamed: an
image is registered whole or not at all, whatever kills the process.

Contract (others code against it; names are stable):

- ``ImageStore(root)``.
- ``resolve(ref) -> Image``: a name (``busybox``, ``localhost:5000/x:y``, ``name@sha256:...``), a full
  id or manifest digest (``sha256:...``) or a unique id prefix. Raises :class:`ImageNotFoundError`
  (``No such image: REF``) or ``kubelite.oci.InvalidReferenceError`` (both one-line messages).
- ``list() -> list[Image]`` (newest first); ``get(manifest_digest)``.
- ``add(manifest_digest, names=()) -> Image``: register a manifest already in the content store
  (its config and layers must be there too), tagging it with ``names``.
- ``tag(src, dst)``; ``remove(ref, force=False) -> list[str]`` (Docker's ``Untagged:``/``Deleted:``
  lines): reference-counted, blobs and unpacked layers no other image uses are deleted; refused
  (:class:`ImageConflictError`) while a container snapshot uses the image, unless only untagging with
  ``force``. ``prune(all_unused=False)``.
- ``create(layers, diff_ids, container_config=..., names=..., history=..., base=None) -> Image``:
  write a config and an OCI manifest for layer blobs already in the content store (on top of
  ``base``'s layers when given) and ``add`` it: how bootstrap, import and builds make images.
- ``ingest()``: a context manager holding the ``content`` lock shared. Hold it from writing the
  first blob of a new image until ``add`` returns (pull, load, build), so that a concurrent ``rmi``
  or ``prune`` never collects blobs about to be registered.

``Image`` carries ``.id``, ``.digest``, ``.repo_tags`` (familiar, ``busybox:latest``), ``.repo_digests``,
``.config`` (the container defaults dict: ``Env``, ``Entrypoint``, ``Cmd``, ``WorkingDir``, ``User``,
``ExposedPorts``, ``StopSignal``, ``Labels``, ``Volumes``, ``Healthcheck``), ``.image_config`` (the whole
:class:`~kubelite.oci.ImageConfig`), ``.manifest``, ``.layers`` (descriptors), ``.diff_ids``,
``.created``, ``.size`` (bytes of content: config plus layer blobs, as stored).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kubelite.oci import mediatypes as mt
from kubelite.oci.config import ImageConfig, new_config
from kubelite.oci.descriptor import Descriptor
from kubelite.oci.digest import chain_ids, validate_digest
from kubelite.oci.errors import InvalidReferenceError, OCIError
from kubelite.oci.manifest import Manifest, parse_manifest
from kubelite.oci.reference import looks_like_id, parse_reference
from kubelite.runtime.content import BlobNotFoundError, ContentError, ContentStore
from kubelite.runtime.lock import EngineLock

INDEX_VERSION = 1
_Lines = list[str]  # the class below has a ``list`` method, which shadows the builtin in annotations


class ImageError(Exception):
    """Base of the image store's errors."""


class ImageNotFoundError(ImageError, LookupError):
    """No image matches the reference."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0]) if self.args else "No such image"


class ImageConflictError(ImageError):
    """The operation would break something in use (a container's image, an ambiguous id)."""


class InvalidImageError(ImageError, ValueError):
    """The manifest, config or layers of an image are malformed or missing."""


@dataclass(frozen=True)
class Image:
    digest: str
    id: str
    manifest: Manifest
    image_config: ImageConfig
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # full normalised names
    added: str = ""

    @property
    def config(self) -> dict[str, Any]:
        return self.image_config.config

    @property
    def layers(self) -> tuple[Descriptor, ...]:
        return self.manifest.layers

    @property
    def diff_ids(self) -> list[str]:
        return self.image_config.diff_ids

    @property
    def chain_ids(self) -> list[str]:
        return chain_ids(self.diff_ids)

    @property
    def created(self) -> str:
        return self.image_config.created or self.added

    @property
    def size(self) -> int:
        return self.manifest.config.size + sum(layer.size for layer in self.layers)

    @property
    def short_id(self) -> str:
        return self.id.partition(":")[2][:12]

    def blobs(self) -> set[str]:
        return {self.digest, self.manifest.config.digest, *(layer.digest for layer in self.layers)}

    def inspect(self) -> dict[str, Any]:
        """Docker's ``docker image inspect`` shape."""
        cfg = self.image_config
        return {
            "Id": self.id, "RepoTags": list(self.repo_tags), "RepoDigests": list(self.repo_digests),
            "Parent": "", "Comment": str(cfg.raw.get("comment", "")), "Created": self.created,
            "DockerVersion": "", "Author": str(cfg.raw.get("author", "")), "Config": dict(self.config),
            "Architecture": cfg.architecture, "Os": cfg.os, "Size": self.size,
            "GraphDriver": {"Name": "overlay2", "Data": None},
            "RootFS": {"Type": "layers", "Layers": list(self.diff_ids)},
            "Metadata": {"LastTagTime": self.added},
            "Descriptor": {"mediaType": self.manifest.media_type, "digest": self.digest},
        }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class ImageStore:
    """Images under ``ROOT/images``; see the module docstring for the contract."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.dir = os.path.join(root, "images")
        self.index_path = os.path.join(self.dir, "index.json")
        os.makedirs(self.dir, exist_ok=True)
        self.content = ContentStore(root)

    # -- the index file -----------------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.index_path, "rb") as fh:
                data: dict[str, Any] = json.load(fh)
        except FileNotFoundError:
            data = {}
        except ValueError as err:
            raise ImageError(f"image index {self.index_path} is corrupt: {err}") from None
        data.setdefault("version", INDEX_VERSION)
        data.setdefault("images", {})
        data.setdefault("refs", {})
        return data

    def _write(self, data: dict[str, Any]) -> None:
        tmp = self.content.tmp_name("index")
        with open(tmp, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.index_path)

    @contextmanager
    def _edit(self) -> Iterator[dict[str, Any]]:
        with EngineLock(self.root, "images"):
            data = self._read()
            yield data
            self._write(data)

    @contextmanager
    def ingest(self) -> Iterator[None]:
        with EngineLock(self.root, "content", shared=True):
            yield

    # -- reading ------------------------------------------------------------------------------------

    def _load(self, digest: str, record: dict[str, Any], refs: dict[str, str]) -> Image:
        try:
            manifest = parse_manifest(self.content.read_bytes(digest))
            config = ImageConfig.parse(self.content.read_bytes(manifest.config.digest))
        except BlobNotFoundError as err:
            raise InvalidImageError(f"image {digest} is incomplete: {err}") from None
        names = sorted(name for name, d in refs.items() if d == digest)
        parsed = [parse_reference(n) for n in names]
        repos = sorted({r.familiar_name for r in parsed})
        return Image(digest=digest, id=str(record.get("id") or manifest.config.digest),
                     manifest=manifest, image_config=config,
                     repo_tags=[r.familiar() for r in parsed],
                     repo_digests=[f"{repo}@{digest}" for repo in repos],
                     names=names, added=str(record.get("added", "")))

    def get(self, digest: str) -> Image:
        data = self._read()
        record = data["images"].get(digest)
        if record is None:
            raise ImageNotFoundError(f"No such image: {digest}")
        return self._load(digest, record, data["refs"])

    def list(self) -> list[Image]:
        data = self._read()
        images = []
        for digest, record in data["images"].items():
            try:
                images.append(self._load(digest, record, data["refs"]))
            except (ImageError, OCIError, ContentError):
                continue  # a damaged entry must not hide the others; resolve() names the damage
        return sorted(images, key=lambda im: (im.created, im.added), reverse=True)

    def resolve(self, ref: str) -> Image:
        data = self._read()
        digest = self._find(data, ref)
        return self._load(digest, data["images"][digest], data["refs"])

    def _find(self, data: dict[str, Any], ref: str) -> str:
        images: dict[str, Any] = data["images"]
        refs: dict[str, str] = data["refs"]
        if not isinstance(ref, str) or not ref:
            raise InvalidReferenceError("invalid reference format: empty reference")
        if ref.startswith("sha256:"):
            try:
                validate_digest(ref)
            except OCIError:
                return self._by_prefix(images, ref.partition(":")[2], ref)
            if ref in images:
                return ref
            for digest, rec in images.items():
                if rec.get("id") == ref:
                    return digest
            raise ImageNotFoundError(f"No such image: {ref}")
        if looks_like_id(ref):
            return self._by_prefix(images, ref, ref)
        try:
            parsed = parse_reference(ref)
        except InvalidReferenceError:
            if _is_hex_prefix(ref):
                return self._by_prefix(images, ref, ref)
            raise
        if parsed.digest:
            if parsed.digest in images:
                return parsed.digest
            raise ImageNotFoundError(f"No such image: {ref}")
        found = refs.get(str(parsed))
        if found is not None and found in images:
            return found
        if _is_hex_prefix(ref):
            return self._by_prefix(images, ref, ref)
        raise ImageNotFoundError(f"No such image: {parsed.familiar()}")

    def _by_prefix(self, images: dict[str, Any], prefix: str, ref: str) -> str:
        matches = {d for d, rec in images.items()
                   if str(rec.get("id", "")).partition(":")[2].startswith(prefix)}
        if not matches:
            raise ImageNotFoundError(f"No such image: {ref}")
        if len({images[d].get("id") for d in matches}) > 1:
            raise ImageConflictError(f"image id prefix {ref!r} is ambiguous: give more characters")
        return sorted(matches)[0]

    # -- changing -----------------------------------------------------------------------------------

    def validate(self, digest: str) -> Image:
        """Check that a manifest, its config and every layer are in the content store and agree."""
        try:
            manifest = parse_manifest(self.content.read_bytes(digest))
            config = ImageConfig.parse(self.content.read_bytes(manifest.config.digest))
        except BlobNotFoundError as err:
            raise InvalidImageError(f"cannot add image {digest}: {err}") from None
        except OCIError as err:
            raise InvalidImageError(f"cannot add image {digest}: {err}") from None
        if len(config.diff_ids) != len(manifest.layers):
            raise InvalidImageError(f"image {digest}: {len(manifest.layers)} layers but "
                                    f"{len(config.diff_ids)} diff ids in its config")
        for layer in manifest.layers:
            info = self.content.info(layer.digest) if self.content.has(layer.digest) else None
            if info is None:
                raise InvalidImageError(f"cannot add image {digest}: layer {layer.digest} is missing")
            if info.size != layer.size:
                raise InvalidImageError(f"layer {layer.digest}: size {info.size}, manifest says {layer.size}")
        return Image(digest=digest, id=manifest.config.digest, manifest=manifest, image_config=config)

    def add(self, manifest_digest: str, names: Sequence[str] = ()) -> Image:
        image = self.validate(manifest_digest)
        full = [str(parse_reference(n)) for n in names]
        for name, ref in zip(full, names, strict=True):
            if "@" in name:
                raise InvalidReferenceError(f"cannot name an image by digest: {ref!r}")
        with self._edit() as data:
            data["images"].setdefault(manifest_digest, {"id": image.id, "added": _now()})
            for name in full:
                data["refs"][name] = manifest_digest
        return self.get(manifest_digest)

    def create(self, layers: Sequence[Descriptor], diff_ids: Sequence[str], *,
               container_config: dict[str, Any] | None = None, names: Sequence[str] = (),
               history: Sequence[dict[str, Any]] = (), base: Image | None = None,
               created: str | None = None) -> Image:
        """Write config + manifest for ``layers`` (above ``base``'s) and register the image."""
        all_layers = [*(base.layers if base else ()), *layers]
        all_diffs = [*(base.diff_ids if base else ()), *diff_ids]
        cfg = dict(base.config) if base and container_config is None else dict(container_config or {})
        hist = [*(base.image_config.history if base else ()), *history]
        config = new_config(all_diffs, created=created or _now(), container_config=cfg, history=hist)
        config_blob = self.content.write(config.to_bytes())
        manifest = Manifest(config=Descriptor(mt.OCI_CONFIG, config_blob.digest, config_blob.size),
                            layers=tuple(all_layers))
        manifest_blob = self.content.write(manifest.to_bytes())
        return self.add(manifest_blob.digest, list(names))

    def tag(self, src: str, dst: str) -> Image:
        target = parse_reference(dst)
        if target.digest:
            raise InvalidReferenceError(f"refusing to create a tag with a digest reference: {dst!r}")
        with self._edit() as data:
            digest = self._find(data, src)
            data["refs"][str(target)] = digest
        return self.get(digest)

    def users(self, image_id: str) -> _Lines:
        """Keys of container snapshots made from the image with this id."""
        from kubelite.runtime.snapshots import Snapshotter

        snaps = Snapshotter(self.root)
        out: _Lines = []
        for key in snaps.active():
            try:
                if snaps.image_of(key) == image_id:
                    out.append(key)
            except LookupError:
                continue
        return out

    def remove(self, ref: str, force: bool = False) -> _Lines:
        """Untag ``ref``, deleting the image when that was its last name or ``ref`` is its id."""
        with EngineLock(self.root, "content"), EngineLock(self.root, "images"):
            data = self._read()
            digest = self._find(data, ref)
            record = data["images"][digest]
            image_id = str(record.get("id"))
            names = sorted(n for n, d in data["refs"].items() if d == digest)
            by_name = self._names_ref(ref, names)
            lines: _Lines = []
            if by_name is not None and len(names) > 1:
                del data["refs"][by_name]
                self._write(data)
                return [f"Untagged: {parse_reference(by_name).familiar()}"]
            if by_name is None and len(names) > 1 and not force:
                raise ImageConflictError(
                    f"conflict: unable to delete {image_id.partition(':')[2][:12]} (must be forced) - "
                    "image is referenced in multiple repositories")
            shared_id = any(d != digest and rec.get("id") == image_id for d, rec in data["images"].items())
            users = [] if shared_id else self.users(image_id)
            if users:
                if not force:
                    raise ImageConflictError(
                        f"conflict: unable to remove image {ref!r} (must force) - container "
                        f"{users[0][:12]} is using its referenced image {image_id.partition(':')[2][:12]}")
                for name in names:
                    del data["refs"][name]
                    lines.append(f"Untagged: {parse_reference(name).familiar()}")
                self._write(data)
                return lines
            for name in names:
                del data["refs"][name]
                lines.append(f"Untagged: {parse_reference(name).familiar()}")
            image = self._load(digest, record, {})
            del data["images"][digest]
            self._write(data)
            lines.append(f"Deleted: {image_id}")
            self._collect(data, image.blobs())
        return lines

    def _names_ref(self, ref: str, names: _Lines) -> str | None:
        """The full name ``ref`` denotes if it is one of ``names`` (else it named the id/digest)."""
        try:
            full = str(parse_reference(ref))
        except InvalidReferenceError:
            return None
        return full if full in names else None

    def _referenced(self, data: dict[str, Any]) -> tuple[set[str], set[str]]:
        blobs: set[str] = set()
        chains: set[str] = set()
        for digest, record in data["images"].items():
            try:
                image = self._load(digest, record, {})
            except (ImageError, OCIError):
                blobs.add(digest)
                continue
            blobs |= image.blobs()
            chains.update(image.chain_ids)
        return blobs, chains

    def _collect(self, data: dict[str, Any], candidates: set[str] | None) -> int:
        """Delete unreferenced blobs (``candidates`` only, or all) and unpacked layers; hold both locks."""
        from kubelite.runtime.snapshots import Snapshotter

        blobs, chains = self._referenced(data)
        pool = candidates if candidates is not None else {b.digest for b in self.content.walk()}
        removed = sum(1 for digest in pool - blobs if self.content.delete(digest))
        Snapshotter(self.root).prune_layers(chains)
        return removed

    def prune(self, all_unused: bool = False) -> _Lines:
        """Remove dangling images (or every image no container uses), then unreferenced content."""
        lines: _Lines = []
        with EngineLock(self.root, "content"), EngineLock(self.root, "images"):
            data = self._read()
            named = set(data["refs"].values())
            for digest, record in list(data["images"].items()):
                if digest in named and not all_unused:
                    continue
                image_id = str(record.get("id"))
                if self.users(image_id):
                    continue
                for name in [n for n, d in data["refs"].items() if d == digest]:
                    del data["refs"][name]
                    lines.append(f"untagged: {parse_reference(name).familiar()}")
                del data["images"][digest]
                lines.append(f"deleted: {image_id}")
            self._write(data)
            self.content.cleanup_tmp()
            self._collect(data, None)
        return lines


def _is_hex_prefix(text: str) -> bool:
    return 0 < len(text) <= 64 and all(c in "0123456789abcdef" for c in text)

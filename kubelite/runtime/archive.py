"""Image tarballs: ``save``/``load`` in docker-archive and OCI-layout form, and ``import`` of a rootfs.

What ``save`` writes is one tarball that is both formats at once, as Docker 25 does::

    oci-layout                  {"imageLayoutVersion": "1.0.0"}
    index.json                  OCI index: one manifest per name, annotated with
                                io.containerd.image.name and org.opencontainers.image.ref.name
    manifest.json               docker-archive: [{"Config", "RepoTags", "Layers"}] pointing into blobs/
    blobs/sha256/<hex>          configs (unchanged, so image ids survive), manifests, and layers as
                                uncompressed tars (digest = diff id), which every reader accepts

``load`` reads a docker-archive (``manifest.json``; ``docker save`` of any age, ``skopeo copy
docker-archive:``) or an OCI layout (``index.json`` + ``oci-layout``; ``skopeo copy oci:``), as a
tarball (plain or gzip) or a directory. Every layer is unpacked once into its snapshot as it is
loaded, which validates it (path traversal, devices... see :mod:`.layers`) and checks its diff id
against the config; only when every layer of an image passed is the image registered, in one atomic
index write. A malformed archive or a hostile layer is an :class:`ArchiveError` or a
``LayerError`` with one clear line and registers nothing; a killed load leaves at most unreferenced
blobs and unpacked layers, which ``image prune`` collects.

``import_tarball`` makes a one-layer image of a root filesystem tarball (``docker import``); the
layer is stored gzip-compressed.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import shutil
import tarfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from kubelite.oci import mediatypes as mt
from kubelite.oci.config import ImageConfig
from kubelite.oci.descriptor import Descriptor, Platform
from kubelite.oci.digest import chain_ids, sha256_digest, validate_digest
from kubelite.oci.errors import OCIError
from kubelite.oci.manifest import Index, Manifest, parse_manifest_or_index
from kubelite.oci.reference import parse_reference
from kubelite.runtime.content import CHUNK, ContentStore
from kubelite.runtime.images import Image, ImageStore
from kubelite.runtime.layers import LayerError, unpack_layer
from kubelite.runtime.snapshots import Snapshotter

NAME_ANNOTATION = "io.containerd.image.name"
REF_ANNOTATION = "org.opencontainers.image.ref.name"
MAX_JSON = 16 << 20  # manifests, configs and indexes are small; refuse absurd ones


class ArchiveError(ValueError):
    """The tarball is not a loadable image archive; one clear line."""


@dataclass(frozen=True)
class LoadedImage:
    image: Image
    names: list[str]


# ---------------------------------------------------------------------------------------------------
# Layers in: unpack (validating) into a snapshot and store the blob.


def _seekable(fh: BinaryIO, content: ContentStore) -> tuple[BinaryIO, str | None]:
    """``fh`` if it can seek, else a spooled copy in ROOT/tmp (returned path to delete)."""
    try:
        if fh.seekable():
            fh.tell()
            return fh, None
    except (OSError, AttributeError):
        pass
    path = content.tmp_name("spool")
    with open(path, "wb") as out:
        shutil.copyfileobj(fh, out, CHUNK)
    return open(path, "rb"), path


def ingest_layer(store: ImageStore, snaps: Snapshotter, fh: BinaryIO, *, parent: str | None,
                 expected_diff_id: str | None = None, expected_digest: str | None = None,
                 compress: bool = False) -> tuple[Descriptor, str]:
    """Unpack ``fh`` into its snapshot, store it as a blob; (descriptor, diff id). Hold ``ingest()``."""
    src, spool = _seekable(fh, store.content)
    tmp = store.content.tmp_name("unpack")
    os.makedirs(tmp)
    try:
        start = src.tell()
        result = unpack_layer(src, os.path.join(tmp, "fs"), whiteouts="overlay")
        if expected_digest and result.digest != expected_digest:
            raise ArchiveError(f"layer digest mismatch: expected {expected_digest}, got {result.digest}")
        if expected_diff_id and result.diff_id != expected_diff_id:
            raise ArchiveError(f"layer content does not match the image config: diff id "
                               f"{result.diff_id}, config says {expected_diff_id}")
        src.seek(start)
        gz = result.digest != result.diff_id
        if gz or not compress:
            blob = store.content.write(_limited(src, result.compressed_size), expected_digest=result.digest)
            media_type = mt.OCI_LAYER_GZIP if gz else mt.OCI_LAYER
        else:
            blob = store.content.write(_gzip_chunks(src))
            media_type = mt.OCI_LAYER_GZIP
        chain = chain_ids([parent, result.diff_id])[1] if parent else result.diff_id
        snaps.install_layer(tmp, chain, result.diff_id, parent, result.size)
        return Descriptor(media_type, blob.digest, blob.size), result.diff_id
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        if spool:
            src.close()
            os.unlink(spool)


def _limited(fh: BinaryIO, size: int) -> Iterable[bytes]:
    remaining = size
    while remaining > 0:
        chunk = fh.read(min(CHUNK, remaining))
        if not chunk:
            raise ArchiveError("layer changed while it was being read")
        remaining -= len(chunk)
        yield chunk


def _gzip_chunks(fh: BinaryIO, level: int = 1) -> Iterable[bytes]:
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)
    while chunk := fh.read(CHUNK):
        out = comp.compress(chunk)
        if out:
            yield out
    yield comp.flush()


# ---------------------------------------------------------------------------------------------------
# import


def import_tarball(root: str, fh: BinaryIO, ref: str | None, *, container_config: dict[str, Any] | None = None,
                   history: Sequence[dict[str, Any]] = ()) -> Image:
    """``docker import``: one layer from a rootfs tarball (plain or gzip), tagged ``ref``."""
    if ref:
        parse_reference(ref)  # a bad name fails before any work
    store = ImageStore(root)
    snaps = Snapshotter(root)
    with store.ingest():
        desc, diff_id = ingest_layer(store, snaps, fh, parent=None, compress=True)
        hist = list(history) or [{"created_by": "kubelite import", "comment": "Imported from tarball"}]
        return store.create([desc], [diff_id], container_config=container_config or {},
                            names=[ref] if ref else [], history=hist)


# ---------------------------------------------------------------------------------------------------
# load


class _Source:
    """Files of an archive by name: a tarball (random access) or a directory."""

    def __init__(self, path_or_fh: str | BinaryIO, content: ContentStore) -> None:
        self._spool: str | None = None
        self._tar: tarfile.TarFile | None = None
        self._dir: str | None = None
        if isinstance(path_or_fh, str) and os.path.isdir(path_or_fh):
            self._dir = path_or_fh
            return
        fh: BinaryIO = open(path_or_fh, "rb") if isinstance(path_or_fh, str) else path_or_fh  # noqa: SIM115
        fh, self._spool = _seekable(fh, content)
        try:
            self._tar = tarfile.open(fileobj=fh, mode="r:*")  # noqa: SIM115 - closed by close()
            self._members = {posixpath.normpath(m.name.lstrip("/")): m for m in self._tar.getmembers()}
        except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
            self.close()
            detail = str(err).splitlines()[0].rstrip(":") if str(err) else type(err).__name__
            raise ArchiveError(f"not a valid image archive (a plain or gzip tar): {detail}") from None

    def names(self) -> set[str]:
        if self._dir is not None:
            out = set()
            for base, _dirs, files in os.walk(self._dir):
                for f in files:
                    out.add(os.path.relpath(os.path.join(base, f), self._dir))
            return out
        return set(self._members)

    def open(self, name: str) -> IO[bytes]:
        name = posixpath.normpath(name.lstrip("/"))
        if name.startswith("../") or name == "..":
            raise ArchiveError(f"archive refers outside itself: {name!r}")
        if self._dir is not None:
            # Old `docker save` links duplicate layers: follow links, but only within the directory.
            base = os.path.realpath(self._dir)
            path = os.path.realpath(os.path.join(base, name))
            if not path.startswith(base + os.sep) or not os.path.isfile(path):
                raise ArchiveError(f"archive has no file {name!r}")
            return open(path, "rb")
        assert self._tar is not None
        member = self._members.get(name)
        f = self._tar.extractfile(member) if member is not None else None
        if f is None:
            raise ArchiveError(f"archive has no file {name!r}")
        return f

    def read_json(self, name: str) -> Any:
        with self.open(name) as fh:
            data = fh.read(MAX_JSON + 1)
        if len(data) > MAX_JSON:
            raise ArchiveError(f"{name} is too large")
        try:
            return json.loads(data)
        except ValueError as err:
            raise ArchiveError(f"{name} is not valid JSON: {err}") from None

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            data = fh.read(MAX_JSON + 1)
        if len(data) > MAX_JSON:
            raise ArchiveError(f"{name} is too large")
        return data

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
            self._tar = None
        if self._spool:
            os.unlink(self._spool)
            self._spool = None


def load_archive(root: str, src: str | BinaryIO) -> list[LoadedImage]:
    """Load every image of a docker-archive or OCI-layout tarball (or directory)."""
    store = ImageStore(root)
    snaps = Snapshotter(root)
    with store.ingest():
        source = _Source(src, store.content)
        try:
            names = source.names()
            if "manifest.json" in names:
                return _load_docker(store, snaps, source)
            if "index.json" in names:
                return _load_oci(store, snaps, source)
            raise ArchiveError("not an image archive: no manifest.json (docker-archive) "
                               "or index.json (OCI layout) in it")
        except (OCIError, LayerError):
            raise
        except (KeyError, TypeError, AttributeError, tarfile.TarError, EOFError, zlib.error) as err:
            raise ArchiveError(f"malformed image archive: {err}") from None
        finally:
            source.close()


def _known_layers(store: ImageStore) -> dict[str, Descriptor]:
    """chain id -> a stored layer descriptor with that stack below it, from the registered images."""
    out: dict[str, Descriptor] = {}
    for image in store.list():
        for chain, desc in zip(image.chain_ids, image.layers, strict=False):
            out.setdefault(chain, desc)
    return out


def _load_docker(store: ImageStore, snaps: Snapshotter, source: _Source) -> list[LoadedImage]:
    entries = source.read_json("manifest.json")
    if not isinstance(entries, list) or not entries:
        raise ArchiveError("manifest.json must be a non-empty list")
    known = _known_layers(store)
    loaded = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str):
            raise ArchiveError("manifest.json entry without a Config")
        config_bytes = source.read(entry["Config"])
        config = ImageConfig.parse(config_bytes)
        layer_paths = entry.get("Layers") or []
        tags = entry.get("RepoTags") or []
        if not isinstance(layer_paths, list) or not isinstance(tags, list):
            raise ArchiveError("manifest.json Layers and RepoTags must be lists")
        for tag in tags:
            parse_reference(str(tag))
        diff_ids = config.diff_ids
        if len(diff_ids) != len(layer_paths):
            raise ArchiveError(f"image {entry['Config']}: {len(layer_paths)} layers but "
                               f"{len(diff_ids)} diff ids in its config")
        chains = chain_ids(diff_ids)
        layers: list[Descriptor] = []
        for i, path in enumerate(layer_paths):
            desc = known.get(chains[i])
            # Same chain id = same content below and here (sha256): reuse our blob; its snapshot is
            # unpacked on first use if it is not already.
            if desc is None or not store.content.has(desc.digest):
                with source.open(str(path)) as fh:
                    desc, _ = ingest_layer(store, snaps, fh,  # type: ignore[arg-type]
                                           parent=chains[i - 1] if i else None,
                                           expected_diff_id=diff_ids[i])
                known[chains[i]] = desc
            layers.append(desc)
        config_blob = store.content.write(config_bytes)
        existing = _same_image(store, config_blob.digest)
        if existing is not None:
            image = store.add(existing, [str(t) for t in tags])
        else:
            manifest = Manifest(config=Descriptor(mt.OCI_CONFIG, config_blob.digest, config_blob.size),
                                layers=tuple(layers))
            manifest_blob = store.content.write(manifest.to_bytes())
            image = store.add(manifest_blob.digest, [str(t) for t in tags])
        loaded.append(LoadedImage(image, [str(t) for t in tags]))
    return loaded


def _same_image(store: ImageStore, image_id: str) -> str | None:
    """The manifest digest of a registered image with this id (a re-load keeps the original)."""
    for image in store.list():
        if image.id == image_id:
            return image.digest
    return None


def _load_oci(store: ImageStore, snaps: Snapshotter, source: _Source) -> list[LoadedImage]:
    index = parse_manifest_or_index(source.read("index.json"))
    if not isinstance(index, Index):
        raise ArchiveError("index.json is not an image index")
    loaded = []
    for desc in index.manifests:
        names = _names_from_annotations(desc.annotations)
        manifest_digest, manifest_bytes = _resolve_manifest(source, desc)
        manifest = parse_manifest_or_index(manifest_bytes)
        assert isinstance(manifest, Manifest)
        config_bytes = _blob(source, manifest.config.digest)
        config = ImageConfig.parse(config_bytes)
        if len(config.diff_ids) != len(manifest.layers):
            raise ArchiveError(f"manifest {manifest_digest}: {len(manifest.layers)} layers but "
                               f"{len(config.diff_ids)} diff ids in its config")
        chains = chain_ids(config.diff_ids)
        for i, layer in enumerate(manifest.layers):
            if store.content.has(layer.digest) and snaps.has_layer(chains[i]):
                continue
            with source.open(_blob_path(layer.digest)) as fh:
                ingest_layer(store, snaps, fh, parent=chains[i - 1] if i else None,  # type: ignore[arg-type]
                             expected_diff_id=config.diff_ids[i], expected_digest=layer.digest)
        store.content.write(config_bytes, expected_digest=manifest.config.digest)
        store.content.write(manifest_bytes, expected_digest=manifest_digest)
        image = store.add(manifest_digest, names)
        loaded.append(LoadedImage(image, names))
    return loaded


def _names_from_annotations(annotations: dict[str, str]) -> list[str]:
    name = annotations.get(NAME_ANNOTATION) or ""
    if not name:
        ref = annotations.get(REF_ANNOTATION) or ""
        # A bare tag ("latest", as skopeo writes for oci:DIR:TAG) names no repository: load untagged.
        if ref and ("/" in ref or ":" in ref):
            name = ref
    if not name:
        return []
    parse_reference(name)
    return [name]


def _blob_path(digest: str) -> str:
    algo, _, hexpart = validate_digest(digest).partition(":")
    return f"blobs/{algo}/{hexpart}"


def _blob(source: _Source, digest: str) -> bytes:
    data = source.read(_blob_path(digest))
    if sha256_digest(data) != digest:
        raise ArchiveError(f"blob {digest} in the archive does not match its digest")
    return data


def _resolve_manifest(source: _Source, desc: Descriptor, depth: int = 0) -> tuple[str, bytes]:
    """Follow nested indexes to the manifest for linux/amd64; (digest, bytes)."""
    data = _blob(source, desc.digest)
    parsed = parse_manifest_or_index(data)
    if isinstance(parsed, Manifest):
        return desc.digest, data
    if depth > 2:
        raise ArchiveError("image indexes nested too deep")
    return _resolve_manifest(source, parsed.select(Platform()), depth + 1)


# ---------------------------------------------------------------------------------------------------
# save


def save_images(root: str, refs: Sequence[str], out: BinaryIO) -> None:
    """Write the images named by ``refs`` as one docker-archive + OCI-layout tarball to ``out``."""
    store = ImageStore(root)
    wanted: list[tuple[Image, list[str]]] = []
    for ref in refs:
        image = store.resolve(ref)
        names = [n for n in image.names if _names_ref(ref, n)]
        for prev, prev_names in wanted:
            if prev.digest == image.digest:
                prev_names.extend(n for n in names if n not in prev_names)
                break
        else:
            wanted.append((image, names))
    with store.ingest(), tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        written: set[str] = set()
        _add_bytes(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        index_entries: list[Descriptor] = []
        docker_manifest: list[dict[str, Any]] = []
        for image, names in wanted:
            layers = [_add_layer(tf, store.content, desc, diff, written)
                      for desc, diff in zip(image.layers, image.diff_ids, strict=True)]
            config_desc = image.manifest.config
            _add_blob(tf, store.content.read_bytes(config_desc.digest), written)
            manifest = Manifest(config=Descriptor(mt.OCI_CONFIG, config_desc.digest, config_desc.size),
                                layers=tuple(layers))
            mbytes = manifest.to_bytes()
            mdigest = _add_blob(tf, mbytes, written)
            for name in names or [""]:
                ann = {}
                if name:
                    parsed = parse_reference(name)
                    ann = {NAME_ANNOTATION: str(parsed), REF_ANNOTATION: parsed.tag or parsed.digest}
                index_entries.append(Descriptor(mt.OCI_MANIFEST, mdigest, len(mbytes), annotations=ann))
            docker_manifest.append({
                "Config": _blob_path(config_desc.digest),
                "RepoTags": [parse_reference(n).familiar() for n in names] or None,
                "Layers": [_blob_path(layer.digest) for layer in layers]})
        _add_bytes(tf, "index.json", Index(manifests=tuple(index_entries)).to_bytes())
        _add_bytes(tf, "manifest.json", json.dumps(docker_manifest, separators=(",", ":")).encode())


def _names_ref(ref: str, name: str) -> bool:
    try:
        return str(parse_reference(ref)) == name
    except OCIError:
        return False


def _add_bytes(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tf.addfile(info, io.BytesIO(data))


def _add_dirs(tf: tarfile.TarFile, written: set[str]) -> None:
    for d in ("blobs", "blobs/sha256"):
        if d not in written:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tf.addfile(info)
            written.add(d)


def _add_blob(tf: tarfile.TarFile, data: bytes, written: set[str]) -> str:
    digest = sha256_digest(data)
    _add_dirs(tf, written)
    if digest not in written:
        _add_bytes(tf, _blob_path(digest), data)
        written.add(digest)
    return digest


def _add_layer(tf: tarfile.TarFile, content: ContentStore, desc: Descriptor, diff_id: str,
               written: set[str]) -> Descriptor:
    """Add the layer as an uncompressed tar named by its diff id (decompressing via a temp file)."""
    _add_dirs(tf, written)
    if mt.layer_compression(desc.media_type) == "zstd":
        raise ArchiveError(f"cannot save zstd layer {desc.digest}")
    tmp = content.tmp_name("save")
    try:
        with content.open(desc.digest) as src, open(tmp, "w+b") as plain:
            first = src.read(2)
            src.seek(0)
            if first == b"\x1f\x8b":
                dec = zlib.decompressobj(31)
                while chunk := src.read(CHUNK):
                    plain.write(dec.decompress(chunk))
                    while dec.eof and dec.unused_data:
                        rest = dec.unused_data
                        dec = zlib.decompressobj(31)
                        plain.write(dec.decompress(rest))
                plain.write(dec.flush())
            else:
                shutil.copyfileobj(src, plain, CHUNK)
            size = plain.tell()
            if diff_id not in written:
                plain.seek(0)
                info = tarfile.TarInfo(_blob_path(diff_id))
                info.size = size
                info.mode = 0o644
                tf.addfile(info, plain)
                written.add(diff_id)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return Descriptor(mt.OCI_LAYER, diff_id, size)

"""Build small (possibly hostile) layer tarballs in memory, entry by entry."""

from __future__ import annotations

import gzip
import io
import tarfile


def make_tar(entries: list[tuple], *, compress: bool = True) -> bytes:
    """entries: (kind, name[, data_or_target]) with kind in file, dir, symlink, hardlink, chr, fifo."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for entry in entries:
            kind, name = entry[0], entry[1]
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            data = b""
            if kind == "file":
                data = entry[2] if len(entry) > 2 else b""
                info.size = len(data)
                info.mode = 0o644
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = entry[2]
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = entry[2]
            elif kind == "chr":
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = 1, 3
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            tf.addfile(info, io.BytesIO(data) if data else None)
    raw = buf.getvalue()
    return gzip.compress(raw) if compress else raw


def _sha(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()


def _diff_id(layer: bytes) -> str:
    return _sha(gzip.decompress(layer) if layer[:2] == b"\x1f\x8b" else layer)


def image_config(layers: list[bytes], diff_ids: list[str] | None = None) -> bytes:
    import json

    ids = diff_ids if diff_ids is not None else [_diff_id(layer) for layer in layers]
    return json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                       "created": "2024-01-01T00:00:00Z",
                       "rootfs": {"type": "layers", "diff_ids": ids}}).encode()


def docker_archive(layers: list[bytes], tags: list[str], *, config: bytes | None = None,
                   manifest: object = None) -> bytes:
    """A docker-archive tarball in the classic ``docker save`` shape (<id>/layer.tar, <id>.json)."""
    import json

    cfg = config if config is not None else image_config(layers)
    files = {f"{_sha(cfg)[7:]}.json": cfg}
    paths = []
    for i, layer in enumerate(layers):
        paths.append(f"layer{i}/layer.tar")
        files[paths[-1]] = layer
    entry = {"Config": f"{_sha(cfg)[7:]}.json", "RepoTags": tags, "Layers": paths}
    files["manifest.json"] = json.dumps(manifest if manifest is not None else [entry]).encode()
    return _tar_of(files)


def oci_layout(layers: list[bytes], *, name: str | None = None, docker_types: bool = False) -> dict[str, bytes]:
    """The files of an OCI image layout holding one image (Docker v2s2 media types if asked)."""
    import json

    cfg = image_config(layers)
    gz = "application/vnd.docker.image.rootfs.diff.tar.gzip" if docker_types else \
        "application/vnd.oci.image.layer.v1.tar+gzip"
    plain = "application/vnd.docker.image.rootfs.diff.tar" if docker_types else \
        "application/vnd.oci.image.layer.v1.tar"
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json" if docker_types
        else "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json" if docker_types
                   else "application/vnd.oci.image.config.v1+json", "digest": _sha(cfg), "size": len(cfg)},
        "layers": [{"mediaType": gz if layer[:2] == b"\x1f\x8b" else plain, "digest": _sha(layer),
                    "size": len(layer)} for layer in layers]}).encode()
    ann = {"org.opencontainers.image.ref.name": name} if name else {}
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": _sha(manifest),
         "size": len(manifest), "annotations": ann}]}).encode()
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": index}
    for blob in [cfg, manifest, *layers]:
        files[f"blobs/sha256/{_sha(blob)[7:]}"] = blob
    return files


def _tar_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def tar_of(files: dict[str, bytes]) -> bytes:
    return _tar_of(files)

"""Write small OCI image layouts (``oci-layout``, ``index.json``, ``blobs/``) from file contents.

An OCI layout is what ``skopeo copy oci:DIR:TAG`` reads and writes, so it is the neutral ground on
which tests and benchmarks build images to push with either tool and compare digests. Layers are
reproducible: tar entries have fixed owners and times, gzip headers carry no timestamp.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelite.distribution.manifests import OCI_INDEX, OCI_MANIFEST

LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
CONFIG = "application/vnd.oci.image.config.v1+json"


@dataclass(frozen=True)
class BuiltImage:
    manifest_digest: str
    manifest_size: int
    config_digest: str
    layer_digests: tuple[str, ...]


def tar_layer(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar of ``files`` (path -> content), directories implied, all owned by root."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(content)
            info.mode = 0o755 if path.startswith(("bin/", "/bin/")) else 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _write_blob(layout: Path, data: bytes) -> str:
    hexd = hashlib.sha256(data).hexdigest()
    path = layout / "blobs" / "sha256" / hexd
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    return f"sha256:{hexd}"


def write_image(layout: Path, layers: list[dict[str, bytes]], *, tag: str = "latest",
                compress: bool = True, compresslevel: int = 6,
                config_extra: dict[str, Any] | None = None) -> BuiltImage:
    """Add a linux/amd64 image made of ``layers`` to the OCI layout at ``layout``, under ``tag``."""
    layout.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    descriptors: list[dict[str, Any]] = []
    diff_ids: list[str] = []
    for files in layers:
        tar = tar_layer(files)
        diff_ids.append(f"sha256:{hashlib.sha256(tar).hexdigest()}")
        data = gzip.compress(tar, compresslevel=compresslevel, mtime=0) if compress else tar
        descriptors.append({"mediaType": LAYER_GZIP if compress else LAYER_TAR,
                            "digest": _write_blob(layout, data), "size": len(data)})
    config_doc: dict[str, Any] = {
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"layer {i}"} for i in range(len(layers))],
    }
    config_doc.update(config_extra or {})
    config = json.dumps(config_doc, sort_keys=True).encode()
    config_digest = _write_blob(layout, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": CONFIG, "digest": config_digest, "size": len(config)},
        "layers": descriptors,
    }, sort_keys=True).encode()
    manifest_digest = _write_blob(layout, manifest)
    index_path = layout / "index.json"
    index: dict[str, Any] = json.loads(index_path.read_text()) if index_path.exists() else \
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": len(manifest),
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    index_path.write_text(json.dumps(index, sort_keys=True))
    return BuiltImage(manifest_digest, len(manifest), config_digest,
                      tuple(str(d["digest"]) for d in descriptors))


def write_index(layout: Path, images: list[tuple[BuiltImage, str]], *, tag: str) -> str:
    """Add an image index over already written images (each with its ``os/arch``) under ``tag``."""
    manifests = []
    for image, platform in images:
        os_name, _, arch = platform.partition("/")
        manifests.append({"mediaType": OCI_MANIFEST, "digest": image.manifest_digest,
                          "size": image.manifest_size, "platform": {"architecture": arch, "os": os_name}})
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests},
                      sort_keys=True).encode()
    digest = _write_blob(layout, body)
    index_path = layout / "index.json"
    index: dict[str, Any] = json.loads(index_path.read_text())
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({"mediaType": OCI_INDEX, "digest": digest, "size": len(body),
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    index_path.write_text(json.dumps(index, sort_keys=True))
    return digest

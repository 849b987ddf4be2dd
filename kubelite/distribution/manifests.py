"""Manifest kinds and what a manifest points at: the pure part of manifest PUT, GET and gc.

A registry stores manifests as opaque bytes (their digest is of those exact bytes) but must read
enough of them to check that everything they reference exists, to answer the referrers API from the
``subject`` field, and to know which blobs garbage collection must keep.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kubelite.distribution.errors import Code, RegistryError
from kubelite.distribution.names import Digest, parse_digest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = IMAGE_TYPES | INDEX_TYPES
# The Accept header a client sends to get any manifest we understand, index types first.
ACCEPT = ", ".join([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST])

# docker/distribution's limit, also what containers/image refuses to read past.
MAX_MANIFEST_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: Digest
    size: int
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None
    platform: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"mediaType": self.media_type, "digest": str(self.digest), "size": self.size}
        if self.artifact_type:
            doc["artifactType"] = self.artifact_type
        if self.annotations:
            doc["annotations"] = self.annotations
        if self.platform:
            doc["platform"] = self.platform
        return doc


@dataclass(frozen=True)
class Manifest:
    """What the registry needs from a manifest: its kind, the blobs and manifests it references."""

    media_type: str
    config: Descriptor | None = None
    layers: tuple[Descriptor, ...] = ()
    manifests: tuple[Descriptor, ...] = ()
    subject: Descriptor | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    def blobs(self) -> list[Descriptor]:
        """Blobs (not manifests) this manifest needs: config then layers."""
        return ([self.config] if self.config else []) + list(self.layers)

    def referrer_artifact_type(self) -> str | None:
        """The artifactType the referrers API reports: artifactType, else the config's media type."""
        if self.artifact_type:
            return self.artifact_type
        if self.config is not None and not self.is_index:
            return self.config.media_type
        return None


def _invalid(message: str) -> RegistryError:
    return RegistryError(Code.MANIFEST_INVALID, message)


def _descriptor(doc: Any, where: str) -> Descriptor:
    if not isinstance(doc, dict):
        raise _invalid(f"{where}: descriptor must be an object")
    media_type = doc.get("mediaType")
    size = doc.get("size")
    if not isinstance(media_type, str) or not media_type:
        raise _invalid(f"{where}: mediaType is required")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _invalid(f"{where}: size must be a non-negative integer")
    raw_digest = doc.get("digest")
    if not isinstance(raw_digest, str):
        raise _invalid(f"{where}: digest is required")
    try:
        digest = parse_digest(raw_digest)
    except RegistryError as err:
        raise _invalid(f"{where}: {err.message}") from None
    annotations = doc.get("annotations")
    artifact_type = doc.get("artifactType")
    platform = doc.get("platform")
    return Descriptor(media_type, digest, size,
                      artifact_type if isinstance(artifact_type, str) else None,
                      annotations if isinstance(annotations, dict) else None,
                      platform if isinstance(platform, dict) else None)


def parse_manifest(body: bytes, content_type: str | None) -> Manifest:
    """Parse and check a pushed manifest; MANIFEST_INVALID says what is wrong.

    The media type comes from the body's ``mediaType`` when present (it must then agree with the
    request's Content-Type), else from the Content-Type, as the OCI spec allows.
    """
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _invalid("manifest is not valid JSON") from None
    if not isinstance(doc, dict):
        raise _invalid("manifest must be a JSON object")
    if doc.get("schemaVersion") != 2:
        raise _invalid("only schemaVersion 2 manifests are supported")
    declared = doc.get("mediaType")
    content_type = (content_type or "").split(";")[0].strip() or None
    media_type = declared if isinstance(declared, str) else content_type
    if media_type is None:
        media_type = OCI_INDEX if "manifests" in doc else OCI_MANIFEST
    if media_type not in MANIFEST_TYPES:
        raise _invalid(f"unsupported manifest media type {media_type!r}")
    if isinstance(declared, str) and content_type and content_type != declared \
            and content_type in MANIFEST_TYPES:
        raise _invalid(f"mediaType {declared!r} does not match Content-Type {content_type!r}")
    subject = _descriptor(doc["subject"], "subject") if doc.get("subject") is not None else None
    artifact_type = doc.get("artifactType") if isinstance(doc.get("artifactType"), str) else None
    raw_annotations = doc.get("annotations")
    annotations: dict[str, str] = raw_annotations if isinstance(raw_annotations, dict) else {}
    if media_type in INDEX_TYPES:
        entries = doc.get("manifests")
        if not isinstance(entries, list):
            raise _invalid("an index needs a manifests list")
        children = tuple(_descriptor(d, f"manifests[{i}]") for i, d in enumerate(entries))
        return Manifest(media_type, manifests=children, subject=subject, artifact_type=artifact_type,
                        annotations=annotations)
    layers_doc = doc.get("layers")
    if not isinstance(layers_doc, list):
        raise _invalid("an image manifest needs a layers list")
    config = _descriptor(doc.get("config"), "config")
    layers = tuple(_descriptor(d, f"layers[{i}]") for i, d in enumerate(layers_doc))
    return Manifest(media_type, config=config, layers=layers, subject=subject,
                    artifact_type=artifact_type, annotations=annotations)

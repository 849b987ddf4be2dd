"""Image manifests (one image: a config and its layers) and indexes (a list of manifests, by platform).

``parse_manifest_or_index`` takes untrusted bytes (from a registry, a tarball, the content store) and
returns a validated object or raises :class:`InvalidManifestError` with one clear line. ``to_bytes``
gives the canonical encoding we write (compact JSON, keys in a fixed order) so a digest computed over it
is stable; manifests read from elsewhere keep their own bytes (their digest is over those bytes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kubelite.oci import mediatypes as mt
from kubelite.oci.descriptor import Descriptor, Platform
from kubelite.oci.errors import InvalidManifestError


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Manifest:
    """An image manifest: ``config`` descriptor and ``layers`` bottom first."""

    config: Descriptor
    layers: tuple[Descriptor, ...]
    media_type: str = mt.OCI_MANIFEST
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemaVersion": 2, "mediaType": self.media_type,
                               "config": self.config.to_json(),
                               "layers": [layer.to_json() for layer in self.layers]}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def to_bytes(self) -> bytes:
        return _json_bytes(self.to_json())


@dataclass(frozen=True)
class Index:
    """An image index (OCI) or manifest list (Docker): manifests, each usually with a platform."""

    manifests: tuple[Descriptor, ...]
    media_type: str = mt.OCI_INDEX
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemaVersion": 2, "mediaType": self.media_type,
                               "manifests": [m.to_json() for m in self.manifests]}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def to_bytes(self) -> bytes:
        return _json_bytes(self.to_json())

    def select(self, platform: Platform) -> Descriptor:
        """The manifest for ``platform`` (variant ignored when the entry has none)."""
        for desc in self.manifests:
            p = desc.platform
            if p is None or desc.media_type not in mt.MANIFEST_TYPES | mt.INDEX_TYPES:
                continue
            if p.os == platform.os and p.architecture == platform.architecture and (
                    not p.variant or not platform.variant or p.variant == platform.variant):
                return desc
        if len(self.manifests) == 1 and self.manifests[0].platform is None:
            return self.manifests[0]
        raise InvalidManifestError(
            f"no manifest for platform {platform.os}/{platform.architecture} in the index")


def _load_json(data: bytes | str) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidManifestError(f"manifest is not valid JSON: {err}") from None
    if not isinstance(obj, dict):
        raise InvalidManifestError("manifest must be a JSON object")
    return obj


def _annotations(obj: dict[str, Any]) -> dict[str, str]:
    ann = obj.get("annotations") or {}
    if not isinstance(ann, dict):
        raise InvalidManifestError("annotations must be an object")
    return {str(k): str(v) for k, v in ann.items()}


def manifest_from_json(obj: dict[str, Any]) -> Manifest:
    media_type = obj.get("mediaType") or mt.OCI_MANIFEST
    if media_type not in mt.MANIFEST_TYPES:
        raise InvalidManifestError(f"unsupported manifest media type {media_type!r}")
    if obj.get("schemaVersion") != 2:
        raise InvalidManifestError(f"unsupported manifest schemaVersion {obj.get('schemaVersion')!r}")
    config = Descriptor.from_json(obj.get("config"), what="manifest config")
    layers_raw = obj.get("layers")
    if not isinstance(layers_raw, list):
        raise InvalidManifestError("manifest has no layers list")
    layers = tuple(Descriptor.from_json(layer, what=f"layer {i}") for i, layer in enumerate(layers_raw))
    for layer in layers:
        if not mt.is_layer(layer.media_type):
            raise InvalidManifestError(
                f"layer {layer.digest} has unsupported media type {layer.media_type!r}")
    return Manifest(config=config, layers=layers, media_type=media_type, annotations=_annotations(obj))


def index_from_json(obj: dict[str, Any]) -> Index:
    media_type = obj.get("mediaType") or mt.OCI_INDEX
    if media_type not in mt.INDEX_TYPES:
        raise InvalidManifestError(f"unsupported index media type {media_type!r}")
    raw = obj.get("manifests")
    if not isinstance(raw, list):
        raise InvalidManifestError("index has no manifests list")
    manifests = tuple(Descriptor.from_json(m, what=f"index entry {i}") for i, m in enumerate(raw))
    return Index(manifests=manifests, media_type=media_type, annotations=_annotations(obj))


def parse_manifest_or_index(data: bytes | str) -> Manifest | Index:
    """Validate untrusted bytes as a manifest or an index, told apart by mediaType or shape."""
    obj = _load_json(data)
    media_type = obj.get("mediaType")
    if media_type in mt.INDEX_TYPES or (media_type is None and "manifests" in obj):
        return index_from_json(obj)
    if media_type in mt.MANIFEST_TYPES or (media_type is None and "config" in obj):
        return manifest_from_json(obj)
    if obj.get("schemaVersion") == 1:
        raise InvalidManifestError("Docker schema 1 manifests are not supported")
    raise InvalidManifestError(f"unsupported manifest media type {media_type!r}")


def parse_manifest(data: bytes | str) -> Manifest:
    """Like :func:`parse_manifest_or_index` but an index is an error."""
    parsed = parse_manifest_or_index(data)
    if isinstance(parsed, Index):
        raise InvalidManifestError("expected an image manifest, got an index")
    return parsed

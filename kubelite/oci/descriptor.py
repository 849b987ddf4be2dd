"""Descriptors: the typed, sized, content-addressed pointers that manifests and indexes are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelite.oci.digest import validate_digest
from kubelite.oci.errors import InvalidManifestError


@dataclass(frozen=True)
class Platform:
    """Where an image runs; indexes pick a manifest by it."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        return out

    @classmethod
    def from_json(cls, data: Any) -> Platform:
        if not isinstance(data, dict):
            raise InvalidManifestError("descriptor platform must be an object")
        return cls(os=str(data.get("os", "")), architecture=str(data.get("architecture", "")),
                   variant=str(data.get("variant", "") or ""))


@dataclass(frozen=True)
class Descriptor:
    """``mediaType`` + ``digest`` + ``size`` (+ optional annotations, platform, urls)."""

    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict)
    platform: Platform | None = None
    urls: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.urls:
            out["urls"] = list(self.urls)
        return out

    @classmethod
    def from_json(cls, data: Any, *, what: str = "descriptor") -> Descriptor:
        if not isinstance(data, dict):
            raise InvalidManifestError(f"{what} must be a JSON object")
        digest = data.get("digest")
        size = data.get("size")
        media_type = data.get("mediaType", "")
        if not isinstance(digest, str):
            raise InvalidManifestError(f"{what} has no digest")
        try:
            validate_digest(digest)
        except ValueError as err:
            raise InvalidManifestError(f"{what}: {err}") from None
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidManifestError(f"{what} {digest} has an invalid size {size!r}")
        if not isinstance(media_type, str):
            raise InvalidManifestError(f"{what} {digest} has an invalid mediaType")
        annotations = data.get("annotations") or {}
        if not isinstance(annotations, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()):
            raise InvalidManifestError(f"{what} {digest} has invalid annotations")
        platform = Platform.from_json(data["platform"]) if data.get("platform") else None
        urls = data.get("urls") or []
        if not isinstance(urls, list):
            raise InvalidManifestError(f"{what} {digest} has invalid urls")
        return cls(media_type=media_type, digest=digest, size=size, annotations=dict(annotations),
                   platform=platform, urls=tuple(str(u) for u in urls))

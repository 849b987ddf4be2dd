"""The image config: what a container of the image runs (``config``) and its layers' diff ids.

Kept as the JSON dict it came as (so re-encoding never changes an image's id, which is the digest of
these bytes), with typed read accessors and a validator. The ``config`` section uses Docker's keys
(``Env``, ``Entrypoint``, ``Cmd``, ``WorkingDir``, ``User``, ``ExposedPorts``, ``StopSignal``,
``Labels``, ``Volumes``, ``Healthcheck``), which the OCI spec shares.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubelite.oci.digest import validate_digest
from kubelite.oci.errors import InvalidConfigError

_LIST_KEYS = ("Env", "Entrypoint", "Cmd", "Shell", "OnBuild")
_STR_KEYS = ("WorkingDir", "User", "StopSignal")
_MAP_KEYS = ("ExposedPorts", "Labels", "Volumes")


@dataclass(frozen=True)
class ImageConfig:
    """A validated image config. ``raw`` is the full JSON object; treat it as read-only."""

    raw: dict[str, Any]

    @property
    def config(self) -> dict[str, Any]:
        """The container defaults section (``Env``, ``Cmd`` ...); empty when absent."""
        section = self.raw.get("config")
        return section if isinstance(section, dict) else {}

    @property
    def diff_ids(self) -> list[str]:
        return list(self.raw.get("rootfs", {}).get("diff_ids") or [])

    @property
    def created(self) -> str:
        return str(self.raw.get("created") or "")

    @property
    def architecture(self) -> str:
        return str(self.raw.get("architecture") or "")

    @property
    def os(self) -> str:
        return str(self.raw.get("os") or "")

    @property
    def history(self) -> list[dict[str, Any]]:
        hist = self.raw.get("history")
        return hist if isinstance(hist, list) else []

    def to_bytes(self) -> bytes:
        return json.dumps(self.raw, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def parse(cls, data: bytes | str) -> ImageConfig:
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError) as err:
            raise InvalidConfigError(f"image config is not valid JSON: {err}") from None
        return cls.from_json(obj)

    @classmethod
    def from_json(cls, obj: Any) -> ImageConfig:
        validate_config(obj)
        return cls(raw=obj)


def validate_config(obj: Any) -> None:
    """Raise :class:`InvalidConfigError` unless ``obj`` has the image-config shape."""
    if not isinstance(obj, dict):
        raise InvalidConfigError("image config must be a JSON object")
    rootfs = obj.get("rootfs")
    if not isinstance(rootfs, dict) or rootfs.get("type") != "layers":
        raise InvalidConfigError('image config needs rootfs.type "layers"')
    diff_ids = rootfs.get("diff_ids")
    if not isinstance(diff_ids, list):
        raise InvalidConfigError("image config needs a rootfs.diff_ids list")
    for diff in diff_ids:
        try:
            validate_digest(diff)
        except ValueError as err:
            raise InvalidConfigError(f"image config rootfs.diff_ids: {err}") from None
    section = obj.get("config")
    if section is None:
        return
    if not isinstance(section, dict):
        raise InvalidConfigError("image config 'config' must be an object")
    for key in _LIST_KEYS:
        value = section.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise InvalidConfigError(f"image config {key} must be a list of strings")
    for key in _STR_KEYS:
        value = section.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidConfigError(f"image config {key} must be a string")
    for key in _MAP_KEYS:
        value = section.get(key)
        if value is not None and not isinstance(value, dict):
            raise InvalidConfigError(f"image config {key} must be an object")


def new_config(diff_ids: list[str], *, created: str, container_config: dict[str, Any] | None = None,
               history: list[dict[str, Any]] | None = None, architecture: str = "amd64",
               os: str = "linux") -> ImageConfig:
    """A fresh config in the key order Docker writes."""
    raw: dict[str, Any] = {"architecture": architecture, "config": dict(container_config or {}),
                           "created": created, "history": list(history or []), "os": os,
                           "rootfs": {"type": "layers", "diff_ids": list(diff_ids)}}
    return ImageConfig.from_json(raw)

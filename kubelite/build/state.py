"""The image a build step works on, and the final image config, assembled purely.

:class:`ImageState` is what the snapshotter needs to prepare a rootfs (``id``, ``layers``,
``diff_ids``) plus the config and history accumulated so far. Each step extends it with
:func:`extend`; :func:`image_config` turns the last state into the image config JSON whose digest is
the image id. Because every value in it (timestamps included) comes from the cache records on a
cached rebuild, an unchanged build gives the same image id again, as Docker's does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelite.build.cache import LayerRef
from kubelite.oci import mediatypes as mt
from kubelite.oci.config import ImageConfig, new_config
from kubelite.oci.descriptor import Descriptor


@dataclass(frozen=True)
class ImageState:
    id: str                                   # an image id, a step's result id, or "scratch"
    layers: tuple[Descriptor, ...] = ()
    diff_ids: tuple[str, ...] = ()
    history: tuple[dict[str, Any], ...] = ()
    platform: dict[str, str] = field(default_factory=lambda: {"architecture": "amd64", "os": "linux"})
    author: str | None = None
    created: str = ""

    @property
    def short_id(self) -> str:
        return self.id.rpartition(":")[2][:12]


def from_image(image_id: str, config: ImageConfig, layers: tuple[Descriptor, ...]) -> ImageState:
    """The state a ``FROM <image>`` starts from."""
    raw = config.raw
    platform = {k: str(raw[k]) for k in ("architecture", "os", "variant") if raw.get(k)}
    author = str(raw["author"]) if raw.get("author") else None
    return ImageState(image_id, layers, tuple(config.diff_ids), tuple(config.history),
                      platform or {"architecture": "amd64", "os": "linux"}, author, config.created)


def extend(state: ImageState, result_id: str, *, created: str, created_by: str, layer: LayerRef | None,
           author: str | None = None) -> ImageState:
    """The state after one step: its layer (if any) on top, its history entry appended."""
    entry: dict[str, Any] = {"created": created, "created_by": created_by}
    if author or state.author:
        entry["author"] = author or state.author
    if layer is None:
        entry["empty_layer"] = True
        layers, diff_ids = state.layers, state.diff_ids
    else:
        desc = Descriptor(media_type=layer.media_type or mt.OCI_LAYER_GZIP, digest=layer.digest,
                          size=layer.size)
        layers, diff_ids = (*state.layers, desc), (*state.diff_ids, layer.diff_id)
    return ImageState(result_id, layers, diff_ids, (*state.history, entry), state.platform,
                      author or state.author, created)


def image_config(state: ImageState, container_config: dict[str, Any]) -> ImageConfig:
    """The final image config for ``state`` with the stage's container config."""
    config = new_config(list(state.diff_ids), created=state.created, container_config=container_config,
                        history=list(state.history), architecture=state.platform.get("architecture", "amd64"),
                        os=state.platform.get("os", "linux"))
    raw = dict(config.raw)
    if state.author:
        raw = {"author": state.author, **raw}
    if state.platform.get("variant"):
        raw["variant"] = state.platform["variant"]
    return ImageConfig.from_json(raw)

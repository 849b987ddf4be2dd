"""The build cache index on disk: cache key -> what the step produced.

Layout under the engine root::

    ROOT/build/cache/<key>.json   {"created": "<RFC 3339>", "result": "<result id>",
                                   "layer": {"digest", "size", "mediaType", "diff_id"} | null}

One small file per key, written to a temp file and renamed into place, so concurrent builds never see
a torn entry and a build killed mid-step leaves no entry for it (the entry is written after its layer
blob is in the content store). A lookup is one ``open``; an entry whose layer blob has since been
garbage-collected is a miss. Keys are hex sha256, so they are safe file names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass

CACHE_DIR = os.path.join("build", "cache")


@dataclass(frozen=True)
class LayerRef:
    digest: str
    size: int
    media_type: str
    diff_id: str

    def to_json(self) -> dict[str, object]:
        return {"digest": self.digest, "size": self.size, "mediaType": self.media_type,
                "diff_id": self.diff_id}


@dataclass(frozen=True)
class CacheRecord:
    created: str
    result: str
    layer: LayerRef | None = None


class BuildCache:
    """Get and put :class:`CacheRecord` by key; ``blob_path`` (the content store's ``path``) tells
    where a layer blob would be, to check it is still stored."""

    def __init__(self, root: str, blob_path: Callable[[str], str]) -> None:
        self.dir = os.path.join(root, CACHE_DIR)
        self._blob_path = blob_path

    def _path(self, key: str) -> str:
        return os.path.join(self.dir, f"{key}.json")

    def get(self, key: str) -> CacheRecord | None:
        try:
            with open(self._path(key), "rb") as fh:
                obj = json.loads(fh.read())
            layer = obj.get("layer")
            ref = None
            if layer is not None:
                ref = LayerRef(str(layer["digest"]), int(layer["size"]), str(layer["mediaType"]),
                               str(layer["diff_id"]))
                if not os.path.exists(self._blob_path(ref.digest)):
                    return None
            return CacheRecord(str(obj["created"]), str(obj["result"]), ref)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, record: CacheRecord) -> None:
        os.makedirs(self.dir, exist_ok=True)
        obj = {"created": record.created, "result": record.result,
               "layer": record.layer.to_json() if record.layer else None}
        path = self._path(key)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            json.dump(obj, fh)
        os.replace(tmp, path)


"""Pod templates: normal form, equality ignoring the hash label, and the pod-template-hash.

Two templates that differ only in empty values (``resources: {}``, ``creationTimestamp: null``,
``[]``) are the same template: clients send both forms (kubectl's rollout undo sends a template
copied back from a ReplicaSet), and a rollback must find and reuse the old ReplicaSet rather than
create a duplicate. The hash is FNV-32a of the normal form plus the collision count, spelled with
Kubernetes' safe alphabet, so names look like ``web-7d9c5b8f4``.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

JsonDict = dict[str, Any]
HASH_LABEL = "pod-template-hash"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def normalized(value: Any) -> Any:
    """Drop None, empty dicts and empty lists, recursively."""
    if isinstance(value, dict):
        out = {k: normalized(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def without_hash(template: JsonDict) -> JsonDict:
    t = copy.deepcopy(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return t


def equal_ignoring_hash(a: JsonDict, b: JsonDict) -> bool:
    return bool(normalized(without_hash(a)) == normalized(without_hash(b)))


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in text)


def template_hash(template: JsonDict, collision_count: int = 0) -> str:
    data = orjson.dumps(normalized(without_hash(template)), option=orjson.OPT_SORT_KEYS)
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(_fnv32a(data)))

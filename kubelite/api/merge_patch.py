"""RFC 7386 JSON merge patch (``application/merge-patch+json``).

Public surface:

- :func:`apply_merge_patch(target, patch) -> new doc` - objects merge key by key, ``null`` deletes a
  key, anything else (lists included) replaces. Inputs are never mutated.
- :func:`create_merge_patch(original, modified) -> patch` - the smallest merge patch turning
  ``original`` into ``modified`` (``apply_merge_patch(original, p) == modified`` when neither holds
  explicit nulls).
"""

from __future__ import annotations

from typing import Any

from kubelite.api.jsonutil import clone


def apply_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return {k: (clone(v) if k not in patch else v) for k, v in result.items()}


def create_merge_patch(original: Any, modified: Any) -> Any:
    if not isinstance(original, dict) or not isinstance(modified, dict):
        return clone(modified)
    patch: dict[str, Any] = {}
    for key in original:
        if key not in modified:
            patch[key] = None
    for key, value in modified.items():
        if key not in original:
            patch[key] = clone(value)
        elif original[key] != value or type(original[key]) is not type(value):
            if isinstance(original[key], dict) and isinstance(value, dict):
                patch[key] = create_merge_patch(original[key], value)
            else:
                patch[key] = clone(value)
    return patch

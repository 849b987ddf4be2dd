"""Strategic merge patch (``application/strategic-merge-patch+json``) with the Kubernetes types' tags.

Public surface:

- :func:`apply_strategic_patch(original, patch, type_name=None) -> new doc` - merge ``patch`` into
  ``original``. ``type_name`` is the schema type of the document (``io.k8s.api.core.v1.Pod``); when
  omitted it is found from the object's ``apiVersion``/``kind``. Inputs are never mutated. Raises
  :class:`~kubelite.api.patch_errors.PatchError` (400) on bad directives.

Semantics, as k8s.io/apimachinery/pkg/util/strategicpatch:

- maps merge key by key; ``null`` deletes a key;
- lists whose field has ``patchStrategy: merge`` merge: maps by their ``patchMergeKey`` (containers by
  name, ports by containerPort, ...), scalars as a set union; other lists are replaced;
- directives: ``$patch: replace`` (map or list element: replace wholesale), ``$patch: delete`` (map:
  delete it; list element: delete the element with that merge key), ``$patch: merge``;
  ``$retainKeys: [..]`` (drop original keys not listed); ``$deleteFromPrimitiveList/<field>: [..]``;
  ``$setElementOrder/<field>: [..]`` (order of the merged list: listed items in that order, items only
  on the server kept at their relative positions).
"""

from __future__ import annotations

from typing import Any

from kubelite.api.jsonutil import clone
from kubelite.api.patch_errors import PatchError
from kubelite.api.schema import SCHEMA, TypeRef

PATCH = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER = "$setElementOrder/"
DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def apply_strategic_patch(original: Any, patch: Any, type_name: str | None = None) -> Any:
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object")
    if type_name is None and isinstance(original, dict):
        found = SCHEMA.for_object(original) or SCHEMA.for_object(patch)
        type_name = found.name if found else None
    ctx = TypeRef("ref", type_name) if type_name else None
    base = clone(original) if isinstance(original, dict) else {}
    result = _merge_map(base, clone(patch), ctx)
    return result if result is not None else {}


def _field_ref(ctx: TypeRef | None, key: str) -> tuple[TypeRef | None, tuple[str, ...], str]:
    """(type of ``key``'s value, its patch strategies, its merge key) within ``ctx``."""
    if ctx is None:
        return None, (), ""
    if ctx.kind == "map":
        return ctx.elem, (), ""
    td = SCHEMA.resolve(ctx)
    if td is None:
        return None, (), ""
    f = td.fields.get(key)
    if f is None:
        return None, (), ""
    return f.type, f.strategy, f.merge_key


def _merge_map(
    original: dict[str, Any], patch: dict[str, Any], ctx: TypeRef | None
) -> dict[str, Any] | None:
    """Merge in place; returns the merged map, or None when ``$patch: delete`` removes it."""
    directive = patch.pop(PATCH, None)
    if directive == "replace":
        stripped: dict[str, Any] = _strip(patch, ctx)
        return stripped
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise PatchError(f"Unknown patch type: {directive} in map: {patch}")

    retain = patch.pop(RETAIN_KEYS, None)
    if retain is not None:
        if not isinstance(retain, list):
            raise PatchError(f"$retainKeys must be a list, got {retain!r}")
        missing = [k for k in patch if not k.startswith("$") and k not in retain and patch[k] is not None]
        if missing:
            raise PatchError(
                f"these fields are present in the patch but not in the $retainKeys list: {missing}"
            )
        for key in list(original):
            if key not in retain:
                del original[key]

    orders: dict[str, list[Any]] = {}
    for key in list(patch):
        if key.startswith(SET_ORDER):
            value = patch.pop(key)
            if not isinstance(value, list):
                raise PatchError(f"{key} must be a list")
            orders[key[len(SET_ORDER):]] = value
        elif key.startswith(DELETE_PRIMITIVE):
            field = key[len(DELETE_PRIMITIVE):]
            value = patch.pop(key)
            if not isinstance(value, list):
                raise PatchError(f"{key} must be a list")
            if isinstance(original.get(field), list):
                original[field] = [v for v in original[field] if v not in value]

    for key, value in patch.items():
        sub, strategy, merge_key = _field_ref(ctx, key)
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key)
        if isinstance(value, dict):
            if not isinstance(current, dict):
                current = {}
            merged = _merge_map(current, value, sub)
            if merged is None:
                original.pop(key, None)
            else:
                original[key] = merged
        elif isinstance(value, list):
            elem = sub.elem if sub is not None and sub.kind == "list" else None
            if "merge" in strategy:
                base = current if isinstance(current, list) else []
                original[key] = _merge_list(base, value, elem, merge_key)
            else:
                original[key] = _strip_list(value, elem, merge_key)
        else:
            original[key] = value

    for field, order in orders.items():
        _, _, merge_key = _field_ref(ctx, field)
        if isinstance(original.get(field), list):
            original[field] = _apply_order(original[field], order, merge_key)
    return original


def _strip(value: Any, ctx: TypeRef | None) -> Any:
    """A patch fragment with its directives processed against nothing (what a new value becomes)."""
    if isinstance(value, dict):
        return _merge_map({}, value, ctx) or {}
    if isinstance(value, list):
        elem = ctx.elem if ctx is not None and ctx.kind == "list" else None
        return _strip_list(value, elem, "")
    return value


def _strip_list(items: list[Any], elem: TypeRef | None, merge_key: str) -> list[Any]:
    out = []
    for item in items:
        if isinstance(item, dict):
            if item.get(PATCH) in ("replace", "delete", "merge") and len(item) <= 2:
                continue  # a directive-only element has no value of its own
            out.append(_merge_map({}, item, elem) or {})
        else:
            out.append(item)
    return out


def _key_of(item: Any, merge_key: str) -> Any:
    return item.get(merge_key) if isinstance(item, dict) else item


def _merge_list(original: list[Any], patch: list[Any], elem: TypeRef | None, merge_key: str) -> list[Any]:
    if any(isinstance(p, dict) and p.get(PATCH) == "replace" for p in patch):
        return _strip_list([p for p in patch if not (isinstance(p, dict) and p.get(PATCH) == "replace")],
                           elem, merge_key)
    if not any(isinstance(x, dict) for x in original + patch):
        merged = list(original)
        for p in patch:
            if p not in merged:
                merged.append(p)
        return _apply_order(merged, patch, "", server_order=original)
    if not merge_key:
        raise PatchError("cannot merge lists without merge key")
    merged = list(original)
    patch_items: list[Any] = []
    for p in patch:
        if not isinstance(p, dict):
            raise PatchError(f"list element {p!r} is not an object")
        if merge_key not in p:
            raise PatchError(f"map: {p} does not contain declared merge key: {merge_key}")
        key = p[merge_key]
        index = next((i for i, o in enumerate(merged) if _key_of(o, merge_key) == key), -1)
        directive = p.get(PATCH)
        if directive == "delete":
            if index >= 0:
                merged.pop(index)
            continue
        if index >= 0:
            result = _merge_map(merged[index] if isinstance(merged[index], dict) else {}, dict(p), elem)
            if result is None:
                merged.pop(index)
                continue
            merged[index] = result
        else:
            result = _merge_map({}, dict(p), elem)
            if result is None:
                continue
            merged.append(result)
        patch_items.append(p)
    return _apply_order(merged, patch_items, merge_key, server_order=original)


def _index(order: list[Any], item: Any, merge_key: str) -> int:
    key = _key_of(item, merge_key)
    for i, o in enumerate(order):
        if _key_of(o, merge_key) == key:
            return i
    return -1


def _apply_order(
    merged: list[Any], order: list[Any], merge_key: str, server_order: list[Any] | None = None
) -> list[Any]:
    """kube's ``normalizeElementOrder``: items named in ``order`` follow it; server-only items keep
    their original relative order and are interleaved by their position in ``server_order``."""
    server = merged if server_order is None else server_order
    in_order = [m for m in merged if _index(order, m, merge_key) >= 0]
    server_only = [m for m in merged if _index(order, m, merge_key) < 0]
    in_order.sort(key=lambda m: _index(order, m, merge_key))
    server_only.sort(key=lambda m: (_index(server, m, merge_key) < 0, _index(server, m, merge_key)))
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(in_order):
        if i >= len(server_only):
            out.append(in_order[j])
            j += 1
        elif j >= len(in_order):
            out.append(server_only[i])
            i += 1
        else:
            li, ri = _index(server, server_only[i], merge_key), _index(server, in_order[j], merge_key)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(server_only[i])
                i += 1
            else:
                out.append(in_order[j])
                j += 1
    return out

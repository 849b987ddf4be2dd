"""Field sets for server-side apply: which fields an object sets, in the FieldsV1 vocabulary.

A *path* is a tuple of path elements, each a FieldsV1 key string:

- ``f:<name>``  a field of a struct or a key of a map;
- ``k:<json>``  an element of an associative list, named by its key fields (``k:{"name":"nginx"}``);
- ``v:<json>``  an element of a set (``v:"example.com/finalizer"``);
- ``i:<n>``     an element of a list by index (unused for known types; kept for parsing).

Public surface:

- :func:`field_set(obj, type_name=None, subresource="") -> set[Path]` - the leaf fields ``obj`` sets
  (and every associative-list element it names), skipping what apply never tracks (apiVersion, kind,
  server-owned metadata; status unless ``subresource == "status"``).
- :func:`to_fields_v1(paths) -> dict` / :func:`from_fields_v1(dict) -> set[Path]` - the wire form.
- :func:`value_at(obj, path) -> (found, value)` and :func:`remove_path(obj, path)` (in place).
- :func:`path_string(path)` - ``.spec.containers[name="nginx"].image``, as conflicts are reported.
- :func:`meta_at(type_name, path)` - the schema ``Field`` a path ends at (None when unknown).
- :func:`missing_keys(obj, type_name)` - list-map elements without their key fields (apply rejects them).
"""

from __future__ import annotations

import json
from typing import Any

from kubelite.api.schema import SCHEMA, Field, TypeRef

Path = tuple[str, ...]

# Fields apply never tracks: identity and server-owned metadata.
IGNORED_TOP = frozenset({"apiVersion", "kind"})
IGNORED_META = frozenset({
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
    "deletionGracePeriodSeconds", "managedFields", "selfLink", "generateName",
})
# Key fields Kubernetes defaults before comparing elements (a port without protocol is TCP).
KEY_DEFAULTS = {"protocol": "TCP"}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def element_key(item: Any, keys: tuple[str, ...]) -> str:
    """The ``k:`` element for an associative-list item."""
    if not isinstance(item, dict):
        return "v:" + _dumps(item)
    key = {k: item.get(k, KEY_DEFAULTS.get(k)) for k in keys if k in item or k in KEY_DEFAULTS}
    return "k:" + _dumps(key)


def field_set(obj: dict[str, Any], type_name: str | None = None, subresource: str = "") -> set[Path]:
    if type_name is None:
        td = SCHEMA.for_object(obj)
        type_name = td.name if td else None
    out: set[Path] = set()
    ref = TypeRef("ref", type_name) if type_name else None
    for key, value in obj.items():
        if key in IGNORED_TOP:
            continue
        if (key == "status") != (subresource == "status"):
            continue
        sub = _child_field(ref, key)
        tracked = value
        if key == "metadata" and isinstance(value, dict):
            tracked = {k: v for k, v in value.items() if k not in IGNORED_META}
            if not tracked:
                continue
        _walk(tracked, sub, ("f:" + key,), out)
    return out


def _child_field(ref: TypeRef | None, key: str) -> Field | None:
    if ref is None:
        return None
    if ref.kind == "map":
        return Field(key, ref.elem) if ref.elem is not None else None
    td = SCHEMA.resolve(ref)
    return td.fields.get(key) if td else None


def _walk(value: Any, meta: Field | None, prefix: Path, out: set[Path]) -> None:
    tref = meta.type if meta else None
    if isinstance(value, dict):
        if not value:
            out.add(prefix)
            return
        for k, v in value.items():
            _walk(v, _child_field(tref, k), (*prefix, "f:" + k), out)
        return
    if isinstance(value, list) and meta is not None and tref is not None and tref.kind == "list":
        if meta.list_type == "map" and meta.list_keys:
            elem_meta = Field("", tref.elem) if tref.elem is not None else None
            for item in value:
                p = (*prefix, element_key(item, meta.list_keys))
                out.add(p)
                if isinstance(item, dict):
                    for k, v in item.items():
                        _walk(v, _child_field(elem_meta.type if elem_meta else None, k), (*p, "f:" + k), out)
            return
        if meta.list_type == "set":
            for item in value:
                out.add((*prefix, "v:" + _dumps(item)))
            if not value:
                out.add(prefix)
            return
    out.add(prefix)


def missing_keys(obj: dict[str, Any], type_name: str | None) -> list[str]:
    """Associative-list elements that omit a key field, worded as structured-merge-diff words it."""
    out: list[str] = []
    ref = TypeRef("ref", type_name) if type_name else None
    for key, value in obj.items():
        _missing(value, _child_field(ref, key), "." + key, out)
    return out


def _missing(value: Any, meta: Field | None, path: str, out: list[str]) -> None:
    if meta is None:
        return
    tref = meta.type
    if isinstance(value, dict) and tref.kind in ("ref", "map"):
        for k, v in value.items():
            _missing(v, _child_field(tref, k), f"{path}.{k}", out)
    elif isinstance(value, list) and tref.kind == "list":
        elem_ref = tref.elem
        for i, item in enumerate(value):
            if meta.list_type == "map" and isinstance(item, dict):
                for key in meta.list_keys:
                    if key not in item and key not in KEY_DEFAULTS:
                        out.append(f"{path}: element {i}: associative list with keys has an element that "
                                   f'omits key field "{key}" (and doesn\'t have default value)')
            if isinstance(item, dict) and elem_ref is not None:
                for k, v in item.items():
                    _missing(v, _child_field(elem_ref, k), f"{path}[{i}].{k}", out)


def meta_at(type_name: str | None, path: Path) -> Field | None:
    """The schema field a path of ``f:`` elements (list elements skipped) ends at."""
    ref = TypeRef("ref", type_name) if type_name else None
    meta: Field | None = None
    for elem in path:
        if elem.startswith("f:"):
            meta = _child_field(ref, elem[2:])
            ref = meta.type if meta else None
        elif ref is not None and ref.kind == "list":
            ref = ref.elem
    return meta


# ------------------------------------------------------------------------------------ FieldsV1 form


def to_fields_v1(paths: set[Path]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    members: set[Path] = set(paths)
    for path in sorted(paths):
        node = root
        for elem in path:
            node = node.setdefault(elem, {})
    _mark(root, (), members)
    return root


def _mark(node: dict[str, Any], prefix: Path, members: set[Path]) -> None:
    for key, child in node.items():
        p = (*prefix, key)
        _mark(child, p, members)
        if p in members and child:
            child["."] = {}


def from_fields_v1(fields: dict[str, Any]) -> set[Path]:
    out: set[Path] = set()
    _collect(fields or {}, (), out)
    return out


def _collect(node: dict[str, Any], prefix: Path, out: set[Path]) -> None:
    for key, child in node.items():
        if key == ".":
            out.add(prefix)
            continue
        p = (*prefix, key)
        if not child:
            out.add(p)
        else:
            _collect(child, p, out)


# ------------------------------------------------------------------------------------ path access


def _find(items: list[Any], elem: str) -> int:
    if elem.startswith("i:"):
        i = int(elem[2:])
        return i if 0 <= i < len(items) else -1
    if elem.startswith("v:"):
        want = json.loads(elem[2:])
        return next((i for i, x in enumerate(items) if x == want), -1)
    key = json.loads(elem[2:])
    for i, item in enumerate(items):
        if isinstance(item, dict) and all(item.get(k, KEY_DEFAULTS.get(k)) == v for k, v in key.items()):
            return i
    return -1


def value_at(obj: Any, path: Path) -> tuple[bool, Any]:
    cur = obj
    for elem in path:
        if elem.startswith("f:"):
            if not isinstance(cur, dict) or elem[2:] not in cur:
                return False, None
            cur = cur[elem[2:]]
        else:
            if not isinstance(cur, list):
                return False, None
            i = _find(cur, elem)
            if i < 0:
                return False, None
            cur = cur[i]
    return True, cur


def remove_path(obj: Any, path: Path) -> None:
    if not path:
        return
    found, parent = value_at(obj, path[:-1])
    if not found:
        return
    last = path[-1]
    if last.startswith("f:"):
        if isinstance(parent, dict):
            parent.pop(last[2:], None)
    elif isinstance(parent, list):
        i = _find(parent, last)
        if i >= 0:
            parent.pop(i)


def path_string(path: Path) -> str:
    out = []
    for elem in path:
        kind, body = elem[:2], elem[2:]
        if kind == "f:":
            out.append("." + body)
        elif kind == "k:":
            key = json.loads(body)
            out.append("[" + ",".join(f"{k}={_dumps(v)}" for k, v in key.items()) + "]")
        elif kind == "v:":
            out.append(f"[={body}]")
        else:
            out.append(f"[{body}]")
    return "".join(out)

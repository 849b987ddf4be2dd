"""Strict decoding: unknown fields and wrong JSON types, checked against the type schema.

Public surface:

- :func:`unknown_fields(obj, type_name=None) -> list[str]` - dotted paths of fields the type does not
  know (``spec.foo``, ``spec.containers[0].imagee``), in document order. Open types and free-form
  (``object``) fields accept anything.
- :func:`type_error(obj, type_name=None) -> str | None` - the first JSON type mismatch, worded as Go's
  decoder words it (``json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of
  type int32``), or None.
- :func:`check(obj) -> (unknown paths, type error or None)` - both of the above in one walk (cheaper).
- :func:`strict_error(obj, paths) -> ApiError` - the 400 kube returns for ``fieldValidation=Strict``:
  ``Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"``.
- :func:`decode_error(obj, message) -> ApiError` - the same framing for a type error.
- :func:`warnings(paths) -> list[str]` - ``fieldValidation=Warn`` texts (``unknown field "spec.foo"``)
  for ``Warning: 299 - "..."`` headers.
"""

from __future__ import annotations

from typing import Any

from kubelite.api.schema import SCHEMA, TypeRef
from kubelite.api.status import ApiError, bad_request

_GO_TYPES = {"int32": "int32", "int64": "int64", "number": "float64", "boolean": "bool", "string": "string",
             "byte": "[]uint8", "Time": "v1.Time", "MicroTime": "v1.MicroTime"}


def _type_of(obj: dict[str, Any], type_name: str | None) -> str | None:
    if type_name:
        return type_name
    td = SCHEMA.for_object(obj)
    return td.name if td else None


def unknown_fields(obj: dict[str, Any], type_name: str | None = None) -> list[str]:
    name = _type_of(obj, type_name)
    if name is None:
        return []
    out: list[str] = []
    _unknown(obj, TypeRef("ref", name), "", out)
    return out


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _unknown(value: Any, tref: TypeRef | None, path: str, out: list[str]) -> None:
    if tref is None:
        return
    if tref.kind == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            _unknown(item, tref.elem, f"{path}[{i}]", out)
    elif tref.kind == "map" and isinstance(value, dict):
        for k, v in value.items():
            _unknown(v, tref.elem, f"{path}[{k}]", out)
    elif tref.kind == "ref" and isinstance(value, dict):
        td = SCHEMA.resolve(tref)
        if td is None:
            return
        for k, v in value.items():
            f = td.fields.get(k)
            if f is None:
                if not td.open:
                    out.append(_join(path, k))
                continue
            _unknown(v, f.type, _join(path, k), out)


def check(obj: dict[str, Any], type_name: str | None = None) -> tuple[list[str], str | None]:
    """Both checks in one walk: (unknown field paths, first type error or None)."""
    name = _type_of(obj, type_name)
    if name is None:
        return [], None
    unknown: list[str] = []
    errors: list[str] = []
    _both(obj, TypeRef("ref", name), "", name.rsplit(".", 1)[-1], (unknown, errors))
    return unknown, (errors[0] if errors else None)


def _both(value: Any, tref: TypeRef | None, path: str, struct: str, acc: tuple[list[str], list[str]]) -> None:
    unknown, errors = acc
    if tref is None or value is None:
        return
    if tref.kind == "ref" and isinstance(value, dict):
        td = SCHEMA.resolve(tref)
        if td is None:
            return
        for k, v in value.items():
            f = td.fields.get(k)
            if f is None:
                if not td.open:
                    unknown.append(_join(path, k))
                continue
            _both(v, f.type, _join(path, k), td.short_name, acc)
    elif tref.kind == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            _both(item, tref.elem, f"{path}[{i}]", struct, acc)
    elif tref.kind == "map" and isinstance(value, dict):
        for k, v in value.items():
            _both(v, tref.elem, f"{path}[{k}]", struct, acc)
    elif not errors:
        err = _types(value, tref, _strip_indexes(path), struct)
        if err:
            errors.append(err)


def _strip_indexes(path: str) -> str:
    """Go's decoder names struct fields without list indexes or map keys."""
    out, depth = [], 0
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _scalar_ok(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind in ("int32", "int64"):
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("string", "byte", "Time", "MicroTime"):
        return isinstance(value, str)
    if kind in ("IntOrString", "Quantity"):
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    return True  # object


def type_error(obj: dict[str, Any], type_name: str | None = None) -> str | None:
    name = _type_of(obj, type_name)
    if name is None:
        return None
    return _types(obj, TypeRef("ref", name), "", name.rsplit(".", 1)[-1])


def _types(value: Any, tref: TypeRef | None, path: str, struct: str) -> str | None:
    if tref is None or value is None:
        return None
    if tref.kind == "scalar":
        if _scalar_ok(tref.name, value):
            return None
        go = _GO_TYPES.get(tref.name, tref.name)
        return (f"json: cannot unmarshal {_json_kind(value)} into Go struct field {struct}.{path} "
                f"of type {go}")
    if tref.kind == "list":
        if not isinstance(value, list):
            return (f"json: cannot unmarshal {_json_kind(value)} into Go struct field {struct}.{path} "
                    f"of type []{tref.elem}")
        for item in value:
            err = _types(item, tref.elem, path, struct)
            if err:
                return err
        return None
    if not isinstance(value, dict):
        target = "map[string]" + str(tref.elem) if tref.kind == "map" else str(tref.name).rsplit(".", 1)[-1]
        return f"json: cannot unmarshal {_json_kind(value)} into Go struct field {struct}.{path} of type {target}"
    if tref.kind == "map":
        for v in value.values():
            err = _types(v, tref.elem, path, struct)
            if err:
                return err
        return None
    td = SCHEMA.resolve(tref)
    if td is None:
        return None
    for k, v in value.items():
        f = td.fields.get(k)
        if f is not None:
            err = _types(v, f.type, _join(path, k), td.short_name)
            if err:
                return err
    return None


def _frame(obj: dict[str, Any]) -> str:
    kind = str(obj.get("kind", ""))
    version = str(obj.get("apiVersion", "")).rpartition("/")[2]
    return f'{kind} in version "{version}" cannot be handled as a {kind}'


def strict_error(obj: dict[str, Any], paths: list[str]) -> ApiError:
    fields = ", ".join(f'unknown field "{p}"' for p in paths)
    return bad_request(f"{_frame(obj)}: strict decoding error: {fields}")


def decode_error(obj: dict[str, Any], message: str) -> ApiError:
    return bad_request(f"{_frame(obj)}: {message}")


def warnings(paths: list[str]) -> list[str]:
    return [f'unknown field "{p}"' for p in paths]

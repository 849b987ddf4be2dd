"""What a round trip through the Go types does to a JSON object, done on the dict.

kube-apiserver decodes every body into typed structs and encodes them again, so what it stores and
returns is canonical: ``cpu: 1000m`` comes back as ``"1"``, ``memory: 1024Mi`` as ``1Gi``, a YAML
number ``cpu: 1`` as the string ``"1"``, a ``metav1.Time`` with a fraction or an offset as
``2024-01-01T00:00:00Z``. Public surface: :func:`normalize(obj, type_name=None) -> obj` (a copy).
Values that do not parse are left alone: validation reports them.
"""

from __future__ import annotations

from typing import Any

from kubelite.api.jsonutil import clone
from kubelite.api.meta import format_micro_time, format_time, parse_time
from kubelite.api.quantity import QuantityError, canonical
from kubelite.api.schema import SCHEMA, TypeRef

JsonDict = dict[str, Any]


def normalize(obj: JsonDict, type_name: str | None = None) -> JsonDict:
    if type_name is None:
        td = SCHEMA.for_object(obj)
        type_name = td.name if td else None
    out = clone(obj)
    if type_name is None:
        return out
    result: JsonDict = _walk(out, TypeRef("ref", type_name))
    return result


def _scalar(kind: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    try:
        if kind == "Quantity" and isinstance(value, str | int | float):
            return canonical(value)
        if kind == "Time" and isinstance(value, str):
            return format_time(parse_time(value))
        if kind == "MicroTime" and isinstance(value, str):
            return format_micro_time(parse_time(value))
    except (QuantityError, ValueError):
        return value
    return value


def _walk(value: Any, tref: TypeRef | None) -> Any:
    if tref is None or value is None:
        return value
    if tref.kind == "scalar":
        return _scalar(tref.name, value)
    if tref.kind == "list":
        if isinstance(value, list):
            return [_walk(v, tref.elem) for v in value]
        return value
    if tref.kind == "map":
        if isinstance(value, dict):
            return {k: _walk(v, tref.elem) for k, v in value.items()}
        return value
    td = SCHEMA.resolve(tref)
    if td is None or not isinstance(value, dict):
        return value
    for key, field in td.fields.items():
        if key in value:
            value[key] = _walk(value[key], field.type)
    return value

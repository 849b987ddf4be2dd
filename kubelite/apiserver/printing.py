"""Server-side printing: objects to ``meta.k8s.io/v1`` Tables, as kubectl 1.32 expects for ``get``.

Columns per kind come from :mod:`kubelite.api.tables` (``table_for``). Each row carries the object's
metadata as a PartialObjectMetadata so ``-A`` and ``--show-labels`` work.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kubelite.api.resources import Resource

Obj = dict[str, Any]

_NAME_COL = {"name": "Name", "type": "string", "format": "name", "priority": 0,
             "description": "Name must be unique within a namespace."}
_AGE_COL = {"name": "Age", "type": "string", "format": "", "priority": 0,
            "description": "CreationTimestamp is a timestamp representing the server time when this object "
                           "was created."}


def human_duration(seconds: float) -> str:
    """Kubernetes' ``duration.HumanDuration`` (what the AGE column shows)."""
    if seconds < -1:
        return "<invalid>"
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m{rem}s" if rem else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h{rem}m" if rem else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d{rem}h" if rem else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    years = hours // (24 * 365)
    if years < 8:
        days = (hours // 24) % 365
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{years}y"


def _age(obj: Obj, now: datetime) -> str:
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not isinstance(created, str):
        return "<unknown>"
    try:
        when = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    return human_duration((now - when).total_seconds())


def _partial(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def _kind_table(resource: Resource, objs: list[Obj], now: datetime
                ) -> tuple[list[Obj], list[list[Any]]] | None:
    try:
        tables = importlib.import_module("kubelite.api.tables")
    except ImportError:
        return None
    table_for = getattr(tables, "table_for", None)
    if table_for is None:
        return None
    table = table_for(resource.kind, objs, now=now) if objs is not None else None
    if not isinstance(table, dict):
        return None
    cols = table.get("columnDefinitions") or []
    rows = [r.get("cells", []) for r in table.get("rows") or []]
    return cols, rows


def to_table(resource: Resource, objs: Iterable[Obj], *, resource_version: str, now: datetime,
             include_object: str = "Metadata", continue_token: str = "",
             with_columns: bool = True) -> Obj:
    items = list(objs)
    kind = _kind_table(resource, items, now)
    if kind is None:
        cols: list[Obj] = [_NAME_COL, _AGE_COL]
        cells = [[(o.get("metadata") or {}).get("name", ""), _age(o, now)] for o in items]
    else:
        cols, cells = kind
    rows = []
    for obj, row_cells in zip(items, cells, strict=False):
        row: Obj = {"cells": row_cells}
        if include_object == "Object":
            row["object"] = obj
        elif include_object == "Metadata":
            row["object"] = _partial(obj)
        rows.append(row)
    meta: Obj = {"resourceVersion": resource_version}
    if continue_token:
        meta["continue"] = continue_token
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
            "columnDefinitions": cols if with_columns else [], "rows": rows}

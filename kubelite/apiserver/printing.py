"""Server-side printing: objects to ``meta.k8s.io/v1`` Tables, as kubectl 1.32 expects for ``get``.

Columns per kind and row cells are the object model's (:func:`kubelite.api.tables.table_for`); this
module is the seam the verbs call, so list, get and watch print the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kubelite.api import tables
from kubelite.api.resources import Resource

Obj = dict[str, Any]


def to_table(resource: Resource, objs: Iterable[Obj], *, resource_version: str, now: datetime,
             include_object: str = "Metadata", continue_token: str = "",
             with_columns: bool = True) -> Obj:
    table: Obj = tables.table_for(resource, list(objs), now, include_object=include_object,
                                  resource_version=resource_version, continue_token=continue_token or None,
                                  with_columns=with_columns)
    return table

"""Server-side printing: the ``Table`` (meta.k8s.io/v1) kube-apiserver returns for ``as=Table`` requests.

Public surface:

- :func:`table_for(resource, objects, now, *, include_object="Metadata", resource_version=None,
  continue_token=None, with_columns=True) -> dict` - ``resource`` is the plural (``"pods"``) or a
  :class:`~kubelite.api.resources.Resource`. Every column is always present (wide ones carry
  ``priority: 1``; kubectl hides them without ``-o wide``), as kube-apiserver does. ``include_object``
  is the ``includeObject`` query parameter: ``Metadata`` (rows carry a PartialObjectMetadata),
  ``Object`` (the full object) or ``None``. ``with_columns=False`` omits ``columnDefinitions`` (later
  watch events).
- :func:`columns_for(resource)`; :func:`human_duration(seconds)`; :func:`pod_status(pod)`.

Kinds without a printer get kube's default table: ``Name`` and ``Created At``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelite.api.meta import format_time, parse_time
from kubelite.api.resources import Resource
from kubelite.api.tables_common import JsonDict, Printer, col, get, human_duration, name_col
from kubelite.api.tables_core import (
    CONFIGMAPS,
    ENDPOINTS,
    ENDPOINTSLICES,
    EVENTS,
    LEASES,
    NAMESPACES,
    NODES,
    SECRETS,
    SERVICEACCOUNTS,
    SERVICES,
)
from kubelite.api.tables_workloads import (
    CRONJOBS,
    DAEMONSETS,
    DEPLOYMENTS,
    JOBS,
    PODS,
    REPLICASETS,
    REPLICATIONCONTROLLERS,
    STATEFULSETS,
    pod_status,
)

__all__ = ["columns_for", "human_duration", "pod_status", "table_for"]

PRINTERS: dict[str, Printer] = {
    "pods": PODS, "deployments": DEPLOYMENTS, "replicasets": REPLICASETS,
    "replicationcontrollers": REPLICATIONCONTROLLERS, "daemonsets": DAEMONSETS, "statefulsets": STATEFULSETS,
    "jobs": JOBS, "cronjobs": CRONJOBS, "services": SERVICES, "nodes": NODES, "namespaces": NAMESPACES,
    "events": EVENTS, "endpoints": ENDPOINTS, "endpointslices": ENDPOINTSLICES, "configmaps": CONFIGMAPS,
    "secrets": SECRETS, "serviceaccounts": SERVICEACCOUNTS, "leases": LEASES,
}


def _created_at(obj: JsonDict, now: datetime) -> list[Any]:
    ts = get(obj, "metadata", "creationTimestamp")
    try:
        text = format_time(parse_time(ts)) if ts else ""
    except ValueError:
        text = ""
    return [get(obj, "metadata", "name", default=""), text]


DEFAULT = Printer([name_col(), col("Created At", "date", description="CreationTimestamp is a timestamp "
                                   "representing the server time when this object was created.")], _created_at)


def _unprintable(printer: Printer, obj: JsonDict) -> list[Any]:
    """Cells for an object whose shape the printer cannot read: its name, ``<unknown>`` elsewhere."""
    meta = obj.get("metadata")
    name = meta.get("name", "") if isinstance(meta, dict) else ""
    return [name if c.get("format") == "name" else "<unknown>" for c in printer.columns]


def _printer(resource: Resource | str) -> Printer:
    plural = resource.plural if isinstance(resource, Resource) else resource
    return PRINTERS.get(plural, DEFAULT)


def columns_for(resource: Resource | str) -> list[JsonDict]:
    return [dict(c) for c in _printer(resource).columns]


def _row_object(obj: JsonDict, include_object: str) -> JsonDict | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": dict(obj.get("metadata") or {})}


def table_for(
    resource: Resource | str,
    objects: list[JsonDict],
    now: datetime,
    *,
    include_object: str = "Metadata",
    resource_version: str | None = None,
    continue_token: str | None = None,
    with_columns: bool = True,
) -> JsonDict:
    printer = _printer(resource)
    rows = []
    for obj in objects:
        try:
            cells = printer.row(obj, now)
        except (AttributeError, TypeError, ValueError, KeyError, IndexError):
            cells = _unprintable(printer, obj)
        row: JsonDict = {"cells": cells}
        if printer.conditions is not None:
            conditions = printer.conditions(obj)
            if conditions:
                row["conditions"] = conditions
        row_object = _row_object(obj, include_object)
        if row_object is not None:
            row["object"] = row_object
        rows.append(row)
    meta: JsonDict = {}
    if resource_version is not None:
        meta["resourceVersion"] = resource_version
    if continue_token:
        meta["continue"] = continue_token
    table: JsonDict = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
    table["columnDefinitions"] = columns_for(resource) if with_columns else []
    table["rows"] = rows
    return table

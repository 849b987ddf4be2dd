"""Conversion between core/v1 Event (the stored form) and events.k8s.io/v1 Event.

Kubernetes stores both under ``/registry/events`` as the core type; the events.k8s.io API renames
fields on the way in and out. Public surface: :func:`to_core(event)` and :func:`to_events_v1(event)`;
both return new dicts and leave fields they do not rename untouched.
"""

from __future__ import annotations

from typing import Any

from kubelite.api.jsonutil import clone

JsonDict = dict[str, Any]

# (events.k8s.io/v1 name, core/v1 name)
_RENAMES = (
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
)


def to_core(event: JsonDict) -> JsonDict:
    out = clone(event)
    for new, old in _RENAMES:
        if new in out:
            out[old] = out.pop(new)
    out["apiVersion"] = "v1"
    out["kind"] = "Event"
    return out


def to_events_v1(event: JsonDict) -> JsonDict:
    out = clone(event)
    for new, old in _RENAMES:
        if old in out:
            out[new] = out.pop(old)
    out["apiVersion"] = "events.k8s.io/v1"
    out["kind"] = "Event"
    return out

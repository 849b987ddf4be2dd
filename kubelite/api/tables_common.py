"""Helpers shared by the table printers: kubectl's HumanDuration, ages, column definitions.

Public surface: :func:`human_duration(seconds)`, :func:`since(timestamp, now)`, :func:`col`,
:func:`format_labels`, :func:`layout_containers`, :class:`Printer` (columns + row function).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubelite.api.meta import parse_time

JsonDict = dict[str, Any]
Cell = str | int
RowFn = Callable[[JsonDict, datetime], list[Cell]]

NAME_DOC = ("Name must be unique within a namespace. Is required when creating resources, although some "
            "resources may allow a client to request the generation of an appropriate name automatically.")
AGE_DOC = ("CreationTimestamp is a timestamp representing the server time when this object was created. "
           "It is not guaranteed to be set in happens-before order across separate operations.")


def human_duration(seconds: float) -> str:
    """``duration.HumanDuration``: ``5s``, ``3m2s``, ``2d4h``, ``45d``, ``3y12d``..."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


def since(timestamp: Any, now: datetime) -> str:
    """``translateTimestampSince``: ``<unknown>`` for a missing time."""
    if not timestamp:
        return "<unknown>"
    try:
        then = parse_time(str(timestamp))
    except ValueError:
        return "<unknown>"
    return human_duration((now - then).total_seconds())


def col(name: str, type_: str = "string", priority: int = 0, description: str = "", fmt: str = "") -> JsonDict:
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


def name_col() -> JsonDict:
    return col("Name", fmt="name", description=NAME_DOC)


def age_col() -> JsonDict:
    return col("Age", description=AGE_DOC)


def format_labels(labels: Any) -> str:
    """``labels.FormatLabels``: sorted ``k=v`` joined by commas, ``<none>`` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def layout_containers(containers: Any) -> tuple[str, str]:
    names = [str(c.get("name", "")) for c in containers or [] if isinstance(c, dict)]
    images = [str(c.get("image", "")) for c in containers or [] if isinstance(c, dict)]
    return ",".join(names), ",".join(images)


def get(obj: Any, *path: str, default: Any = None) -> Any:
    cur = obj
    for key in path:
        if not isinstance(cur, dict):
            return default
        cur = cur.get(key)
    return default if cur is None else cur


def created(obj: JsonDict, now: datetime) -> str:
    return since(get(obj, "metadata", "creationTimestamp"), now)


@dataclass(frozen=True)
class Printer:
    columns: list[JsonDict]
    row: RowFn
    conditions: Callable[[JsonDict], list[JsonDict] | None] | None = None

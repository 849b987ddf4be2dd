"""kubectl's output forms: the human table (from the same printers the API server uses), yaml, json,
name, and the ``kind/name verb`` lines of write commands."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

JsonDict = dict[str, Any]


def table(resource: Any, objects: list[JsonDict], *, wide: bool = False, all_namespaces: bool = False,
          show_labels: bool = False) -> str:
    from kubelite.api.tables import table_for

    t = table_for(resource, objects, datetime.now(UTC))
    columns = [(i, c["name"].upper()) for i, c in enumerate(t["columnDefinitions"])
               if wide or not c.get("priority")]
    header = [name for _, name in columns]
    rows = []
    for row, obj in zip(t["rows"], objects, strict=True):
        cells = [str(row["cells"][i]) if row["cells"][i] not in (None, "") else "<none>" for i, _ in columns]
        if all_namespaces:
            cells.insert(0, obj.get("metadata", {}).get("namespace", ""))
        if show_labels:
            labels = obj.get("metadata", {}).get("labels") or {}
            cells.append(",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>")
        rows.append(cells)
    if all_namespaces:
        header.insert(0, "NAMESPACE")
    if show_labels:
        header.append("LABELS")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["   ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in [header, *rows]]
    return "\n".join(lines)


def as_yaml(obj: Any) -> str:
    import yaml

    return str(yaml.safe_dump(obj, sort_keys=False, default_flow_style=False))


def as_json(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode()


def name_of(resource: Any, obj: JsonDict) -> str:
    group = f".{resource.group}" if resource.group else ""
    return f"{resource.singular}{group}/{obj.get('metadata', {}).get('name', '')}"


def output(resource: Any, objects: list[JsonDict], fmt: str, *, single: bool) -> str:
    if fmt == "name":
        return "\n".join(name_of(resource, o) for o in objects)
    if single:
        body: Any = objects[0]
    else:
        body = {"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {"resourceVersion": ""}}
    return as_yaml(body).rstrip() if fmt == "yaml" else as_json(body)

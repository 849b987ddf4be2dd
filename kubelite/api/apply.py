"""Server-side apply and field ownership (``metadata.managedFields``), as kube-apiserver tracks them.

Public surface:

- :func:`server_side_apply(live, applied, manager, force, now, *, subresource="") -> dict` - merge the
  applied configuration into the live object (``None`` when creating), drop fields this manager applied
  before and no longer applies (unless another manager owns them), and return the new object with
  ``managedFields`` updated (this manager's ``Apply`` entry = exactly the applied fields). When an
  applied field that changes the live value is owned by another manager and ``force`` is false, raise
  a 409 :class:`~kubelite.api.status.ApiError` worded like Kubernetes
  (``Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas``);
  with ``force`` the other managers lose those fields.
- :func:`track_update(old, new, manager, now, *, operation="Update", subresource="") -> dict` - what the
  server calls on every create/update/patch that is not an apply: ``new`` with managedFields where
  ``manager`` owns every field it changed and nobody owns removed fields. managedFields present in
  ``new`` (not for subresources) are the starting point, as in kube (kubectl's client-side-apply to
  server-side-apply migration rewrites them with a JSON patch).
- :func:`managed_fields(obj)` - parsed entries ``[(entry_dict, paths)]``.

The caller (API server) keeps creation-vs-update, resourceVersion checks, defaulting and validation;
this module only computes the merge and the ownership.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from kubelite.api.fieldpath import (
    Path,
    element_key,
    field_set,
    from_fields_v1,
    missing_keys,
    path_string,
    remove_path,
    to_fields_v1,
    value_at,
)
from kubelite.api.json_patch import json_equal
from kubelite.api.jsonutil import clone
from kubelite.api.meta import format_time
from kubelite.api.schema import SCHEMA, Field, TypeRef
from kubelite.api.status import ApiError, _status, bad_request, go_quote

JsonDict = dict[str, Any]
Entry = tuple[JsonDict, set[Path]]


def _type_name(*objs: JsonDict | None) -> str | None:
    for obj in objs:
        if obj:
            td = SCHEMA.for_object(obj)
            if td:
                return td.name
    return None


def _metadata(obj: JsonDict) -> JsonDict:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    return meta


def managed_fields(obj: JsonDict | None) -> list[Entry]:
    meta = (obj or {}).get("metadata")
    entries = meta.get("managedFields") if isinstance(meta, dict) else None
    out: list[Entry] = []
    for e in entries if isinstance(entries, list) else []:
        if isinstance(e, dict):
            fields = e.get("fieldsV1")
            out.append((dict(e), from_fields_v1(fields) if isinstance(fields, dict) else set()))
    return out


def _identity(entry: JsonDict) -> tuple[str, str, str, str]:
    return (
        str(entry.get("manager", "")), str(entry.get("operation", "")),
        str(entry.get("apiVersion", "")), str(entry.get("subresource", "")),
    )


def _encode(entries: list[Entry]) -> list[JsonDict]:
    out = []
    for entry, paths in entries:
        if not paths:
            continue
        e = {k: v for k, v in entry.items() if k != "fieldsV1"}
        e["fieldsType"] = "FieldsV1"
        e["fieldsV1"] = to_fields_v1(paths)
        out.append(e)
    return out


def _describe_manager(entry: JsonDict) -> str:
    text = go_quote(str(entry.get("manager", "")))
    if entry.get("subresource"):
        text += f" with subresource {go_quote(str(entry['subresource']))}"
    if entry.get("operation") == "Update":
        text += f" using {entry.get('apiVersion', '')}"
    return text


def conflict_error(conflicts: list[tuple[JsonDict, Path]]) -> ApiError:
    """409 Conflict with kube's apply wording and one FieldManagerConflict cause per field."""
    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {_describe_manager(e)}",
         "field": path_string(p)}
        for e, p in conflicts
    ]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = (f"Apply failed with 1 conflict: conflict with {_describe_manager(entry)}: "
                   f"{path_string(path)}")
    else:
        by_manager: dict[str, list[Path]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(_describe_manager(entry), []).append(path)
        lines = []
        for manager in sorted(by_manager):
            lines.append(f"conflicts with {manager}:")
            lines.extend(f"- {path_string(p)}" for p in by_manager[manager])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return _status(409, "Conflict", message, {"causes": causes})


# ------------------------------------------------------------------------------------------ merge


def _merge(live: Any, applied: Any, meta: Field | None) -> Any:
    """Structural merge of an applied value into a live one, by the schema's list types."""
    tref = meta.type if meta else None
    if isinstance(applied, dict) and isinstance(live, dict):
        out = dict(live)
        for k, v in applied.items():
            out[k] = _merge(live.get(k), v, _child(tref, k))
        return out
    if isinstance(applied, list) and isinstance(live, list) and meta is not None and tref is not None:
        if meta.list_type == "map" and meta.list_keys:
            result = list(live)
            elem_meta = Field("", tref.elem) if tref.elem is not None else None
            for item in applied:
                key = element_key(item, meta.list_keys)
                idx = next((i for i, x in enumerate(result) if element_key(x, meta.list_keys) == key), -1)
                if idx >= 0:
                    result[idx] = _merge(result[idx], item, elem_meta)
                else:
                    result.append(clone(item))
            return result
        if meta.list_type == "set":
            return list(live) + [x for x in applied if x not in live]
    return clone(applied)


def _child(tref: TypeRef | None, key: str) -> Field | None:
    if tref is None:
        return None
    if tref.kind == "map":
        return Field(key, tref.elem) if tref.elem is not None else None
    td = SCHEMA.resolve(tref)
    return td.fields.get(key) if td else None


def _merge_top(live: JsonDict, applied: JsonDict, type_name: str | None, subresource: str) -> JsonDict:
    """Merge the applied top-level fields; status belongs to the status subresource and only to it
    (kube's strategies reset the other side)."""
    ref = TypeRef("ref", type_name) if type_name else None
    out = clone(live)
    for k, v in applied.items():
        if k in ("apiVersion", "kind") and k in out:
            continue
        if (k == "status") != (subresource == "status"):
            continue
        value = {mk: mv for mk, mv in v.items() if mk != "managedFields"} if k == "metadata" and isinstance(
            v, dict) else v
        out[k] = _merge(out.get(k), value, _child(ref, k))
    return out


# ------------------------------------------------------------------------------------------ apply


def _still_needed(path: Path, kept: set[Path]) -> bool:
    def owned_under(prefix: Path) -> bool:
        return any(p[: len(prefix)] == prefix for p in kept)

    if owned_under(path):
        return True
    if len(path) >= 2 and path[-2].startswith("k:") and path[-1].startswith("f:"):
        key_fields = json.loads(path[-2][2:])
        return path[-1][2:] in key_fields and owned_under(path[:-1])
    return False


def server_side_apply(
    live: JsonDict | None,
    applied: JsonDict,
    manager: str,
    force: bool,
    now: datetime,
    *,
    subresource: str = "",
) -> JsonDict:
    type_name = _type_name(applied, live)
    problems = missing_keys(applied, type_name)
    if problems:
        group, _, version = str(applied.get("apiVersion", "")).rpartition("/")
        gv = f"{group}/{version}" if group else version
        raise bad_request(f"failed to create typed patch object ({gv}, Kind={applied.get('kind', '')}): "
                          + problems[0])
    base = clone(live) if live else {}
    entries = managed_fields(live)
    applied_set = field_set(applied, type_name, subresource)
    api_version = str(applied.get("apiVersion") or (live or {}).get("apiVersion", ""))

    mine = ("Apply", manager, subresource)
    previous: set[Path] = set()
    others: list[Entry] = []
    for entry, paths in entries:
        if (entry.get("operation"), entry.get("manager"), entry.get("subresource", "")) == mine:
            previous |= paths
        else:
            others.append((entry, paths))

    conflicts: list[tuple[JsonDict, Path]] = []
    for entry, paths in others:
        for path in sorted(paths & applied_set):
            if not path[-1].startswith("f:"):
                continue
            found, live_value = value_at(base, path)
            _, new_value = value_at(applied, path)
            if found and not json_equal(live_value, new_value):
                conflicts.append((entry, path))
    if conflicts and not force:
        raise conflict_error(conflicts)

    merged = _merge_top(base, applied, type_name, subresource)
    owned_by_others: set[Path] = set().union(*(p for _, p in others)) if others else set()
    kept = applied_set | owned_by_others
    # a node somebody still owns something under (an element with a field another manager set) stays,
    # and so do the key fields of an element that stays; removing a node removes what is under it
    doomed = {p for p in previous - kept if not _still_needed(p, kept)}
    for path in sorted(doomed, key=len, reverse=True):
        if not any(path[:i] in doomed for i in range(1, len(path))):
            remove_path(merged, path)

    conflict_paths = {p for _, p in conflicts}
    new_entries: list[Entry] = []
    for entry, paths in others:
        new_entries.append((entry, paths - conflict_paths if force else paths))
    mine_entry: JsonDict = {"manager": manager, "operation": "Apply", "apiVersion": api_version,
                            "time": format_time(now)}
    if subresource:
        mine_entry["subresource"] = subresource
    new_entries.append((mine_entry, applied_set))
    _metadata(merged)["managedFields"] = _encode(new_entries)
    return merged


def track_update(
    old: JsonDict | None,
    new: JsonDict,
    manager: str,
    now: datetime,
    *,
    operation: str = "Update",
    subresource: str = "",
) -> JsonDict:
    type_name = _type_name(new, old)
    old_set = field_set(old, type_name, subresource) if old else set()
    new_set = field_set(new, type_name, subresource)
    changed: set[Path] = set() if old else set(new_set)
    for path in new_set if old else ():
        found, before = value_at(old, path)
        if not found:
            changed.add(path)
        elif path[-1].startswith("f:") and not json_equal(before, value_at(new, path)[1]):
            # a list element (k:/v:) is "changed" only by appearing; its fields speak for themselves
            changed.add(path)
    removed = old_set - new_set
    # Like kube's FieldManager.Update: managedFields sent with the request (not to a subresource) are
    # taken as given, which is how clients reset or migrate ownership; otherwise the live object's.
    sent = managed_fields(new)
    entries = sent if (sent and not subresource) or old is None else managed_fields(old)
    api_version = str(new.get("apiVersion", ""))
    identity = (manager, operation, api_version, subresource)
    out: list[Entry] = []
    found_mine = False
    for entry, paths in entries:
        if _identity(entry) == identity:
            found_mine = True
            out.append(({**entry, "time": format_time(now)}, (paths | changed) - removed))
        else:
            out.append((entry, paths - changed - removed))
    if not found_mine and changed:
        fresh: JsonDict = {"manager": manager, "operation": operation, "apiVersion": api_version,
                           "time": format_time(now)}
        if subresource:
            fresh["subresource"] = subresource
        out.append((fresh, changed))
    result = clone(new)
    _metadata(result)["managedFields"] = _encode(out)
    return result

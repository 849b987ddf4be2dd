"""Field selectors (``fieldSelector=``), with exactly the fields each kind supports.

Public surface (re-exported by :mod:`kubelite.api.selectors`):

- :func:`parse_field_selector(text) -> FieldSelector` - terms ``k=v``/``k==v``/``k!=v`` with kube's
  backslash escapes; :class:`SelectorError` on a term without an operator.
- :func:`compile_field_selector(resource, text, group="") -> FieldSelector` - parse and check every field
  is one the resource (a plural) supports, else ApiError 400 ``field label not supported: x``;
  events.k8s.io names are translated to the stored core ones.
- :func:`field_set(resource, obj) -> dict[str, str]` - the selectable fields of an object, as strings.
- :data:`SUPPORTED_FIELDS`, :func:`supported_fields`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubelite.api.status import bad_request

JsonDict = dict[str, Any]


class SelectorError(ValueError):
    """A selector string or object that does not parse; ``str()`` is kube's message."""


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    op: str  # "=" (also for "==") or "!="
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        have = fields.get(self.field, "")
        return have == self.value if self.op == "=" else have != self.value


@dataclass(frozen=True, slots=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(r.matches(fields) for r in self.requirements)

    def empty(self) -> bool:
        return not self.requirements

    def exact(self, field: str) -> str | None:
        """The value a term pins ``field`` to with ``=``, if any (lets a server narrow a list)."""
        for r in self.requirements:
            if r.field == field and r.op == "=":
                return r.value
        return None

    def __str__(self) -> str:
        return ",".join(f"{r.field}{r.op}{_escape(r.value)}" for r in self.requirements)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, cur, escaped = [], [], False
    for ch in text:
        if escaped:
            cur.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if escaped:
        cur.append("\\")
    parts.append("".join(cur))
    return parts


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value) or value[i + 1] not in "\\,=":
                raise SelectorError(f"invalid field selector escape sequence in {value!r}")
            out.append(value[i + 1])
            i += 2
            continue
        if ch in ",=":
            raise SelectorError(f"invalid field selector: unescaped {ch!r} in value {value!r}")
        out.append(ch)
        i += 1
    return "".join(out)


def _split_term(term: str) -> tuple[str, str, str] | None:
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
        i += 1
    return None


def parse_field_selector(text: str) -> FieldSelector:
    """``fields.ParseSelector``; raises :class:`SelectorError` on a term without an operator."""
    if not text:
        return FieldSelector()
    reqs: list[FieldRequirement] = []
    for term in _split_unescaped(text, ","):
        if not term:
            continue
        split = _split_term(term)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        lhs, op, rhs = split
        reqs.append(FieldRequirement(lhs, "!=" if op == "!=" else "=", _unescape(rhs)))
    return FieldSelector(tuple(reqs))


_COMMON = ("metadata.name", "metadata.namespace")
SUPPORTED_FIELDS: dict[str, tuple[str, ...]] = {
    "pods": (
        *_COMMON, "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
    ),
    "events": (
        *_COMMON, "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type",
    ),
    "nodes": (*_COMMON, "spec.unschedulable"),
    "secrets": (*_COMMON, "type"),
    "namespaces": (*_COMMON, "status.phase"),
    "replicasets": (*_COMMON, "status.replicas"),
    "replicationcontrollers": (*_COMMON, "status.replicas"),
    "jobs": (*_COMMON, "status.successful"),
}


def supported_fields(resource: str) -> tuple[str, ...]:
    return SUPPORTED_FIELDS.get(resource, _COMMON)


# events.k8s.io/v1 names for the selectable fields of the (core-stored) Event.
EVENTS_V1_FIELDS = {
    "regarding.kind": "involvedObject.kind", "regarding.namespace": "involvedObject.namespace",
    "regarding.name": "involvedObject.name", "regarding.uid": "involvedObject.uid",
    "regarding.apiVersion": "involvedObject.apiVersion",
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath", "reportingController": "reportingComponent",
    "deprecatedSource": "source",
}


def compile_field_selector(resource: str, text: str, group: str = "") -> FieldSelector:
    """Parse ``text`` and check each field against what ``resource`` (a plural) supports; both kinds of
    failure become an ApiError 400. For ``group="events.k8s.io"`` the events/v1 field names
    (``regarding.name``...) are accepted and translated to the stored core names."""
    try:
        sel = parse_field_selector(text)
    except SelectorError as e:
        raise bad_request(str(e)) from None
    if group == "events.k8s.io":
        sel = FieldSelector(tuple(
            FieldRequirement(EVENTS_V1_FIELDS.get(r.field, r.field), r.op, r.value) for r in sel.requirements))
    allowed = supported_fields(resource)
    for r in sel.requirements:
        if r.field not in allowed:
            raise bad_request(f"field label not supported: {r.field}")
    return sel


def _get(obj: Any, path: str) -> Any:
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_set(resource: str, obj: JsonDict) -> dict[str, str]:
    """Every selectable field of ``obj`` as the string the selector compares against."""
    meta = obj.get("metadata") or {}
    out = {"metadata.name": _text(meta.get("name")), "metadata.namespace": _text(meta.get("namespace"))}
    for name in supported_fields(resource)[2:]:
        if resource == "events" and name == "source":
            value = _get(obj, "source.component") or _get(obj, "reportingController")
        elif resource == "events" and name == "reportingComponent":
            value = obj.get("reportingComponent") or obj.get("reportingController")
        elif name in ("spec.unschedulable", "spec.hostNetwork"):
            value = bool(_get(obj, name))
        elif name in ("status.replicas", "status.successful"):
            value = _get(obj, name) or 0
        else:
            value = _get(obj, name)
        out[name] = _text(value)
    return out



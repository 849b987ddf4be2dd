"""A compact description of the Kubernetes types: fields, their types, patch strategies and list types.

One description serves strategic merge patch (merge keys, ``patchStrategy``), server-side apply (list
types and keys), Strict field validation (unknown fields) and OpenAPI (component schemas). The types
themselves live as text in :mod:`kubelite.api.types`; this module parses them once.

Text format (one item per line, ``--`` starts a description)::

    @io.k8s.api.core.v1                       # package of the types that follow
    Pod gvk=/v1/Pod [open] -- description     # a type; gvk = group/version/Kind (group may be empty)
      spec PodSpec                            # a field: name and type
      containers []Container k=name s=merge   # list; k= patchMergeKey, s= patchStrategy
      ports []ContainerPort k=containerPort s=merge lk=containerPort,protocol   # lk= list-map keys
      finalizers []string s=merge l=set       # l= x-kubernetes-list-type (atomic|set|map)
      labels map[string]                      # map of string to the element type
      name string req                         # required
            ...continued description          # 6+ spaces: more description for the field above

Scalar types: ``string``, ``boolean``, ``int32``, ``int64``, ``number``, ``byte`` (base64 string),
``IntOrString``, ``Quantity``, ``Time``, ``MicroTime``, ``object`` (free-form). Names with a dot are
package aliases (``meta.ObjectMeta``, ``core.PodTemplateSpec``); others are in the current package.
``open`` marks a type whose unknown fields are kept (we did not transcribe every field).

Public surface: :data:`SCHEMA` (a :class:`Schema`) with ``type(name)``, ``for_gvk(group, version, kind)``,
``for_object(obj)``, ``all_types()``; :class:`TypeDef`, :class:`Field`, :class:`TypeRef`;
:func:`parse(text)` for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

SCALARS = frozenset({
    "string", "boolean", "int32", "int64", "number", "byte", "IntOrString", "Quantity", "Time",
    "MicroTime", "object",
})

ALIASES = {
    "meta": "io.k8s.apimachinery.pkg.apis.meta.v1",
    "core": "io.k8s.api.core.v1",
    "apps": "io.k8s.api.apps.v1",
    "batch": "io.k8s.api.batch.v1",
    "autoscaling": "io.k8s.api.autoscaling.v1",
}


@dataclass(frozen=True, slots=True)
class TypeRef:
    """``kind`` is ``"scalar"`` (``name`` = scalar type), ``"ref"`` (``name`` = qualified type),
    ``"list"`` or ``"map"`` (``elem`` = element type)."""

    kind: str
    name: str = ""
    elem: TypeRef | None = None

    def __str__(self) -> str:
        if self.kind == "list":
            return f"[]{self.elem}"
        if self.kind == "map":
            return f"map[{self.elem}]"
        return self.name


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: TypeRef
    merge_key: str = ""
    strategy: tuple[str, ...] = ()  # e.g. ("merge",), ("merge", "retainKeys"), ("retainKeys",)
    list_type: str = ""  # "atomic" | "set" | "map" for lists (derived when not given)
    list_keys: tuple[str, ...] = ()
    required: bool = False
    description: str = ""


@dataclass(slots=True)
class TypeDef:
    name: str  # fully qualified, e.g. io.k8s.api.core.v1.Pod
    fields: dict[str, Field] = field(default_factory=dict)
    gvk: tuple[str, str, str] | None = None
    open: bool = False
    description: str = ""

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


def _parse_type(text: str, package: str) -> TypeRef:
    if text.startswith("[]"):
        return TypeRef("list", elem=_parse_type(text[2:], package))
    if text.startswith("map[") and text.endswith("]"):
        return TypeRef("map", elem=_parse_type(text[4:-1], package))
    if text in SCALARS:
        return TypeRef("scalar", text)
    if "." in text:
        alias, _, short = text.partition(".")
        return TypeRef("ref", f"{ALIASES[alias]}.{short}")
    return TypeRef("ref", f"{package}.{text}")


def _parse_field(line: str, package: str) -> Field:
    body, _, desc = line.partition(" -- ")
    words = body.split()
    name, type_text, flags = words[0], words[1], words[2:]
    tref = _parse_type(type_text, package)
    opts: dict[str, str] = {}
    required = False
    for flag in flags:
        if flag == "req":
            required = True
        else:
            k, _, v = flag.partition("=")
            opts[k] = v
    merge_key = opts.get("k", "")
    strategy = tuple(s for s in opts.get("s", "").split(",") if s)
    list_keys = tuple(k for k in opts.get("lk", "").split(",") if k)
    list_type = opts.get("l", "")
    if tref.kind == "list" and not list_type:
        if merge_key or list_keys:
            list_type = "map"
        elif "merge" in strategy and tref.elem is not None and tref.elem.kind == "scalar":
            list_type = "set"
        else:
            list_type = "atomic"
    if list_type == "map" and not list_keys and merge_key:
        list_keys = (merge_key,)
    return Field(name, tref, merge_key, strategy, list_type, list_keys, required, desc.strip())


def parse(text: str) -> dict[str, TypeDef]:
    types: dict[str, TypeDef] = {}
    package = ""
    current: TypeDef | None = None
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if raw.startswith("@"):
            package = raw[1:].strip()
            continue
        if raw.startswith("      "):  # continuation of the previous field's description
            if current is None or not current.fields:
                raise ValueError(f"continuation outside a field: {raw!r}")
            last = list(current.fields.values())[-1]
            current.fields[last.name] = replace(last, description=f"{last.description} {raw.strip()}")
            continue
        if raw.startswith(" "):
            if current is None:
                raise ValueError(f"field outside a type: {raw!r}")
            f = _parse_field(raw.strip(), package)
            current.fields[f.name] = f
            continue
        head, _, desc = raw.partition(" -- ")
        words = head.split()
        current = TypeDef(f"{package}.{words[0]}", description=desc.strip())
        for flag in words[1:]:
            if flag == "open":
                current.open = True
            elif flag.startswith("gvk="):
                group, version, kind = flag[4:].split("/")
                current.gvk = (group, version, kind)
        types[current.name] = current
    return types


class Schema:
    """All known types; read-only after construction."""

    def __init__(self, types: dict[str, TypeDef]) -> None:
        self._types = types
        self._by_gvk = {t.gvk: t for t in types.values() if t.gvk}
        missing = [
            (t.name, f.name, r) for t in types.values() for f in t.fields.values()
            for r in _refs(f.type) if r not in types
        ]
        if missing:
            raise ValueError(f"unresolved type references: {missing}")

    def type(self, name: str) -> TypeDef:
        return self._types[name]

    def get(self, name: str) -> TypeDef | None:
        return self._types.get(name)

    def all_types(self) -> list[TypeDef]:
        return list(self._types.values())

    def for_gvk(self, group: str, version: str, kind: str) -> TypeDef | None:
        return self._by_gvk.get((group, version, kind))

    def for_object(self, obj: dict[str, Any]) -> TypeDef | None:
        group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
        return self.for_gvk(group, version, str(obj.get("kind", "")))

    def field(self, type_name: str, name: str) -> Field | None:
        t = self._types.get(type_name)
        return t.fields.get(name) if t else None

    def resolve(self, tref: TypeRef | None) -> TypeDef | None:
        """The struct a type reference points at (None for scalars, lists and maps)."""
        if tref is None or tref.kind != "ref":
            return None
        return self._types.get(tref.name)


def _refs(t: TypeRef) -> list[str]:
    if t.kind == "ref":
        return [t.name]
    if t.elem is not None:
        return _refs(t.elem)
    return []


@cache
def _load() -> Schema:
    from kubelite.api.types import core, meta, others, pod, workloads

    types: dict[str, TypeDef] = {}
    for mod in (meta, pod, core, workloads, others):
        types.update(parse(mod.TEXT))
    return Schema(types)


SCHEMA = _load()

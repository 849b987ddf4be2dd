"""OpenAPI v3 documents generated from the type schema, shaped like kube-apiserver's ``/openapi/v3``.

Public surface (results are built once and cached; treat them as read-only):

- :func:`openapi_root() -> dict` - ``GET /openapi/v3``: ``{"paths": {"api/v1": {"serverRelativeURL":
  "/openapi/v3/api/v1?hash=..."}, "apis/apps/v1": ...}}`` listing every served group-version.
- :func:`openapi_document(group, version) -> dict | None` - ``GET /openapi/v3/api/v1`` and
  ``/openapi/v3/apis/<group>/<version>``: paths for every resource (list/create/get/replace/patch/delete,
  subresources), each PATCH carrying ``x-kubernetes-group-version-kind`` and the ``fieldValidation``
  query parameter (what makes kubectl validate server-side), and ``components.schemas`` named like
  Kubernetes' (``io.k8s.api.core.v1.Pod``) with ``x-kubernetes-group-version-kind``, property types,
  descriptions, and the patch/list extensions kubectl's client-side apply reads
  (``x-kubernetes-patch-merge-key``, ``x-kubernetes-patch-strategy``, ``x-kubernetes-list-type``,
  ``x-kubernetes-list-map-keys``).
- :func:`gv_path(group, version)` (``api/v1`` / ``apis/apps/v1``), :func:`document_hash(group, version)`.
- ``group_version_document`` is an alias of :func:`openapi_document` (the API server looks it up).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

import kubelite
from kubelite.api.resources import REGISTRY, Resource
from kubelite.api.schema import SCHEMA, Field, TypeDef, TypeRef

JsonDict = dict[str, Any]
META = "io.k8s.apimachinery.pkg.apis.meta.v1"
REF = "#/components/schemas/"

_SCALAR_SCHEMAS: dict[str, JsonDict] = {
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "int32": {"type": "integer", "format": "int32"},
    "int64": {"type": "integer", "format": "int64"},
    "number": {"type": "number", "format": "double"},
    "byte": {"type": "string", "format": "byte"},
    "object": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}
_NAMED_SCALARS = {
    "IntOrString": ("io.k8s.apimachinery.pkg.util.intstr.IntOrString",
                    {"type": "string", "format": "int-or-string",
                     "description": "IntOrString is a type that can hold an int32 or a string."}),
    "Quantity": ("io.k8s.apimachinery.pkg.api.resource.Quantity",
                 {"type": "string", "description": "Quantity is a fixed-point representation of a number."}),
    "Time": (f"{META}.Time", {"type": "string", "format": "date-time",
                              "description": "Time is a wrapper around time.Time which supports correct "
                                             "marshaling to YAML and JSON."}),
    "MicroTime": (f"{META}.MicroTime", {"type": "string", "format": "date-time",
                                        "description": "MicroTime is version of Time with microsecond level "
                                                       "precision."}),
}
_EXTRA_SCHEMAS: dict[str, JsonDict] = {
    f"{META}.Patch": {"type": "object", "description": "Patch is provided to give a concrete name and type "
                      "to the Kubernetes PATCH request body."},
    f"{META}.DeleteOptions": {
        "type": "object", "description": "DeleteOptions may be provided when deleting an API object.",
        "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "dryRun": {"type": "array", "items": {"type": "string"}},
            "gracePeriodSeconds": {"type": "integer", "format": "int64"},
            "propagationPolicy": {"type": "string"},
            "orphanDependents": {"type": "boolean"},
            "preconditions": {"type": "object", "properties": {"resourceVersion": {"type": "string"},
                                                               "uid": {"type": "string"}}},
        },
    },
    f"{META}.WatchEvent": {
        "type": "object", "required": ["type", "object"],
        "properties": {"type": {"type": "string"},
                       "object": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    },
}


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


# -------------------------------------------------------------------------------------- schemas


def _type_schema(tref: TypeRef, used: set[str]) -> JsonDict:
    if tref.kind == "scalar":
        if tref.name in _NAMED_SCALARS:
            name = _NAMED_SCALARS[tref.name][0]
            used.add(name)
            return {"$ref": REF + name}
        return dict(_SCALAR_SCHEMAS[tref.name])
    if tref.kind == "ref":
        used.add(tref.name)
        return {"$ref": REF + tref.name}
    elem = _type_schema(tref.elem, used) if tref.elem is not None else {}
    if tref.kind == "list":
        return {"type": "array", "items": elem}
    return {"type": "object", "additionalProperties": elem}


def _field_schema(f: Field, used: set[str]) -> JsonDict:
    schema = _type_schema(f.type, used)
    if "$ref" in schema and f.description:
        schema = {"allOf": [schema], "default": {}}
    if f.description:
        schema["description"] = f.description
    if f.type.kind == "list":
        if f.list_type:
            schema["x-kubernetes-list-type"] = f.list_type
        if f.list_type == "map" and f.list_keys:
            schema["x-kubernetes-list-map-keys"] = list(f.list_keys)
    if f.merge_key:
        schema["x-kubernetes-patch-merge-key"] = f.merge_key
    if f.strategy:
        schema["x-kubernetes-patch-strategy"] = ",".join(f.strategy)
    return schema


def _struct_schema(td: TypeDef, used: set[str]) -> JsonDict:
    schema: JsonDict = {"type": "object"}
    if td.description:
        schema["description"] = td.description
    schema["properties"] = {name: _field_schema(f, used) for name, f in td.fields.items()}
    required = [name for name, f in td.fields.items() if f.required]
    if required:
        schema["required"] = required
    if td.gvk:
        group, version, kind = td.gvk
        schema["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
    if td.open:
        schema["x-kubernetes-preserve-unknown-fields"] = True
    return schema


def _list_schema(td: TypeDef) -> tuple[str, JsonDict]:
    assert td.gvk is not None
    group, version, kind = td.gvk
    schema = {
        "type": "object", "required": ["items"],
        "description": f"{kind}List is a list of {kind} objects.",
        "properties": {
            "apiVersion": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": REF + td.name}},
            "kind": {"type": "string"},
            "metadata": {"allOf": [{"$ref": REF + f"{META}.ListMeta"}], "default": {}},
        },
        "x-kubernetes-group-version-kind": [{"group": group, "kind": f"{kind}List", "version": version}],
    }
    return td.name + "List", schema


def _closure(roots: set[str]) -> dict[str, JsonDict]:
    schemas: dict[str, JsonDict] = {}
    pending = set(roots)
    while pending:
        name = pending.pop()
        if name in schemas:
            continue
        td = SCHEMA.get(name)
        used: set[str] = set()
        if td is not None:
            schemas[name] = _struct_schema(td, used)
        else:
            for full, schema in _NAMED_SCALARS.values():
                if full == name:
                    schemas[name] = dict(schema)
            if name in _EXTRA_SCHEMAS:
                schemas[name] = dict(_EXTRA_SCHEMAS[name])
        pending |= used - schemas.keys()
    return schemas


# -------------------------------------------------------------------------------------- paths


def _camel(group: str) -> str:
    if not group:
        return "Core"
    first = group.split(".", 1)[0]
    return first[:1].upper() + first[1:]


_COMMON_PARAMS = {
    "pretty": {"name": "pretty", "in": "query", "schema": {"type": "string", "uniqueItems": True},
               "description": "If 'true', then the output is pretty printed."},
}


def _param(name: str, where: str = "query", kind: str = "string", required: bool = False) -> JsonDict:
    p: JsonDict = {"name": name, "in": where, "schema": {"type": kind, "uniqueItems": True}}
    if required:
        p["required"] = True
    return p


def _response(ref: str, code: str = "200") -> JsonDict:
    content = {mt: {"schema": {"$ref": REF + ref}} for mt in
               ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")}
    return {code: {"description": "OK" if code == "200" else "Created", "content": content},
            "401": {"description": "Unauthorized"}}


def _op(action: str, verb: str, r: Resource, suffix: str, ref: str, *, params: list[JsonDict] | None = None,
        gvk: tuple[str, str, str] | None = None, body: JsonDict | None = None, code: str = "200") -> JsonDict:
    group, version, kind = gvk or (r.group, r.version, r.kind)
    scope = "Namespaced" if r.namespaced and "ForAllNamespaces" not in suffix else ""
    op: JsonDict = {
        "operationId": f"{verb}{_camel(r.group)}{r.version.capitalize()}{scope}{r.kind}{suffix}",
        "tags": [f"{_camel(r.group).lower()}_{r.version}"],
        "parameters": params or [],
        "responses": _response(ref, code),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": group, "kind": kind, "version": version},
    }
    if body is not None:
        op["requestBody"] = body
    return op


def _body(ref: str, patch: bool = False) -> JsonDict:
    types = (["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
              "application/strategic-merge-patch+json"] if patch else ["*/*"])
    return {"content": {t: {"schema": {"$ref": REF + ref}} for t in types}, "required": True}


_WRITE_PARAMS = [_param("dryRun"), _param("fieldManager"), _param("fieldValidation")]
_PATCH_PARAMS = [*_WRITE_PARAMS, _param("force", kind="boolean")]
_LIST_PARAMS = [_param(n) for n in ("allowWatchBookmarks", "continue", "fieldSelector", "labelSelector",
                                    "resourceVersion", "resourceVersionMatch")] + [
    _param("limit", kind="integer"), _param("timeoutSeconds", kind="integer"), _param("watch", kind="boolean"),
    _param("sendInitialEvents", kind="boolean")]


def _resource_paths(r: Resource, type_name: str) -> dict[str, JsonDict]:
    base = f"/{gv_path(r.group, r.version)}"
    ns_params = [_param("namespace", "path", required=True)] if r.namespaced else []
    collection = f"{base}/namespaces/{{namespace}}/{r.plural}" if r.namespaced else f"{base}/{r.plural}"
    item = f"{collection}/{{name}}"
    name_param = [_param("name", "path", required=True)]
    pretty = [_COMMON_PARAMS["pretty"]]
    paths: dict[str, JsonDict] = {}
    coll: JsonDict = {"parameters": ns_params + pretty}
    if "list" in r.verbs:
        coll["get"] = _op("list", "list", r, "", type_name + "List", params=list(_LIST_PARAMS))
    if "create" in r.verbs:
        coll["post"] = _op("post", "create", r, "", type_name, params=list(_WRITE_PARAMS),
                           body=_body(type_name), code="201")
    if "deletecollection" in r.verbs:
        coll["delete"] = _op("deletecollection", "deleteCollection", r, "", f"{META}.Status",
                             params=list(_LIST_PARAMS), body=_body(f"{META}.DeleteOptions"))
    paths[collection] = coll
    one: JsonDict = {"parameters": name_param + ns_params + pretty}
    one["get"] = _op("get", "read", r, "", type_name)
    if "update" in r.verbs:
        one["put"] = _op("put", "replace", r, "", type_name, params=list(_WRITE_PARAMS), body=_body(type_name))
    if "patch" in r.verbs:
        one["patch"] = _op("patch", "patch", r, "", type_name, params=list(_PATCH_PARAMS),
                           body=_body(f"{META}.Patch", patch=True))
    if "delete" in r.verbs:
        one["delete"] = _op("delete", "delete", r, "", type_name,
                            params=[_param("gracePeriodSeconds", kind="integer"), _param("propagationPolicy"),
                                    _param("dryRun")],
                            body=_body(f"{META}.DeleteOptions"))
    paths[item] = one
    if r.namespaced and "list" in r.verbs:
        paths[f"{base}/{r.plural}"] = {"parameters": pretty, "get": _op(
            "list", "list", r, "ForAllNamespaces", type_name + "List", params=list(_LIST_PARAMS))}
    for sub in r.subresources:
        if sub.name not in ("status", "scale"):
            continue
        ref = type_name if sub.name == "status" else "io.k8s.api.autoscaling.v1.Scale"
        gvk = (sub.group, sub.version, sub.kind)
        suffix = sub.name.capitalize()
        entry: JsonDict = {"parameters": name_param + ns_params + pretty}
        entry["get"] = _op("get", "read", r, suffix, ref, gvk=gvk)
        entry["put"] = _op("put", "replace", r, suffix, ref, params=list(_WRITE_PARAMS), gvk=gvk, body=_body(ref))
        entry["patch"] = _op("patch", "patch", r, suffix, ref, params=list(_PATCH_PARAMS), gvk=gvk,
                             body=_body(f"{META}.Patch", patch=True))
        paths[f"{item}/{sub.name}"] = entry
    return paths


# -------------------------------------------------------------------------------------- documents


@cache
def _document(group: str, version: str) -> JsonDict | None:
    resources = REGISTRY.in_group_version(group, version)
    if not resources:
        return None
    paths: dict[str, JsonDict] = {}
    roots: set[str] = {f"{META}.Status", f"{META}.DeleteOptions", f"{META}.Patch", f"{META}.WatchEvent"}
    lists: dict[str, JsonDict] = {}
    for r in resources:
        td = SCHEMA.for_gvk(r.group, r.version, r.kind)
        if td is None:
            continue
        roots.add(td.name)
        list_name, list_schema = _list_schema(td)
        lists[list_name] = list_schema
        roots.add(f"{META}.ListMeta")
        if r.subresource("scale") is not None:
            roots.add("io.k8s.api.autoscaling.v1.Scale")
        paths.update(_resource_paths(r, td.name))
    schemas = _closure(roots)
    schemas.update(lists)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": kubelite.KUBERNETES_VERSION},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())),
                       "securitySchemes": {"BearerToken": {"type": "apiKey", "in": "header",
                                                           "name": "authorization"}}},
        "security": [{"BearerToken": []}],
    }


def openapi_document(group: str, version: str) -> JsonDict | None:
    return _document(group, version)


group_version_document = openapi_document  # the name kubelite.apiserver.openapi looks up


@cache
def document_hash(group: str, version: str) -> str:
    doc = _document(group, version)
    data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha512(data).hexdigest().upper()


@cache
def openapi_root() -> JsonDict:
    paths = {}
    for group, version in REGISTRY.group_versions():
        path = gv_path(group, version)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={document_hash(group, version)}"}
    return {"paths": paths}

"""``/openapi/v3``: the documents kubectl reads to decide how to validate create/apply.

kubectl looks, in the group-version document, for a PATCH operation whose
``x-kubernetes-group-version-kind`` is the object's and which takes a ``fieldValidation`` query
parameter; finding one, it leaves validation to the server (``fieldValidation=Strict``). When
:mod:`kubelite.api.openapi` provides full schemas (for ``kubectl explain``) they are served; otherwise
the minimal documents below, with no component schemas, which kubectl's client-side apply tolerates by
falling back to its compiled-in types.
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Any

import orjson

from kubelite.api.resources import Registry

Obj = dict[str, Any]


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _param(name: str) -> Obj:
    return {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}


def _minimal_gv_doc(registry: Registry, group: str, version: str) -> Obj:
    paths: Obj = {}
    for r in registry.in_group_version(group, version):
        base = "/" + _gv_path(group, version)
        item = f"{base}/namespaces/{{namespace}}/{r.plural}/{{name}}" if r.namespaced else \
            f"{base}/{r.plural}/{{name}}"
        gvk = {"group": r.group, "version": r.version, "kind": r.kind}
        op = {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch",
              "parameters": [_param("dryRun"), _param("fieldManager"), _param("fieldValidation"),
                             _param("force")],
              "responses": {"200": {"description": "OK"}}}
        paths[item] = {"patch": op}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths, "components": {"schemas": {}}}


def _rich_gv_doc(registry: Registry, group: str, version: str) -> Obj | None:
    try:
        mod = importlib.import_module("kubelite.api.openapi")
    except ImportError:
        return None
    fn = getattr(mod, "group_version_document", None)
    if fn is None:
        return None
    doc = fn(group, version)
    return doc if isinstance(doc, dict) else None


class OpenApiV3:
    """Rendered once: root index plus one document per group-version, addressed by content hash."""

    def __init__(self, registry: Registry) -> None:
        self.docs: dict[str, bytes] = {}
        self.hashes: dict[str, str] = {}
        for group, version in registry.group_versions():
            doc = _rich_gv_doc(registry, group, version) or _minimal_gv_doc(registry, group, version)
            raw = orjson.dumps(doc)
            key = _gv_path(group, version)
            self.docs[key] = raw
            self.hashes[key] = hashlib.sha512(raw).hexdigest()[:128].upper()
        self.root = orjson.dumps({"paths": {
            key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={h}"} for key, h in self.hashes.items()}})

    def document(self, path: str) -> bytes | None:
        return self.docs.get(path.strip("/"))


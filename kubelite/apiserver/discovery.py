"""Discovery documents, computed once from the resource registry: aggregated (v2, v2beta1) and legacy.

kubectl 1.32 offers aggregated discovery v2 then v2beta1 then plain JSON in its Accept header; kubectl
1.29 offers only v2beta1. The answer must carry the exact ``application/json;g=apidiscovery.k8s.io;v=..;
as=APIGroupDiscoveryList`` Content-Type or kubectl misreads the body as legacy discovery. The bodies are
pure functions of the registry, so they are rendered to bytes once at start-up.
"""

from __future__ import annotations

from typing import Any

import orjson

from kubelite.api.resources import Registry, Resource

AGGREGATED_CT = "application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"


def negotiate_aggregated(accept: str) -> str | None:
    """The aggregated discovery version (``v2``/``v2beta1``) the client offered first, if any."""
    for part in accept.split(","):
        params = {}
        for item in part.split(";")[1:]:
            key, _, value = item.strip().partition("=")
            params[key] = value
        if params.get("g") == "apidiscovery.k8s.io" and params.get("as") == "APIGroupDiscoveryList":
            version = params.get("v", "")
            if version in ("v2", "v2beta1"):
                return version
    return None


def _aggregated_resource(r: Resource) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": r.scope,
        "singularResource": r.singular,
        "verbs": list(r.verbs),
    }
    if r.short_names:
        doc["shortNames"] = list(r.short_names)
    if r.categories:
        doc["categories"] = list(r.categories)
    if r.subresources:
        doc["subresources"] = [
            {"subresource": s.name, "responseKind": {"group": s.group, "version": s.version, "kind": s.kind},
             "verbs": list(s.verbs)}
            for s in r.subresources
        ]
    return doc


def aggregated(registry: Registry, *, core: bool, version: str) -> bytes:
    """``/api`` (core) or ``/apis`` (named groups) as an APIGroupDiscoveryList."""
    items = []
    for group, ver in registry.group_versions():
        if (group == "") != core:
            continue
        entry = {"version": ver, "freshness": "Current",
                 "resources": [_aggregated_resource(r) for r in registry.in_group_version(group, ver)]}
        items.append({"metadata": {"name": group} if group else {}, "versions": [entry]})
    return orjson.dumps({"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
                         "metadata": {}, "items": items})


def legacy_api_versions(server_address: str) -> bytes:
    return orjson.dumps({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]})


def _group_doc(group: str, versions: list[str]) -> dict[str, Any]:
    gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}


def legacy_groups(registry: Registry) -> dict[str, dict[str, Any]]:
    """Group name -> APIGroup document."""
    versions: dict[str, list[str]] = {}
    for group, ver in registry.group_versions():
        if group:
            versions.setdefault(group, []).append(ver)
    return {g: {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(g, vs)} for g, vs in versions.items()}


def legacy_group_list(registry: Registry) -> bytes:
    groups = [{k: v for k, v in doc.items() if k not in ("kind", "apiVersion")}
              for doc in legacy_groups(registry).values()]
    return orjson.dumps({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})


def legacy_resource_list(registry: Registry, group: str, version: str) -> bytes:
    resources: list[dict[str, Any]] = []
    for r in registry.in_group_version(group, version):
        doc: dict[str, Any] = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                               "kind": r.kind, "verbs": list(r.verbs)}
        if r.short_names:
            doc["shortNames"] = list(r.short_names)
        if r.categories:
            doc["categories"] = list(r.categories)
        resources.append(doc)
        for s in r.subresources:
            sub: dict[str, Any] = {"name": f"{r.plural}/{s.name}", "singularName": "",
                                   "namespaced": r.namespaced, "kind": s.kind, "verbs": list(s.verbs)}
            if s.group != r.group or s.version != r.version:
                sub["group"], sub["version"] = s.group, s.version
            resources.append(sub)
    gv = f"{group}/{version}" if group else version
    return orjson.dumps({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                         "resources": resources})

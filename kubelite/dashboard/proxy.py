"""Reads and deletes passed through to the API server: ``GET /api/k8s/<api path>`` (JSON),
``GET /api/yaml/<api path>`` (the object as YAML, for the detail page; ``?for=edit`` without status and
server-owned fields) and ``DELETE /api/k8s/<api path>``
(background propagation, as kubectl deletes). The client carries the kubeconfig's credentials."""

from __future__ import annotations

from typing import Any

import yaml
from aiohttp import web

from kubelite.client.rest import Client
from kubelite.dashboard.errors import bad_request

CLIENT: web.AppKey[Client] = web.AppKey("client", Client)
# Query parameters of a list or get the browser may set; anything else (watch, dryRun, ...) is dropped.
READ_PARAMS = ("labelSelector", "fieldSelector", "limit", "continue")


def _path(request: web.Request) -> str | None:
    from kubelite.dashboard.paths import api_path

    return api_path("/" + request.match_info["path"])


async def get(request: web.Request) -> web.StreamResponse:
    path = _path(request)
    if path is None:
        return bad_request("not an API path the dashboard reads")
    params = {k: request.query[k] for k in READ_PARAMS if k in request.query}
    body: Any = await request.app[CLIENT].request("GET", path, params=params)
    return web.json_response(body)


async def get_yaml(request: web.Request) -> web.StreamResponse:
    path = _path(request)
    if path is None:
        return bad_request("not an API path the dashboard reads")
    obj: Any = await request.app[CLIENT].request("GET", path)
    if isinstance(obj, dict):
        obj.get("metadata", {}).pop("managedFields", None)
        if request.query.get("for") == "edit":
            obj = for_editing(obj)
    text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)
    return web.Response(text=text, content_type="text/yaml")


async def delete(request: web.Request) -> web.StreamResponse:
    path = _path(request)
    if path is None:
        return bad_request("not an API path the dashboard deletes")
    body: Any = await request.app[CLIENT].request(
        "DELETE", path, body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"})
    return web.json_response(body)


# Fields the server owns: sent back in an apply they would be refused (uid, managedFields) or would
# pin a stale version (resourceVersion), so the copy a user edits leaves them out.
SERVER_OWNED_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                         "deletionTimestamp", "deletionGracePeriodSeconds")


def for_editing(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as a manifest to edit and apply again: no status, no server-owned metadata."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_OWNED_METADATA}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if k != "kubectl.kubernetes.io/last-applied-configuration"}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out

"""Reads and deletes passed through to the API server: ``GET /api/k8s/<api path>`` (JSON),
``GET /api/yaml/<api path>`` (the object as YAML, for the detail page) and ``DELETE /api/k8s/<api path>``
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
    text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)
    return web.Response(text=text, content_type="text/yaml")


async def delete(request: web.Request) -> web.StreamResponse:
    path = _path(request)
    if path is None:
        return bad_request("not an API path the dashboard deletes")
    body: Any = await request.app[CLIENT].request(
        "DELETE", path, body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"})
    return web.json_response(body)

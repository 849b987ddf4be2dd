"""GET of one object: the object itself, or a one-row Table for ``kubectl get <kind> <name>``."""

from __future__ import annotations

from aiohttp import web

from kubelite.apiserver import negotiation, printing
from kubelite.apiserver.verbs.request import ResourceRequest, json_response, raw_response


async def handle(rr: ResourceRequest) -> web.StreamResponse:
    rv = rr.query.get("resourceVersion", "")
    table = negotiation.wants_table(rr.http.headers.get("Accept", ""))
    if not table:
        # The common case passes the cache's encoded bytes through untouched.
        cached = await rr.store.get_cached(rr.namespace, rr.name, resource_version=rv)
        if cached is not None:
            return raw_response(cached.raw)
    obj = await rr.store.get(rr.namespace, rr.name, resource_version=rv)
    if table:
        rows = printing.to_table(
            rr.resource, [obj], resource_version=obj["metadata"].get("resourceVersion", ""),
            now=rr.ctx.clock.now(),
            include_object=negotiation.include_object(rr.query.get("includeObject", "")))
        return json_response(rows, content_type=negotiation.TABLE_CT)
    return json_response(obj)

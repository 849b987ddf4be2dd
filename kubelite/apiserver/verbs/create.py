"""POST to a collection: create one object (201), or answer the object a dry run would create."""

from __future__ import annotations

from aiohttp import web

from kubelite.apiserver import admission
from kubelite.apiserver.verbs.request import ResourceRequest, json_response


async def handle(rr: ResourceRequest) -> web.StreamResponse:
    obj = await rr.body_object()
    rr.check_body_type(obj)
    opts = rr.write_options()
    warnings = admission.check_fields(rr.resource, obj, rr.field_validation())
    created = await rr.store.create(rr.namespace, obj, opts)
    return json_response(created, 201, headers=admission.warning_headers(warnings))

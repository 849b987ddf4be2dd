"""PUT of an object: a full replacement guarded by the body's resourceVersion (409 on mismatch)."""

from __future__ import annotations

from aiohttp import web

from kubelite.apiserver import admission
from kubelite.apiserver.verbs.request import ResourceRequest, json_response


async def handle(rr: ResourceRequest) -> web.StreamResponse:
    obj = await rr.body_object()
    rr.check_body_type(obj)
    opts = rr.write_options()
    warnings = admission.check_fields(rr.resource, obj, rr.field_validation())
    _check_name(rr, obj)
    result, created = await rr.store.update(rr.namespace, rr.name, obj, opts)
    return json_response(result, 201 if created else 200, headers=admission.warning_headers(warnings))


def _check_name(rr: ResourceRequest, obj: dict[str, object]) -> None:
    from kubelite.api import status as st

    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise st.bad_request("metadata must be an object")
    if meta.get("name") not in (None, "", rr.name):
        raise st.bad_request(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL ({rr.name})")
    meta["name"] = rr.name

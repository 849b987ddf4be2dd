"""DELETE of one object and of a collection (deletecollection).

A deletion that completes answers 200 with the object as it was; one that is deferred (graceful pods,
finalizers, terminating namespaces) answers 202 with the object carrying its deletionTimestamp, as
kube-apiserver does, so ``kubectl delete`` knows to wait for it to disappear.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubelite.api import status as st
from kubelite.apiserver import codec, filters
from kubelite.apiserver.verbs.request import ResourceRequest, delete_options, json_response


async def _options(rr: ResourceRequest) -> Any:
    raw = await rr.body()
    body = None
    if raw.strip():
        value = codec.decode_body(rr.http.headers.get("Content-Type", "application/json"), raw)
        if not isinstance(value, dict):
            raise st.bad_request("DeleteOptions must be an object")
        body = value
    return delete_options(rr.query, body, rr.write_options().dry_run)


async def handle(rr: ResourceRequest) -> web.StreamResponse:
    opts = await _options(rr)
    obj, gone = await rr.store.delete(rr.namespace, rr.name, opts)
    return json_response(obj, 200 if gone else 202)


async def handle_collection(rr: ResourceRequest) -> web.StreamResponse:
    if "deletecollection" not in rr.resource.verbs:
        raise st.method_not_allowed(rr.resource.plural, "deletecollection", rr.resource.group)
    opts = await _options(rr)
    flt = filters.from_query(rr.resource, rr.query)
    prefix = rr.resource.storage_prefix(rr.namespace or None)
    result = await rr.ctx.storage.list(prefix)
    deleted = []
    for kv in result.items:
        obj = rr.store.decode(kv)
        if not flt.everything and not flt.matches(obj):
            continue
        meta = obj["metadata"]
        try:
            out, _ = await rr.store.delete(str(meta.get("namespace") or ""), str(meta.get("name")), opts)
        except st.ApiError as err:
            if err.code == 404:
                continue
            raise
        deleted.append(out)
    return json_response({"kind": rr.resource.list_kind, "apiVersion": rr.resource.api_version,
                          "metadata": {"resourceVersion": str(result.revision)}, "items": deleted})

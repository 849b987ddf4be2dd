"""PATCH in its four types: JSON Patch, JSON merge patch, strategic merge patch and server-side apply.

The patch algebra lives in :mod:`kubelite.api` (json_patch, merge_patch, strategic, apply); this module
picks one by Content-Type, applies it to the current object inside the store's optimistic-concurrency
loop (so a concurrent writer makes it re-read and re-apply, never lose an update), and lets apply create
an object that does not exist yet (201).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aiohttp import web

from kubelite.api import status as st
from kubelite.apiserver import admission, codec
from kubelite.apiserver.verbs.request import ResourceRequest, json_response

Obj = dict[str, Any]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
APPLY_CBOR = "application/apply-patch+cbor"
PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC, APPLY]


def _fn(module: str, *names: str) -> Callable[..., Any]:
    try:
        mod = importlib.import_module(f"kubelite.api.{module}")
    except ImportError:
        raise st.unsupported_media_type(module, PATCH_TYPES) from None
    for name in names:
        fn: Callable[..., Any] | None = getattr(mod, name, None)
        if callable(fn):
            return fn
    raise st.unsupported_media_type(module, PATCH_TYPES)


def patcher(media: str, patch: Any) -> Callable[[Obj], Obj]:
    """A function from the current object to the patched one, for non-apply patch types."""
    if media == JSON_PATCH:
        if not isinstance(patch, list):
            raise st.bad_request("json patch must be a JSON array of operations")
        fn = _fn("json_patch", "apply_json_patch")
        return lambda obj: _call(fn, obj, patch)
    if not isinstance(patch, dict):
        raise st.bad_request("the patch must be a JSON object")
    if media == MERGE_PATCH:
        fn = _fn("merge_patch", "apply_merge_patch")
        return lambda obj: _call(fn, obj, patch)
    if media == STRATEGIC:
        fn = _fn("strategic", "apply_strategic_patch")
        return lambda obj: _call(fn, obj, patch)
    raise st.unsupported_media_type(media, PATCH_TYPES)


def _call(fn: Callable[..., Any], obj: Obj, patch: Any) -> Obj:
    try:
        result = fn(obj, patch)
    except st.ApiError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, RecursionError) as err:
        to_api_error = getattr(err, "to_api_error", None)  # api.patch_errors.PatchError
        if to_api_error is not None:
            raise to_api_error() from None
        raise st.bad_request(f"the patch could not be applied: {err}") from None
    if not isinstance(result, dict):
        raise st.bad_request("the patched object is not a JSON object")
    return result


async def handle(rr: ResourceRequest, *, subresource_apply: Callable[[Obj, Obj], Obj] | None = None
                 ) -> web.StreamResponse:
    content_type = rr.http.headers.get("Content-Type", "")
    media = codec.media_type(content_type)
    if media == APPLY_CBOR:
        raise st.unsupported_media_type(media, PATCH_TYPES)
    if media not in PATCH_TYPES:
        raise st.unsupported_media_type(media, PATCH_TYPES)
    patch = codec.decode_body(content_type, await rr.body())
    opts = rr.write_options()
    mode = rr.field_validation()
    if media == APPLY:
        return await _apply(rr, patch, opts, mode)
    apply_patch = patcher(media, patch)
    warnings: list[str] = []

    def mutate(old: Obj) -> Obj:
        new = apply_patch(old)
        rr.check_body_type(new)
        warnings[:] = admission.check_fields(rr.resource, new, mode)
        new_meta = new.setdefault("metadata", {})
        if not isinstance(new_meta, dict):
            raise st.bad_request("metadata must be an object")
        from kubelite.apiserver import objectmeta as om

        om.carry_server_meta(new_meta, old["metadata"])
        if subresource_apply is not None:
            return subresource_apply(new, old)
        rr.store.strategy.prepare_for_update(new, old)
        return new

    obj, _ = await rr.store.guaranteed_update(rr.namespace, rr.name, mutate, opts)
    return json_response(obj, headers=admission.warning_headers(warnings))


async def _apply(rr: ResourceRequest, patch: Any, opts: Any, mode: str) -> web.StreamResponse:
    """Server-side apply: create when absent, else merge with field ownership (api.apply)."""
    if not isinstance(patch, dict):
        raise st.bad_request("the apply patch must be an object")
    manager = rr.query.get("fieldManager", "")
    if not manager:
        raise st.bad_request("PATCH with apply requires a fieldManager query parameter")
    force = rr.flag("force")
    rr.check_body_type(patch)
    warnings = admission.check_fields(rr.resource, patch, mode)
    meta = patch.get("metadata")
    if not isinstance(meta, dict):
        raise st.bad_request("metadata must be an object")
    if meta.get("name") not in (None, "", rr.name):
        raise st.bad_request(f"the name of the object ({meta.get('name')}) does not match the name on the "
                             f"URL ({rr.name})")
    apply_fn = _fn("apply", "server_side_apply")
    now = rr.ctx.clock.now()
    opts = replace(opts, track_fields=False)
    sub = rr.info.subresource if rr.info.subresource == "status" else ""

    def run_apply(live: Obj | None) -> Obj:
        try:
            new = apply_fn(live, patch, manager, force, now, subresource=sub)
        except st.ApiError:
            raise
        except (ValueError, TypeError, KeyError, RecursionError) as err:
            to_api_error = getattr(err, "to_api_error", None)
            if to_api_error is not None:
                raise to_api_error() from None
            raise st.bad_request(f"apply failed: {err}") from None
        if not isinstance(new, dict):
            raise st.bad_request("apply did not produce an object")
        return new

    def mutate(old: Obj) -> Obj:
        new = run_apply(old)
        from kubelite.apiserver import objectmeta as om

        om.carry_server_meta(new.setdefault("metadata", {}), old["metadata"])
        new["metadata"]["resourceVersion"] = str((patch.get("metadata") or {}).get("resourceVersion") or "")
        if sub:
            return rr.store.strategy.prepare_for_status_update(new, old)
        rr.store.strategy.prepare_for_update(new, old)
        return new

    def create() -> Obj:
        new = run_apply(None)
        new.setdefault("metadata", {})["name"] = rr.name
        new["metadata"].pop("resourceVersion", None)
        return new

    obj, created = await rr.store.guaranteed_update(rr.namespace, rr.name, mutate, opts,
                                                    create_missing=create)
    return json_response(obj, 201 if created else 200, headers=admission.warning_headers(warnings))

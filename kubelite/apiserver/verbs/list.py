"""LIST of a collection, with Kubernetes' resourceVersion semantics and pagination.

Where the answer comes from:
- ``resourceVersion=0`` (any version): the watch cache, ``limit`` ignored, as kube-apiserver does.
- unset, without ``limit`` (or with one the result fits): a consistent read from the watch cache, after it
  has caught up with storage's current revision (Kubernetes 1.31's consistent list from cache).
- ``limit``/``continue``, or ``resourceVersionMatch=Exact``: storage pages at one revision. The continue
  token names that revision and the last key; once compacted it is answered with 410 Expired.

Items are sent as the bytes the cache already encoded: a 10,000-pod list is one join, not 10,000 dumps.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from aiohttp import web

from kubelite.api import status as st
from kubelite.apiserver import filters, negotiation, printing
from kubelite.apiserver.store import translate_storage_error
from kubelite.apiserver.verbs.request import ResourceRequest, large_response
from kubelite.apiserver.watchcache import CachedObject
from kubelite.storage.interface import StorageError

Obj = dict[str, Any]


def encode_continue(revision: int, last_key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"v": 1, "rv": revision, "start": last_key})).decode()


def decode_continue(token: str) -> tuple[int, str]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        rv, start = int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise st.bad_request(f"invalid continue token {token!r}") from None
    if rv <= 0:
        raise st.bad_request("continue key is not valid: incorrect encoded start resourceVersion")
    return rv, start


def _parse_rv(raw: str) -> int | None:
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise st.bad_request(f"invalid resource version: {raw!r}") from None
    if value < 0:
        raise st.bad_request(f"invalid resource version: {raw!r}")
    return value


class Page:
    def __init__(self, items: list[CachedObject] | list[Obj], revision: int, token: str = "") -> None:
        self.items = items
        self.revision = revision
        self.token = token


async def _from_cache(rr: ResourceRequest, flt: filters.Filter, min_revision: int, *,
                      requested: bool = False) -> Page | None:
    """The page from the watch cache once it has seen ``min_revision``; None to read storage instead.
    A client-``requested`` revision the cache does not reach in time is a 504, as in Kubernetes."""
    cache = rr.store.cache
    if cache is None or not cache.ready.is_set() or rr.store.converts:
        return None
    if min_revision and not await cache.wait_for(min_revision):
        if requested:
            raise st.timeout(f"Too large resource version: {min_revision}, current: {cache.revision}", 1)
        return None
    prefix = rr.resource.storage_prefix(rr.namespace or None)
    name = flt.exact_name()
    if name is not None and (rr.namespace or not rr.resource.namespaced):
        found = cache.get(rr.resource.storage_key(rr.namespace or None, name))
        objs = [found] if found is not None else []
        revision = cache.revision
    else:
        objs, revision = cache.snapshot(prefix)
    if not flt.everything:
        objs = [o for o in objs if flt.matches(o.obj)]
    return Page(objs, revision)


async def _from_storage(rr: ResourceRequest, flt: filters.Filter, limit: int, revision: int | None,
                        start_after: str | None) -> Page:
    prefix = rr.resource.storage_prefix(rr.namespace or None)
    items: list[Obj] = []
    read_at = revision
    more = False
    last = start_after
    try:
        while True:
            want = max(limit - len(items), 0) if limit else 0
            result = await rr.ctx.storage.list(prefix, revision=read_at, limit=want, start_after=last)
            read_at = result.revision
            for kv in result.items:
                last = kv.key
                try:
                    obj = rr.store.decode(kv)
                except ValueError:
                    continue
                if flt.everything or flt.matches(obj):
                    items.append(obj)
            more = result.more
            if not more or not limit or len(items) >= limit:
                break
    except StorageError as err:
        if start_after is not None and err.__class__.__name__ == "CompactedError":
            raise st.expired("The provided continue parameter is too old to display a consistent list "
                             "result. You can start a new list without the continue parameter.") from None
        raise translate_storage_error(err, rr.resource, "") from None
    token = encode_continue(read_at or 0, last) if more and last else ""
    return Page(items, read_at or 0, token)


async def list_page(rr: ResourceRequest) -> Page:
    flt = filters.from_query(rr.resource, rr.query)
    limit = rr.int_param("limit") or 0
    token = rr.query.get("continue", "")
    rv = _parse_rv(rr.query.get("resourceVersion", ""))
    match = rr.query.get("resourceVersionMatch", "")
    if match not in ("", "Exact", "NotOlderThan"):
        raise st.bad_request(f"invalid resourceVersionMatch {match!r}")
    if token:
        if rv:
            raise st.bad_request("specifying resource version is not allowed when using continue")
        revision, start = decode_continue(token)
        return await _from_storage(rr, flt, limit, revision, start)
    if match == "Exact":
        if not rv:
            raise st.bad_request("resourceVersionMatch=Exact requires a non-zero resourceVersion")
        return await _from_storage(rr, flt, limit, rv, None)
    if rv == 0:
        page = await _from_cache(rr, flt, 0)
        if page is not None:
            return page
    if rv is None and not limit:
        current = await rr.ctx.storage.current_revision()
        page = await _from_cache(rr, flt, current)
        if page is not None:
            return page
    if rv and not limit:
        page = await _from_cache(rr, flt, rv, requested=True)
        if page is not None:
            return page
    return await _from_storage(rr, flt, limit, None, None)


def _list_bytes(rr: ResourceRequest, page: Page) -> bytes:
    meta: Obj = {"resourceVersion": str(page.revision)}
    if page.token:
        meta["continue"] = page.token
    head = (b'{"kind":"' + rr.resource.list_kind.encode() + b'","apiVersion":"'
            + rr.resource.api_version.encode() + b'","metadata":' + orjson.dumps(meta) + b',"items":[')
    parts = [o.raw if isinstance(o, CachedObject) else orjson.dumps(o) for o in page.items]
    return head + b",".join(parts) + b"]}"


async def handle(rr: ResourceRequest) -> web.StreamResponse:
    page = await list_page(rr)
    if negotiation.wants_table(rr.http.headers.get("Accept", "")):
        objs = [o.obj if isinstance(o, CachedObject) else o for o in page.items]
        table = printing.to_table(rr.resource, objs, resource_version=str(page.revision),
                                  now=rr.ctx.clock.now(), continue_token=page.token,
                                  include_object=negotiation.include_object(
                                      rr.query.get("includeObject", "")))
        return await large_response(rr.http, orjson.dumps(table), content_type=negotiation.TABLE_CT)
    return await large_response(rr.http, _list_bytes(rr, page))

"""Paginated listings: ``/v2/<name>/tags/list`` and ``/v2/_catalog``, both with ``n``/``last``.

Results are sorted lexically; ``last`` excludes everything up to and including it; when more
remain, a ``Link: <...?n=N&last=X>; rel="next"`` header says where to continue, as the spec asks.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from kubelite.distribution.errors import Code, RegistryError
from kubelite.distribution.server.common import registry, repo_name

MAX_PAGE = 10000


def paginate(items: list[str], n_text: str | None, last: str | None) -> tuple[list[str], str | None]:
    """The page after ``last`` of at most ``n`` items, and the last item if more remain."""
    rest = [i for i in items if last is None or i > last]
    if n_text is None:
        return rest, None
    try:
        n = int(n_text)
    except ValueError:
        raise RegistryError(Code.PAGINATION_NUMBER_INVALID, detail={"n": n_text[:50]}) from None
    if n < 0 or n > MAX_PAGE:
        raise RegistryError(Code.PAGINATION_NUMBER_INVALID, detail={"n": n})
    page = rest[:n]
    return page, (page[-1] if len(rest) > n and page else None)


async def list_tags(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    if not reg.storage.repo_exists(name):
        raise RegistryError(Code.NAME_UNKNOWN, detail={"name": name})
    n = request.query.get("n")
    page, more = paginate(reg.storage.tags(name), n, request.query.get("last"))
    headers = {}
    if more is not None:
        headers["Link"] = f'</v2/{name}/tags/list?n={n}&last={quote(more)}>; rel="next"'
    return web.json_response({"name": name, "tags": page}, headers=headers)


async def catalog(request: web.Request) -> web.Response:
    reg = registry(request)
    n = request.query.get("n")
    page, more = paginate(reg.storage.repositories(), n, request.query.get("last"))
    headers = {}
    if more is not None:
        headers["Link"] = f'</v2/_catalog?n={n}&last={quote(more)}>; rel="next"'
    return web.json_response({"repositories": page}, headers=headers)

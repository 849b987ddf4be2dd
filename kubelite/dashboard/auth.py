"""Who may use the dashboard: whoever holds the login token printed by ``kubelite dashboard``.

The token arrives once in the URL (``/?token=...``, as Jupyter does); the answer sets it as an HttpOnly,
SameSite=Strict cookie and redirects to a URL without it, so it leaves the address bar and scripts cannot
read it. Later requests carry the cookie; scripts and tests may send ``Authorization: Bearer <token>``
instead. Everything except the static assets (which hold no cluster data) needs one of the two.

Cross-site requests: SameSite=Strict keeps the cookie off requests started by other sites, and writes
and WebSocket upgrades must also come from the dashboard's own origin (checked on ``Origin``), so
a page elsewhere cannot drive the cluster through a logged-in browser.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

COOKIE_PREFIX = "kubelite-dashboard-"
PUBLIC_PREFIXES = ("/static/",)
PUBLIC_PATHS = frozenset({"/favicon.ico", "/healthz"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

UNAUTHORISED_PAGE = """<!doctype html><meta charset="utf-8"><title>kubelite dashboard: log in</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Not logged in</h1><p>Open the URL that <code>kubelite dashboard</code> printed: it carries the login
token (<code>/?token=...</code>).</p></body>"""


def cookie_name(token: str) -> str:
    """Cookies are per host, not per port: two dashboards on one machine would overwrite each other's
    cookie under one name, so the name carries a digest of the token (which it does not reveal)."""
    return COOKIE_PREFIX + hashlib.sha256(token.encode()).hexdigest()[:12]


def _matches(given: str, token: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


def presented(request: web.Request, token: str) -> bool:
    """Whether the request carries the token, by cookie or bearer header (compared in constant time)."""
    if _matches(request.cookies.get(cookie_name(token), ""), token):
        return True
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and _matches(value.strip(), token)


def same_origin(request: web.Request) -> bool:
    """A browser names the page that started a write or a WebSocket in ``Origin``; it must be ours.
    Clients that send no Origin (curl, tests) are not browsers and carry the token themselves."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin in (f"http://{request.host}", f"https://{request.host}")


def unauthorised(request: web.Request, message: str, code: int = 401) -> web.StreamResponse:
    if request.path.startswith("/api/"):
        reason = "Unauthorized" if code == 401 else "Forbidden"
        return web.json_response({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
                                  "reason": reason, "message": message}, status=code)
    return web.Response(status=code, text=UNAUTHORISED_PAGE, content_type="text/html")


def middleware(token: str) -> Middleware:
    """The aiohttp middleware enforcing the module docstring's rules."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC_PATHS or request.path.startswith(PUBLIC_PREFIXES):
            return await handler(request)
        given = request.query.get("token")
        if request.path == "/" and given is not None:
            if not _matches(given, token):
                return unauthorised(request, "the login token is wrong")
            resp = web.HTTPFound("/")
            resp.set_cookie(cookie_name(token), token, httponly=True, samesite="Strict", path="/")
            raise resp
        if not presented(request, token):
            return unauthorised(request, "log in with the URL printed by `kubelite dashboard`")
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if (request.method not in SAFE_METHODS or upgrade) and not same_origin(request):
            return unauthorised(request, "requests from another site are refused", code=403)
        return await handler(request)

    return check

"""The HTTP edge of auth: which scope a request needs, the 401 challenge, and the token endpoint.

The middleware works out the scope from the matched route (``repository:<name>:pull`` for reads,
``pull,push`` for writes, ``delete`` for deletes, ``registry:catalog:*`` for the catalog) and
checks it against Basic credentials (htpasswd mode) or a bearer token (token mode). A refusal is
always 401 UNAUTHORIZED with a ``WWW-Authenticate`` challenge naming the scope, so a client holding
a token for a narrower scope knows to fetch a new one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from kubelite.distribution.errors import Code, RegistryError
from kubelite.distribution.server.auth import (
    Htpasswd,
    Scope,
    TokenIssuer,
    allows,
    grant,
    parse_basic,
)

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Guard:
    htpasswd: Htpasswd | None
    issuer: TokenIssuer | None
    realm: str | None

    @property
    def enabled(self) -> bool:
        return self.htpasswd is not None or self.issuer is not None


GUARD: web.AppKey[Guard] = web.AppKey("guard", Guard)


def needed_scopes(request: web.Request) -> list[Scope]:
    """The access a request needs; an empty list for the ping, which only needs to be authenticated."""
    info = request.match_info
    if request.path.rstrip("/") == "/v2/_catalog":
        return [Scope("registry", "catalog", ("*",))]
    name = info.get("name")
    if name is None:
        return []
    if request.method in ("GET", "HEAD"):
        scopes = [Scope("repository", name, ("pull",))]
    elif request.method == "DELETE":
        scopes = [Scope("repository", name, ("delete",))]
    else:
        scopes = [Scope("repository", name, ("pull", "push"))]
    source = request.query.get("from")
    if request.method == "POST" and "mount" in request.query and source:
        scopes.append(Scope("repository", source, ("pull",)))
    return scopes


def _challenge(guard: Guard, scopes: list[Scope], error: str | None) -> RegistryError:
    if guard.issuer is not None:
        parts = [f'realm="{guard.realm}"', f'service="{guard.issuer.service}"']
        if scopes:
            parts.append(f'scope="{" ".join(str(s) for s in scopes)}"')
        if error:
            parts.append(f'error="{error}"')
        header = "Bearer " + ",".join(parts)
    else:
        header = 'Basic realm="kubelite-registry"'
    return RegistryError(Code.UNAUTHORIZED, detail=[{"Type": s.type, "Name": s.name, "Action": a}
                                                    for s in scopes for a in s.actions] or None,
                         headers={"WWW-Authenticate": header})


async def _basic_ok(guard: Guard, header: str | None) -> bool:
    creds = parse_basic(header)
    if creds is None or guard.htpasswd is None:
        return False
    return await asyncio.to_thread(guard.htpasswd.check, *creds)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    guard = request.app[GUARD]
    if not guard.enabled or not request.path.startswith("/v2"):
        return await handler(request)
    scopes = needed_scopes(request)
    header = request.headers.get("Authorization")
    if guard.issuer is None:
        if await _basic_ok(guard, header):
            return await handler(request)
        raise _challenge(guard, scopes, None)
    if header is None or header[:7].lower() != "bearer ":
        raise _challenge(guard, scopes, None)
    claims = guard.issuer.verify(header[7:].strip())
    if claims is None:
        raise _challenge(guard, scopes, "invalid_token")
    missing = [s for s in scopes if not allows(claims, s)]
    if missing:
        raise _challenge(guard, scopes, "insufficient_scope")
    return await handler(request)


async def token_endpoint(request: web.Request) -> web.Response:
    """``GET /token?service=...&scope=...``: a signed token for the scopes this caller may have."""
    guard = request.app[GUARD]
    issuer = guard.issuer
    if issuer is None:
        raise RegistryError(Code.UNSUPPORTED, "token auth is not enabled on this registry")
    service = request.query.get("service")
    if service is not None and service != issuer.service:
        raise RegistryError(Code.DENIED, f"unknown service {service!r}")
    requested = [s for raw in request.query.getall("scope", []) for part in raw.split(" ")
                 if (s := Scope.parse(part)) is not None]
    header = request.headers.get("Authorization")
    subject = ""
    if header is not None:
        if not await _basic_ok(guard, header):
            raise RegistryError(Code.UNAUTHORIZED, "invalid username or password",
                                headers={"WWW-Authenticate": 'Basic realm="kubelite-registry"'})
        creds = parse_basic(header)
        subject = creds[0] if creds else ""
    granted = grant(requested, authenticated=bool(subject), anonymous_allowed=guard.htpasswd is None)
    token = issuer.issue(subject, granted)
    log.debug("token issued", extra={"user": subject or "<anonymous>",
                                     "scopes": " ".join(str(s) for s in granted)})
    return web.json_response({"token": token, "access_token": token, "expires_in": issuer.lifetime})

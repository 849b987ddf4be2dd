"""The aiohttp application: middlewares (errors as Status, authentication, in-flight limit) and routes.

Routing is two-level: fixed paths (version, health, discovery, openapi) are aiohttp routes; everything
under ``/api/v1`` and ``/apis/<g>/<v>`` goes through one catch-all that parses the path
(:mod:`kubelite.apiserver.requestinfo`) and picks the verb module by method and shape.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Awaitable, Callable

from aiohttp import web

from kubelite import KUBERNETES_VERSION, __version__
from kubelite.api import status as st
from kubelite.apiserver import discovery
from kubelite.apiserver.context import ApiContext
from kubelite.apiserver.openapi import OpenApiV3
from kubelite.apiserver.requestinfo import NotAResourcePathError, parse_path
from kubelite.apiserver.tokens import TokenError
from kubelite.apiserver.verbs import create, delete, get, patch, subresources, update, watch
from kubelite.apiserver.verbs import list as list_verb
from kubelite.apiserver.verbs.request import ResourceRequest, json_response, raw_response

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})
LONG_RUNNING_SUFFIXES = ("/exec", "/attach", "/portforward")
CTX_KEY = web.AppKey("ctx", ApiContext)


def status_response(err: st.ApiError) -> web.Response:
    body = {k: v for k, v in err.status.items() if not k.startswith("_")}
    headers = None
    retry = (body.get("details") or {}).get("retryAfterSeconds")
    if retry:
        headers = {"Retry-After": str(retry)}
    return json_response(body, err.code, headers=headers)


def _not_found_path() -> st.ApiError:
    err = st.not_found("", "")
    err.status["message"] = "the server could not find the requested resource"
    err.status["details"] = {}
    return err


def error_response(request: web.Request, err: Exception) -> web.Response | None:
    """The Status answer for an exception a handler raised; None when it must propagate."""
    if isinstance(err, st.ApiError):
        return status_response(err)
    if isinstance(err, web.HTTPRequestEntityTooLarge):
        return status_response(st.request_entity_too_large())
    if isinstance(err, web.HTTPNotFound):
        return status_response(_not_found_path())
    if isinstance(err, web.HTTPMethodNotAllowed):
        return status_response(st.ApiError({"kind": "Status", "apiVersion": "v1", "metadata": {},
                                            "status": "Failure", "message": f"the server does not allow "
                                            f"this method on the requested resource ({err.method})",
                                            "reason": "MethodNotAllowed", "code": 405}))
    if isinstance(err, ConnectionResetError):
        return None  # the client went away: nobody to answer
    if isinstance(err, TimeoutError):
        return status_response(st.timeout("the request did not complete in time", 1))
    if isinstance(err, web.HTTPException):
        # Anything else aiohttp raises (400 on a malformed body read, ...) still answers a Status.
        if err.status >= 500:
            return None
        body = st.bad_request(err.reason or "bad request").status
        body["code"], body["reason"] = err.status, err.reason.replace(" ", "") or "BadRequest"
        return json_response(body, err.status)
    log.exception("request failed", extra={"method": request.method, "path": request.path})
    return status_response(st.internal(f"{type(err).__name__}: {err}"))


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Exception as err:
        answer = error_response(request, err)
        if answer is None:
            raise
        return answer


class Authenticator:
    """Admin bearer token, ServiceAccount JWTs, or a client certificate verified by TLS."""

    def __init__(self, admin_token: str | None, ctx: ApiContext) -> None:
        self.admin_token = admin_token
        self.ctx = ctx

    def user(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = header[7:].strip()
            if self.admin_token is not None and token == self.admin_token:
                return "admin"
            if self.ctx.signer is not None:
                try:
                    claims = self.ctx.signer.verify(token, now=self.ctx.clock.now().timestamp())
                except TokenError:
                    return None
                return str(claims.get("sub", ""))
            return None
        transport = request.transport
        ssl_obj = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_obj is not None and ssl_obj.getpeercert():
            return "client-certificate"
        if self.admin_token is None:
            return "anonymous"  # authentication disabled (plain-HTTP test servers)
        return None


def make_front_middleware(auth: Authenticator, limit: int) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Errors, authentication and the in-flight limit in one middleware: every request passes here,
    so one coroutine frame instead of three is worth having."""
    state = {"n": 0}

    @web.middleware
    async def front_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        counted = False
        try:
            path = request.path
            if path not in PUBLIC_PATHS and auth.user(request) is None:
                raise st.unauthorized()
            q = request.query
            long_running = path.endswith(LONG_RUNNING_SUFFIXES)  # sessions, not requests (as kube)
            if not (q.get("watch") in ("true", "1") or q.get("follow") in ("true", "1") or path in PUBLIC_PATHS
                    or long_running):
                if state["n"] >= limit:
                    raise st.too_many_requests()
                state["n"] += 1
                counted = True
            return await handler(request)
        except Exception as err:
            answer = error_response(request, err)
            if answer is None:
                raise
            return answer
        finally:
            if counted:
                state["n"] -= 1

    return front_middleware


# ----------------------------------------------------------------------------------- fixed endpoints


def version_info() -> dict[str, str]:
    major, minor = KUBERNETES_VERSION.lstrip("v").split(".")[:2]
    return {"major": major, "minor": minor, "gitVersion": f"{KUBERNETES_VERSION}+kubelite-{__version__}",
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": f"python{platform.python_version()}",
            "compiler": "cpython", "platform": f"linux/{_arch()}"}


def _arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


class FixedRoutes:
    def __init__(self, ctx: ApiContext, ready: Callable[[], bool], server_address: str) -> None:
        self.ctx = ctx
        self.ready = ready
        self.server_address = server_address
        reg = ctx.registry
        self.aggregated = {(core, v): discovery.aggregated(reg, core=core, version=v)
                           for core in (True, False) for v in ("v2", "v2beta1")}
        self.legacy_groups = discovery.legacy_groups(reg)
        self.legacy_group_list = discovery.legacy_group_list(reg)
        self.resource_lists = {(g, v): discovery.legacy_resource_list(reg, g, v)
                               for g, v in reg.group_versions()}
        self.openapi = OpenApiV3(reg)

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/version", self.version)
        for path in ("/healthz", "/livez", "/readyz"):
            app.router.add_get(path, self.health)
            app.router.add_get(path + "/{check:.*}", self.health)
        app.router.add_get("/api", self.api_root)
        app.router.add_get("/apis", self.apis_root)
        app.router.add_get("/api/v1", self.core_resources)
        app.router.add_get("/apis/{group}", self.group)
        app.router.add_get("/apis/{group}/{version}", self.group_resources)
        app.router.add_get("/openapi/v3", self.openapi_root)
        app.router.add_get("/openapi/v3/{path:.*}", self.openapi_doc)
        app.router.add_get("/openapi/v2", self.openapi_v2)

    async def version(self, request: web.Request) -> web.StreamResponse:
        return json_response(version_info())

    async def health(self, request: web.Request) -> web.StreamResponse:
        if not self.ready():
            return web.Response(status=500, text="[-]ready failed: storage or caches not ready\n")
        return web.Response(text="ok")

    def _aggregated(self, request: web.Request, core: bool) -> web.StreamResponse | None:
        version = discovery.negotiate_aggregated(request.headers.get("Accept", ""))
        if version is None:
            return None
        return raw_response(self.aggregated[(core, version)],
                            content_type=discovery.AGGREGATED_CT.format(v=version))

    async def api_root(self, request: web.Request) -> web.StreamResponse:
        return self._aggregated(request, True) or raw_response(
            discovery.legacy_api_versions(self.server_address))

    async def apis_root(self, request: web.Request) -> web.StreamResponse:
        return self._aggregated(request, False) or raw_response(self.legacy_group_list)

    async def core_resources(self, request: web.Request) -> web.StreamResponse:
        return raw_response(self.resource_lists[("", "v1")])

    async def group(self, request: web.Request) -> web.StreamResponse:
        doc = self.legacy_groups.get(request.match_info["group"])
        if doc is None:
            raise _not_found_path()
        return json_response(doc)

    async def group_resources(self, request: web.Request) -> web.StreamResponse:
        body = self.resource_lists.get((request.match_info["group"], request.match_info["version"]))
        if body is None:
            raise _not_found_path()
        return raw_response(body)

    async def openapi_root(self, request: web.Request) -> web.StreamResponse:
        return raw_response(self.openapi.root)

    async def openapi_doc(self, request: web.Request) -> web.StreamResponse:
        body = self.openapi.document(request.match_info["path"])
        if body is None:
            raise _not_found_path()
        return raw_response(body, headers={"Cache-Control": "public, immutable"})

    async def openapi_v2(self, request: web.Request) -> web.StreamResponse:
        raise _not_found_path()


# ------------------------------------------------------------------------------------ resource routes


async def _dispatch(ctx: ApiContext, request: web.Request) -> web.StreamResponse:
    try:
        info = parse_path(request.path)
    except NotAResourcePathError:
        raise _not_found_path() from None
    resource = ctx.registry.by_gvr(info.group, info.version, info.resource)
    if resource is None:
        raise _not_found_path()
    wrong_scope = info.namespace and not resource.namespaced
    if wrong_scope or (info.name and resource.namespaced and not info.namespace):
        raise _not_found_path()
    rr = ResourceRequest(ctx, resource, info, request)
    method = request.method
    if info.subresource:
        return await subresources.handle(rr, method)
    if not info.name:
        if method == "GET":
            if rr.flag("watch"):
                return await watch.handle(rr)
            return await list_verb.handle(rr)
        if method == "POST":
            return await create.handle(rr)
        if method == "DELETE":
            return await delete.handle_collection(rr)
    else:
        if method == "GET":
            return await get.handle(rr)
        if method == "PUT":
            return await update.handle(rr)
        if method == "PATCH":
            return await patch.handle(rr)
        if method == "DELETE":
            return await delete.handle(rr)
    raise st.method_not_allowed(resource.plural, method.lower(), resource.group)


def build_app(ctx: ApiContext, *, admin_token: str | None, ready: Callable[[], bool],
              server_address: str) -> web.Application:
    auth = Authenticator(admin_token, ctx)
    app = web.Application(
        client_max_size=ctx.limits.max_body_bytes,
        middlewares=[make_front_middleware(auth, ctx.limits.max_in_flight)],
    )
    app[CTX_KEY] = ctx
    FixedRoutes(ctx, ready, server_address).add_to(app)

    async def resources(request: web.Request) -> web.StreamResponse:
        return await _dispatch(ctx, request)

    app.router.add_route("*", "/api/{tail:.+}", resources)
    app.router.add_route("*", "/apis/{tail:.+}", resources)
    return app


"""Wiring: the aiohttp application, its routes, the error middleware, and ``serve``.

Route order matters where patterns overlap: repository names contain ``/``, so the upload routes
are registered before ``blobs/{digest}``. Every error below the edge is a RegistryError that the
middleware turns into the spec's JSON body; anything else is logged and answered as a JSON 500,
never an HTML page or a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from pathlib import Path

from aiohttp import web

from kubelite.distribution.errors import RegistryError
from kubelite.distribution.server import blobs, listing, manifests, referrers, uploads
from kubelite.distribution.server.auth import Htpasswd, TokenIssuer, load_htpasswd
from kubelite.distribution.server.common import REGISTRY, Registry
from kubelite.distribution.server.config import ServerConfig
from kubelite.distribution.server.guard import GUARD, Guard, Handler, auth_middleware, token_endpoint
from kubelite.distribution.server.storage import Storage

log = logging.getLogger(__name__)

_NAME = "{name:[^?#]+?}"


def _json_error(err: RegistryError) -> web.Response:
    return web.Response(status=err.status, body=json.dumps(err.body()).encode(),
                        content_type="application/json", headers=err.headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except RegistryError as err:
        response = _json_error(err)
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            from kubelite.distribution.errors import Code

            code = Code.NAME_UNKNOWN if exc.status == 404 else Code.UNSUPPORTED
            response = _json_error(RegistryError(code, exc.reason, status=exc.status))
        else:
            raise
    except (ConnectionError, asyncio.CancelledError):
        raise
    except Exception:
        log.exception("registry request failed", extra={"method": request.method, "path": request.path})
        response = web.json_response({"errors": [{"code": "UNKNOWN", "message": "internal error"}]},
                                     status=500)
    response.headers.setdefault("Docker-Distribution-API-Version", "registry/2.0")
    return response


async def ping(request: web.Request) -> web.Response:
    return web.json_response({})


def build_app(config: ServerConfig) -> web.Application:
    """The registry as an aiohttp application; starts nothing until it is run."""
    htpasswd = Htpasswd(load_htpasswd(config.htpasswd)) if config.htpasswd else None
    issuer = TokenIssuer(config.token_service) if config.token_realm else None
    app = web.Application(middlewares=[error_middleware, auth_middleware],
                          client_max_size=config.max_manifest_size + 1)
    app[REGISTRY] = Registry(config, Storage(config.root))
    app[GUARD] = Guard(htpasswd, issuer, config.token_realm)
    r = app.router
    r.add_get("/v2/", ping)
    r.add_get("/v2", ping)
    r.add_get("/v2/_catalog", listing.catalog)
    r.add_get(f"/v2/{_NAME}/tags/list", listing.list_tags)
    r.add_route("GET", f"/v2/{_NAME}/manifests/{{reference}}", manifests.get_manifest)
    r.add_route("HEAD", f"/v2/{_NAME}/manifests/{{reference}}", manifests.get_manifest)
    r.add_put(f"/v2/{_NAME}/manifests/{{reference}}", manifests.put_manifest)
    r.add_delete(f"/v2/{_NAME}/manifests/{{reference}}", manifests.delete_manifest)
    r.add_post(f"/v2/{_NAME}/blobs/uploads/", uploads.start_upload)
    r.add_get(f"/v2/{_NAME}/blobs/uploads/{{uuid}}", uploads.get_upload)
    r.add_patch(f"/v2/{_NAME}/blobs/uploads/{{uuid}}", uploads.patch_upload)
    r.add_put(f"/v2/{_NAME}/blobs/uploads/{{uuid}}", uploads.put_upload)
    r.add_delete(f"/v2/{_NAME}/blobs/uploads/{{uuid}}", uploads.delete_upload)
    r.add_get(f"/v2/{_NAME}/blobs/{{digest}}", blobs.get_blob)  # HEAD too: FileResponse answers both
    r.add_delete(f"/v2/{_NAME}/blobs/{{digest}}", blobs.delete_blob)
    r.add_get(f"/v2/{_NAME}/referrers/{{digest}}", referrers.list_referrers)
    r.add_get("/token", token_endpoint)
    return app


def ssl_context(config: ServerConfig) -> ssl.SSLContext | None:
    if config.tls_cert is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(config.tls_cert), str(config.tls_key) if config.tls_key else None)
    return ctx


async def serve(config: ServerConfig, ready: asyncio.Event | None = None,
                stop: asyncio.Event | None = None) -> None:
    """Run the registry until ``stop`` is set (or forever); ``ready`` is set once it listens."""
    app = build_app(config)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, ssl_context=ssl_context(config),
                       reuse_address=True)
    await site.start()
    log.info("registry listening", extra={"addr": f"{config.host}:{config.port}",
                                          "root": str(config.root)})
    if ready is not None:
        ready.set()
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        await runner.cleanup()


def default_root() -> Path:
    return Path("/var/lib/kubelite/registry")

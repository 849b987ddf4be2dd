"""The dashboard's aiohttp application and its lifecycle.

Routes (all but ``/static`` need the login token, see :mod:`kubelite.dashboard.auth`):

=========================  ==========================================================================
``GET /``                  the single-page UI (``/?token=`` logs in and redirects here)
``GET /api/k8s/<path>``    a get or list of an API path (:mod:`.proxy`); ``DELETE`` deletes it
``GET /api/yaml/<path>``   one object as YAML
``GET /api/watch``         server-sent events for several collections (:mod:`.watch`)
``GET /api/logs``          a pod's log, followed (:mod:`.streams`)
``GET /api/exec``          WebSocket: an exec session in a container (:mod:`.streams`)
``POST /api/scale|restart|undo|create``  the UI's writes (:mod:`.actions`)
=========================  ==========================================================================
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from kubelite.client.rest import Client
from kubelite.dashboard import actions, auth, errors, proxy, streams, watch
from kubelite.dashboard.config import DashboardConfig

STATIC = Path(__file__).parent / "static"


async def index(_request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def healthz(_request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


def make_app(config: DashboardConfig, client: Client) -> web.Application:
    """The application for an open ``client``; the caller owns the client's lifetime."""
    app = web.Application(middlewares=[auth.middleware(config.token), errors.translate],
                          client_max_size=actions.MAX_MANIFEST_BYTES + 1024)
    app[proxy.CLIENT] = client
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_get("/api/k8s/{path:.+}", proxy.get)
    app.router.add_delete("/api/k8s/{path:.+}", proxy.delete)
    app.router.add_get("/api/yaml/{path:.+}", proxy.get_yaml)
    app.router.add_get("/api/watch", watch.watch)
    app.router.add_get("/api/logs", streams.logs)
    app.router.add_get("/api/exec", streams.exec_)
    app.router.add_post("/api/scale", actions.scale)
    app.router.add_post("/api/restart", actions.restart)
    app.router.add_post("/api/undo", actions.undo)
    app.router.add_post("/api/create", actions.create)
    return app


def login_url(host: str, port: int, token: str) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/?token={token}"


async def serve(config: DashboardConfig, client: Client, *, on_ready: Callable[[str], None]) -> None:
    """Serve until cancelled; ``on_ready`` gets the login URL once the socket listens."""
    runner = web.AppRunner(make_app(config, client), shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.address, config.port)
        await site.start()
        # The listening socket tells which port the kernel picked for port 0.
        port = int(runner.addresses[0][1]) if runner.addresses else config.port
        on_ready(login_url(config.address, port, config.token))
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()

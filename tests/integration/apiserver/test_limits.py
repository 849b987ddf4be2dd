"""Max in-flight requests: beyond the limit a 429 Status with Retry-After, watches exempt."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from kubelite.api.resources import REGISTRY
from kubelite.apiserver.context import ApiContext, Limits
from kubelite.apiserver.http import Authenticator, make_front_middleware
from kubelite.base.clock import RealClock
from kubelite.storage.memory import MemoryStorage

pytestmark = pytest.mark.integration


async def test_inflight_limit_answers_429() -> None:
    gate = asyncio.Event()
    entered = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        entered.set()
        await gate.wait()
        return web.Response(text="done")

    ctx = ApiContext(registry=REGISTRY, storage=MemoryStorage(), clock=RealClock(), limits=Limits())
    # No admin token: authentication off, as on plain-HTTP test servers; the limit is what is tested.
    app = web.Application(middlewares=[make_front_middleware(Authenticator(None, ctx), 1)])
    async def fast(request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    app.router.add_get("/slow", slow)
    app.router.add_get("/fast", fast)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            first = asyncio.create_task(session.get(f"http://127.0.0.1:{port}/slow"))
            await asyncio.wait_for(entered.wait(), 10)
            async with session.get(f"http://127.0.0.1:{port}/fast") as resp:
                body = await resp.json()
                assert resp.status == 429 and resp.headers["Retry-After"] == "1"
                assert body["kind"] == "Status" and body["reason"] == "TooManyRequests"
            async with session.get(f"http://127.0.0.1:{port}/fast?watch=true") as resp:
                assert resp.status == 200  # long-running requests are not counted
            gate.set()
            resp1 = await first
            assert resp1.status == 200
            resp1.release()
            async with session.get(f"http://127.0.0.1:{port}/fast") as resp:
                assert resp.status == 200  # the slot is free again
    finally:
        await runner.cleanup()

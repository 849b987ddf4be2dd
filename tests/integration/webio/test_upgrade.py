"""take_over: an aiohttp handler answers 101 to an upgrade aiohttp does not know (SPDY/3.1) and then owns
the raw byte stream both ways, over real sockets on loopback."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from kubelite.webio.upgrade import take_over, wants_upgrade

pytestmark = pytest.mark.integration

REQUEST = (b"POST /x HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
           b"X-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n")


async def _echo(request: web.Request) -> web.StreamResponse:
    if not wants_upgrade(request, "SPDY/3.1"):
        raise web.HTTPBadRequest(text="upgrade required")
    resp, conn = await take_over(request, {"Connection": "Upgrade", "Upgrade": "SPDY/3.1",
                                           "X-Stream-Protocol-Version": "portforward.k8s.io"})
    while data := await conn.read():
        conn.write(data.upper())
        await conn.drain()
    conn.close()
    return resp


async def test_raw_bytes_flow_both_ways_after_101() -> None:
    app = web.Application()
    app.router.add_post("/x", _echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        lines = head.decode().split("\r\n")
        assert lines[0] == "HTTP/1.1 101 Switching Protocols"
        assert "Upgrade: SPDY/3.1" in lines and not any(h.lower().startswith("transfer-encoding") for h in lines)
        # Bytes that look like HTTP are not parsed as a request any more.
        writer.write(b"GET / HTTP/1.1\r\n\r\n")
        assert await asyncio.wait_for(reader.readexactly(18), 30) == b"GET / HTTP/1.1\r\n\r\n"
        writer.write(b"\x80\x03\x00\x06")
        assert await asyncio.wait_for(reader.readexactly(4), 30) == b"\x80\x03\x00\x06"
        writer.write_eof()
        assert await asyncio.wait_for(reader.read(), 30) == b""  # the handler closed after our EOF
        writer.close()

        # A plain request to the same route is still ordinary HTTP.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        assert (await asyncio.wait_for(reader.read(), 30)).startswith(b"HTTP/1.1 400")
        writer.close()
    finally:
        await runner.cleanup()

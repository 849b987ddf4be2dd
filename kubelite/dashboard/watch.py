"""Live lists: ``GET /api/watch?path=P&path=Q`` is one server-sent-event stream carrying the watch
events of several collections, so a page needs one connection however many lists it shows (browsers
allow only six per host over HTTP/1.1).

Each path is watched with the client's resuming watch from version "" (the server first sends what
exists as ADDED, then the changes). Each event is one SSE message ``{"i": <index of the path>, "type",
"object"}``. When the server no longer has the version to resume from, a ``RESET`` message for that
path tells the page to forget its copy, and the watch starts over from "" (each stream also starts
with one, for browsers that reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiohttp import web

from kubelite.client.errors import ApiError, GoneError
from kubelite.client.rest import Client
from kubelite.client.watch import watch_resuming
from kubelite.dashboard.errors import bad_request
from kubelite.dashboard.paths import api_path
from kubelite.dashboard.proxy import CLIENT

log = logging.getLogger(__name__)
MAX_PATHS = 8
KEEPALIVE_SECONDS = 15.0

Message = dict[str, Any]


def _slim(obj: Any) -> Any:
    """managedFields are large and never shown in lists."""
    if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
        obj["metadata"].pop("managedFields", None)
    return obj


async def _pump(client: Client, index: int, path: str, out: asyncio.Queue[Message]) -> None:
    """Feed one path's events into ``out`` for ever, starting over after a 410.

    Every stream starts with a ``RESET`` per path: a browser reconnecting by itself (EventSource does)
    then drops what it held, including objects deleted while it was away, before the new ADDED events."""
    await out.put({"i": index, "type": "RESET"})
    while True:
        try:
            async for event in watch_resuming(client, path):
                await out.put({"i": index, "type": event.type, "object": _slim(event.object)})
        except GoneError:
            await out.put({"i": index, "type": "RESET"})
        except ApiError as err:  # e.g. 403/404 for this path: say so once, stop watching it
            await out.put({"i": index, "type": "ERROR", "object": err.status})
            return


async def watch(request: web.Request) -> web.StreamResponse:
    paths = request.query.getall("path", [])
    if not paths or len(paths) > MAX_PATHS:
        return bad_request(f"name between 1 and {MAX_PATHS} collections to watch with path=")
    checked = [api_path(p) for p in paths]
    if any(p is None for p in checked):
        return bad_request("not an API path the dashboard watches")
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                       "X-Accel-Buffering": "no"})
    await resp.prepare(request)
    queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=1000)
    client = request.app[CLIENT]
    pumps = [asyncio.create_task(_pump(client, i, p, queue)) for i, p in enumerate(checked) if p]
    try:
        await resp.write(b": connected\n\n")
        while True:
            try:
                msg = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                await resp.write(b": keepalive\n\n")  # finds a browser that went away
                continue
            await resp.write(b"data: " + orjson.dumps(msg) + b"\n\n")
    except ConnectionResetError:
        pass  # the browser went away
    finally:
        for task in pumps:
            task.cancel()
        for task in pumps:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    return resp

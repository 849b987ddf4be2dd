"""Live lists: ``GET /api/watch?path=P&path=Q`` is one server-sent-event stream carrying the watch
events of several collections, so a page needs one connection however many lists it shows (browsers
allow only six per host over HTTP/1.1).

Each path is followed as an informer does: list, then watch from the list's resourceVersion with the
client's resuming watch. Each message is one SSE ``data:`` line ``{"i": <index of the path>, "type",
"object"}``, in this order per path:

- ``RESET``: forget what you hold for this path (first in every stream, so a browser that reconnects by
  itself, as EventSource does, drops objects deleted while it was away; again before every re-list);
- ``ADDED`` for each listed object, then ``SYNCED``: the page now holds the whole collection (until
  then an empty table means "loading", not "none");
- ``ADDED``/``MODIFIED``/``DELETED`` as they happen.

A 410 (the version to resume from is gone) or a lost API server re-lists, after a short pause in the
second case, with an ``ERROR`` message the page shows until the next ``RESET``. A refusal (403, 404)
is one ``ERROR`` and that path is not followed further.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiohttp import web

from kubelite.client.errors import ApiError, GoneError, TransportError
from kubelite.client.rest import Client
from kubelite.client.watch import watch_resuming
from kubelite.dashboard.errors import bad_request
from kubelite.dashboard.paths import api_path
from kubelite.dashboard.proxy import CLIENT

log = logging.getLogger(__name__)
MAX_PATHS = 8
KEEPALIVE_SECONDS = 15.0
RELIST_PAUSE_SECONDS = 2.0

Message = dict[str, Any]


def _slim(obj: Any) -> Any:
    """managedFields are large and never shown in lists."""
    if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
        obj["metadata"].pop("managedFields", None)
    return obj


async def _follow(client: Client, index: int, path: str, out: asyncio.Queue[Message]) -> None:
    """One list-then-watch cycle; returns only by raising (410, transport failure, refusal)."""
    await out.put({"i": index, "type": "RESET"})
    listing: Any = await client.request("GET", path)
    for item in (listing or {}).get("items") or []:
        await out.put({"i": index, "type": "ADDED", "object": _slim(item)})
    await out.put({"i": index, "type": "SYNCED"})
    version = str(((listing or {}).get("metadata") or {}).get("resourceVersion") or "")
    async for event in watch_resuming(client, path, resource_version=version):
        await out.put({"i": index, "type": event.type, "object": _slim(event.object)})


async def _pump(client: Client, index: int, path: str, out: asyncio.Queue[Message]) -> None:
    """Follow one path for ever, as the module docstring says."""
    while True:
        try:
            await _follow(client, index, path, out)
        except GoneError:
            continue  # re-list at once
        except ApiError as err:  # e.g. 403/404 for this path: say so once, stop following it
            await out.put({"i": index, "type": "ERROR", "object": err.status})
            return
        except TransportError as err:
            await out.put({"i": index, "type": "ERROR", "object": {"message": f"the API server is not answering: "
                                                                              f"{err}"}})
            await client.clock.sleep(RELIST_PAUSE_SECONDS)


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

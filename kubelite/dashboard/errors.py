"""Failures answered to the browser as Kubernetes ``Status`` objects, whatever their origin: the API
server's own Status passes through unchanged; an unreachable server is a 502 Status."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from kubelite.client.errors import ApiError, TransportError

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def status(code: int, reason: str, message: str) -> web.Response:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
                            "reason": reason, "message": message}
    return web.json_response(body, status=code)


def bad_request(message: str) -> web.Response:
    return status(400, "BadRequest", message)


@web.middleware
async def translate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """API errors become their Status; a lost API server a 502; never a traceback page."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise  # aiohttp's own answers (404 for an unknown route, redirects)
    except ApiError as err:
        code = int(err.status.get("code") or 500)
        return web.json_response(err.status, status=code)
    except TransportError as err:
        return status(502, "BadGateway", f"the API server could not be reached: {err}")
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception as err:  # a bug of ours: logged with its trace, answered as one line
        log.exception("dashboard request failed", extra={"path": request.path})
        return status(500, "InternalError", f"the dashboard failed on this request: {type(err).__name__}: {err}")

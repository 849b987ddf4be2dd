"""Relaying an upgraded connection (WebSocket, SPDY/3.1) between a client and a kubelet, byte for byte.

kube-apiserver's UpgradeAwareHandler does not speak the streaming protocols: it forwards the upgrade
request to the kubelet, copies the kubelet's answer back, and after a ``101 Switching Protocols`` joins the
two sockets. We do the same so that only the kubelet speaks WebSocket channels, SPDY or
SPDY-in-WebSocket (port-forward); a protocol the kubelet learns works through the API server unchanged.

aiohttp's request parser treats only ``Upgrade: websocket`` (and ``tcp``) as an upgrade: a ``POST``
with ``Upgrade: SPDY/3.1`` is an ordinary request to it. :func:`kubelite.webio.upgrade.take_over` (shared
with the kubelet) answers the 101 itself and hands us the raw connection through the hook aiohttp's own
WebSocket uses (``RequestHandler.set_parser``). So:

1. open our own TLS connection to the kubelet and send the request line and headers (the client's
   ``Authorization`` replaced by the API server's credentials), read the kubelet's status line and headers;
2. anything but 101: the caller turns it into an answer (the kubelet's status and body);
3. 101: answer the client with a 101 carrying the kubelet's headers (``Sec-WebSocket-Accept``,
   ``Sec-WebSocket-Protocol``, ``X-Stream-Protocol-Version``...), then copy bytes both ways until either
   side closes, and close both. Each direction waits on the other side's write buffer (backpressure).

The ``Sec-WebSocket-Key`` travels unchanged, so the kubelet's ``Sec-WebSocket-Accept`` is valid for the
client as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict

from kubelite.webio.upgrade import RawConnection, take_over

HEAD_LIMIT = 64 * 1024  # a kubelet's response head is a few hundred bytes
CHUNK = 64 * 1024
DIAL_TIMEOUT = 30.0  # seconds to connect to the kubelet and to get its answer to the upgrade
_NOT_FORWARDED_101_HEADERS = frozenset({"content-length", "transfer-encoding", "date", "server"})
# Hop-by-hop or rewritten request headers; Connection and Upgrade are kept (they are the upgrade).
DROPPED_REQUEST_HEADERS = frozenset({"host", "authorization", "content-length", "transfer-encoding",
                                     "proxy-authorization", "proxy-connection", "keep-alive", "te"})


@dataclass(frozen=True)
class BackendHead:
    """The kubelet's status line and headers (what follows stays in the reader)."""

    status: int
    reason: str
    headers: CIMultiDict[str]


class BackendError(Exception):
    """The kubelet could not be reached or answered something that is not HTTP."""


async def open_backend(host: str, port: int, ssl_ctx: ssl.SSLContext | None, *, method: str, path_qs: str,
                       headers: Iterable[tuple[str, str]],
                       ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, BackendHead]:
    """Connect to the kubelet, send the request head, and read the response head."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ssl_ctx, server_hostname="" if ssl_ctx else None,
                                    limit=HEAD_LIMIT), DIAL_TIMEOUT)
    except (OSError, TimeoutError) as err:
        raise BackendError(f"dial tcp {host_port(host, port)}: {err.strerror or err or 'timed out'}") from None
    try:
        lines = [f"{method} {path_qs} HTTP/1.1", f"Host: {host_port(host, port)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), DIAL_TIMEOUT)
        head = parse_head(raw)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as err:
        writer.close()
        raise BackendError(f"error reading the kubelet's answer: {err or type(err).__name__}") from None
    return reader, writer, head


def parse_head(raw: bytes) -> BackendHead:
    """``HTTP/1.1 101 Switching Protocols\\r\\nName: value\\r\\n...\\r\\n\\r\\n`` (pure)."""
    text = raw.decode("latin-1")
    first, _, rest = text.partition("\r\n")
    parts = first.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP status line: {first[:80]!r}")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in rest.split("\r\n"):
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"malformed header line: {line[:80]!r}")
        headers.add(name.strip(), value.strip())
    return BackendHead(int(parts[1]), parts[2] if len(parts) > 2 else "", headers)


async def read_body(reader: asyncio.StreamReader, head: BackendHead, limit: int = HEAD_LIMIT) -> bytes:
    """The (small) body of a refused upgrade: Content-Length, chunked, or up to the close."""
    try:
        if "Content-Length" in head.headers:
            return await reader.readexactly(min(int(head.headers["Content-Length"]), limit))
        if head.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while len(out) < limit:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    break
                out += await reader.readexactly(size)
                await reader.readexactly(2)
            return out[:limit]
        return await reader.read(limit)
    except (OSError, ValueError, asyncio.IncompleteReadError):
        return b""


async def relay(request: web.Request, head: BackendHead, reader: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> web.StreamResponse:
    """Answer the client's upgrade with the kubelet's 101, then copy bytes both ways until one side
    closes; both connections are closed then. Returns the response for the handler to return."""
    headers = {k: v for k, v in head.headers.items() if k.lower() not in _NOT_FORWARDED_101_HEADERS}
    try:
        response, conn = await take_over(request, headers)
    except BaseException:
        writer.close()
        raise
    down = asyncio.create_task(_kubelet_to_client(reader, conn), name="upgrade-relay-down")
    up = asyncio.create_task(_client_to_kubelet(conn, writer), name="upgrade-relay-up")
    try:
        await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (down, up):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        writer.close()
        conn.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return response


async def _kubelet_to_client(reader: asyncio.StreamReader, conn: RawConnection) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await reader.read(CHUNK):
            conn.write(chunk)
            await conn.drain()


async def _client_to_kubelet(conn: RawConnection, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await conn.read(CHUNK):
            writer.write(chunk)
            await writer.drain()


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

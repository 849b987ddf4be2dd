"""Taking over an aiohttp server connection after a ``101 Switching Protocols`` of our own.

aiohttp upgrades a connection only to ``websocket`` (and ``tcp``): its parser ignores any other
``Upgrade`` token, and after the request it would read the next bytes as another HTTP request. Kubernetes
needs ``Upgrade: SPDY/3.1`` (exec/attach for kubectl <= 1.29 and port-forward for kubectl <= 1.30), both
on the kubelet (which speaks SPDY) and on the API server (which relays bytes to the kubelet).

The clean seam aiohttp offers is the one its own WebSocket uses: ``request.protocol.set_parser(p)``
routes every byte received afterwards to ``p.feed_data`` instead of the HTTP parser. :func:`take_over`
answers 101 with the given headers, installs a feeder that fills an :class:`asyncio.StreamReader`, and
hands back a :class:`RawConnection` whose writes go straight to the transport (TLS included). The
handler keeps the connection while it runs; :meth:`RawConnection.close` ends it, and aiohttp does not
reuse it (keep-alive is off).

A client that sends bytes before it reads our 101 would have them parsed as HTTP; Go's SPDY client (all
kubectl versions) waits for the response first, so nothing is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiohttp import web

READ_LIMIT = 1 << 20  # bytes buffered before reading from the peer pauses


class _Feeder:
    """What ``RequestHandler.set_parser`` expects: ``feed_data(data) -> (eof, tail)`` and ``feed_eof()``."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.reader.feed_data(data)
        return False, b""

    def feed_eof(self) -> None:
        self.reader.feed_eof()


class RawConnection:
    """The byte stream of an upgraded connection, both ways."""

    def __init__(self, reader: asyncio.StreamReader, transport: asyncio.Transport, writer: object) -> None:
        self.reader = reader
        self._transport = transport
        self._writer = writer  # aiohttp's payload writer: its drain() waits on the transport's buffer

    def write(self, data: bytes) -> None:
        if not self._transport.is_closing():
            self._transport.write(data)

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark."""
        drain = getattr(self._writer, "drain", None)
        if drain is not None and not self._transport.is_closing():
            try:
                await drain()
            except ConnectionError:
                return

    async def read(self, n: int = 64 * 1024) -> bytes:
        """Up to ``n`` bytes; ``b""`` once the peer closed (or the connection was lost)."""
        try:
            return await self.reader.read(n)
        except ConnectionError:
            return b""

    def close(self) -> None:
        self._transport.close()

    @property
    def closing(self) -> bool:
        return self._transport.is_closing()


async def take_over(request: web.Request, headers: Mapping[str, str]) -> tuple[web.StreamResponse, RawConnection]:
    """Answer ``101 Switching Protocols`` with ``headers`` and return the raw connection.

    The handler must return the response object it gets here once it is done with the connection (after
    :meth:`RawConnection.close`), as with a WebSocketResponse.
    """
    transport = request.transport
    if transport is None or not isinstance(transport, asyncio.Transport):
        raise ConnectionResetError("connection lost before the upgrade")
    response = web.StreamResponse(status=101, reason="Switching Protocols", headers=dict(headers))
    response.force_close()
    writer = await response.prepare(request)
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    reader.set_transport(transport)
    request.protocol.set_parser(_Feeder(reader))  # type: ignore[arg-type]  # duck-typed like WebSocketReader
    request.protocol.keep_alive(False)
    return response, RawConnection(reader, transport, writer)


def wants_upgrade(request: web.Request, protocol: str) -> bool:
    """Whether the request asks to upgrade to ``protocol`` (``Connection: Upgrade`` + ``Upgrade: <p>``)."""
    connection = {t.strip().lower() for t in request.headers.get("Connection", "").split(",")}
    return "upgrade" in connection and request.headers.get("Upgrade", "").strip().lower() == protocol.lower()

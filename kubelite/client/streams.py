"""The client side of the API server's streaming subresources: exec, attach and port-forward over
WebSocket channel protocols, as kubectl >= 1.30 and the official Python client speak them.

Why WebSockets and not SPDY: aiohttp has a WebSocket client and no SPDY; the API server relays the
upgrade byte for byte to the kubelet, which speaks both. The framing is kept in pure functions (tested
without a server) so the built-in kubectl, the dashboard and tests share one implementation:

* exec/attach (``v5.channel.k8s.io``, else ``v4.channel.k8s.io``): each binary message is one channel
  byte then payload. 0 stdin, 1 stdout, 2 stderr, 3 the final ``Status`` JSON, 4 terminal resize
  (``{"Width": w, "Height": h}``), and in v5 only 255 "close channel" (``[255, 0]`` = stdin ended; v4
  has no way to say it, so piped stdin there ends only with the connection).
* port-forward (``v4.channel.k8s.io`` at ``.../portforward?ports=P``): port i has channel 2i for data
  and 2i+1 for errors; the first message on each channel is the port as two little-endian bytes, which
  we check and drop. We open one WebSocket per local connection with one port, so channels 0 and 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from kubelite.client.errors import ApiError, TransportError
from kubelite.client.rest import Client

EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
PORT_FORWARD_PROTOCOLS = ("v4.channel.k8s.io",)
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
# Pings keep idle sessions alive through proxies. kubectl pings every 5 s; aiohttp also gives up on a
# session whose pong is later than half the interval, which on a loaded machine would cut healthy
# sessions, so we ping less often.
PING_EVERY = 30.0


class StreamError(Exception):
    """A stream that could not be opened or ended in an error other than the command's exit code."""


# ------------------------------------------------------------------------------------ pure framing


def frame(channel: int, payload: bytes = b"") -> bytes:
    """One channel-protocol message."""
    if not 0 <= channel <= 255:
        raise ValueError(f"channel {channel} is not a byte")
    return bytes([channel]) + payload


def unframe(message: bytes) -> tuple[int, bytes]:
    """(channel, payload) of a received message; an empty message is a protocol error."""
    if not message:
        raise StreamError("empty message on a channel stream")
    return message[0], bytes(message[1:])


def resize_frame(width: int, height: int) -> bytes:
    return frame(RESIZE, json.dumps({"Width": width, "Height": height}).encode() + b"\n")


def close_stdin_frame() -> bytes:
    """v5's "stdin ended"."""
    return frame(CLOSE, bytes([STDIN]))


def exit_code(status: dict[str, Any] | None) -> int:
    """The remote command's exit code from the channel-3 Status (none sent means success, as kubectl
    takes it). A failure that is not an exit code raises :class:`StreamError` with the server's text."""
    if not status or status.get("status") == "Success":
        return 0
    if status.get("reason") == "NonZeroExitCode":
        for cause in (status.get("details") or {}).get("causes") or []:
            if cause.get("reason") == "ExitCode":
                with contextlib.suppress(TypeError, ValueError):
                    return int(cause.get("message"))
    raise StreamError(str(status.get("message") or "the remote command failed"))


def stream_query(*, command: list[str] | None = None, container: str = "", stdin: bool = False,
                 stdout: bool = True, stderr: bool = True, tty: bool = False) -> list[tuple[str, str]]:
    """exec/attach query parameters as kubectl sends them: only true flags, no stderr under a tty."""
    query = [("command", c) for c in command or []]
    if container:
        query.append(("container", container))
    flags = {"stdin": stdin, "stdout": stdout, "stderr": stderr and not tty, "tty": tty}
    return query + [(k, "true") for k, v in flags.items() if v]


@dataclass
class PortChannels:
    """Demultiplexes one port-forward WebSocket (one port: channels 0 data, 1 error) and checks that
    the first message on each channel names the expected port."""

    port: int
    _seen: set[int] = field(default_factory=set)

    def feed(self, message: bytes) -> tuple[str, bytes]:
        """("data" | "error", payload) of a message; the port headers give ("", b"")."""
        channel, payload = unframe(message)
        if channel not in (0, 1):
            raise StreamError(f"unexpected port-forward channel {channel}")
        if channel not in self._seen:
            self._seen.add(channel)
            if len(payload) < 2:
                raise StreamError("port-forward stream did not start with its port number")
            got = int.from_bytes(payload[:2], "little")
            if got != self.port:
                raise StreamError(f"port-forward answered for port {got}, expected {self.port}")
            payload = payload[2:]
            if not payload:
                return "", b""
        return ("data" if channel == 0 else "error"), payload


# ------------------------------------------------------------------------------------- transport


async def connect(client: Client, path: str, query: list[tuple[str, str]],
                  protocols: tuple[str, ...]) -> aiohttp.ClientWebSocketResponse:
    """Upgrade ``path`` to a WebSocket with one of ``protocols``. A refused upgrade becomes the API's
    error (re-asked as a plain GET, since aiohttp drops a refused handshake's body)."""
    kwargs = client._request_kwargs(None)  # the same bearer token and TLS name as every request
    try:
        ws: aiohttp.ClientWebSocketResponse = await client.session.ws_connect(
            client._url(path), params=query, protocols=protocols, heartbeat=PING_EVERY, max_msg_size=0, **kwargs)
    except aiohttp.WSServerHandshakeError as err:
        try:
            await client.request("GET", path, params=dict(query))
        except ApiError:
            raise
        except TransportError:
            pass
        raise StreamError(f"the server refused the upgrade ({err.status}: {err.message})") from None
    except (aiohttp.ClientError, OSError) as err:
        raise TransportError(f"GET {path}: {type(err).__name__}: {err}", sent=False) from err
    if ws.protocol not in protocols:
        await ws.close()
        raise StreamError(f"the server did not agree on a stream protocol (offered {', '.join(protocols)})")
    return ws


Sink = Callable[[bytes], None]


async def run_channels(ws: aiohttp.ClientWebSocketResponse, *, stdout: Sink, stderr: Sink,
                       stdin: AsyncIterator[bytes] | None = None,
                       resizes: AsyncIterator[tuple[int, int]] | None = None) -> int:
    """Relay one exec/attach session until the server closes it; returns the command's exit code.

    ``stdin`` chunks go out on channel 0 and, when it ends, v5's close-stdin; ``resizes`` (width,
    height) go out on channel 4."""
    status: dict[str, Any] | None = None
    senders: list[asyncio.Task[None]] = []

    async def send_stdin(source: AsyncIterator[bytes]) -> None:
        async for chunk in source:
            await ws.send_bytes(frame(STDIN, chunk))
        if ws.protocol == EXEC_PROTOCOLS[0]:
            await ws.send_bytes(close_stdin_frame())

    async def send_resizes(source: AsyncIterator[tuple[int, int]]) -> None:
        async for width, height in source:
            await ws.send_bytes(resize_frame(width, height))

    if stdin is not None:
        senders.append(asyncio.create_task(send_stdin(stdin)))
    if resizes is not None:
        senders.append(asyncio.create_task(send_resizes(resizes)))
    try:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.BINARY:
                continue
            channel, payload = unframe(msg.data)
            if channel == STDOUT:
                stdout(payload)
            elif channel == STDERR:
                stderr(payload)
            elif channel == ERROR:
                try:
                    status = json.loads(payload)
                except ValueError:
                    status = {"status": "Failure", "message": payload.decode(errors="replace")}
    finally:
        for task in senders:
            task.cancel()
        for task in senders:
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, aiohttp.ClientError):
                await task
        await ws.close()
    return exit_code(status)


async def exec_stream(client: Client, namespace: str, pod: str, command: list[str], **flags: Any
                      ) -> aiohttp.ClientWebSocketResponse:
    """A connected exec session; flags as :func:`stream_query` takes them."""
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/exec"
    return await connect(client, path, stream_query(command=command, **flags), EXEC_PROTOCOLS)


async def attach_stream(client: Client, namespace: str, pod: str, **flags: Any) -> aiohttp.ClientWebSocketResponse:
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/attach"
    return await connect(client, path, stream_query(**flags), EXEC_PROTOCOLS)


async def forward_connection(client: Client, namespace: str, pod: str, port: int, *, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter,
                             on_error: Callable[[str], Awaitable[None] | None] | None = None) -> None:
    """Carry one local TCP connection to ``port`` in the pod over its own WebSocket, both ways, until
    either side ends. Text on the error channel is handed to ``on_error``."""
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/portforward"
    ws = await connect(client, path, [("ports", str(port))], PORT_FORWARD_PROTOCOLS)
    channels = PortChannels(port)

    async def local_to_pod() -> None:
        while chunk := await reader.read(32 * 1024):
            await ws.send_bytes(frame(0, chunk))

    upstream = asyncio.create_task(local_to_pod())
    try:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.BINARY:
                continue
            kind, payload = channels.feed(msg.data)
            if kind == "data":
                writer.write(payload)
                await writer.drain()
            elif kind == "error" and on_error is not None:
                result = on_error(payload.decode(errors="replace"))
                if result is not None:
                    await result
    finally:
        upstream.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError, aiohttp.ClientError, OSError):
            await upstream
        await ws.close()
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()

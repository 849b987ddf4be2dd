"""The probe handlers: exec through a callable, httpGet and tcpSocket against a loopback server."""

import asyncio
import ssl
from pathlib import Path

import pytest

from kubelite.kubelet.probes import run_probe
from kubelite.kubelet.server import ensure_serving_cert

pytestmark = pytest.mark.integration


async def _never_exec(cmd: list[str], limit: float) -> tuple[int, bytes]:
    return (0 if cmd == ["true"] else 1), b"out"


async def test_handlers() -> None:
    assert await run_probe({"exec": {"command": ["true"]}}, {}, "", _never_exec) == (True, "out")
    assert (await run_probe({"exec": {"command": ["false"]}}, {}, "", _never_exec))[0] is False

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await reader.readline()
        code = b"200" if b"/ok" in line else b"500"
        writer.write(b"HTTP/1.0 " + code + b" X\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        container = {"ports": [{"name": "web", "containerPort": port}]}
        assert (await run_probe({"httpGet": {"path": "/ok", "port": "web"}}, container, "127.0.0.1",
                                _never_exec))[0]
        ok, message = await run_probe({"httpGet": {"path": "/bad", "port": port}}, {}, "127.0.0.1", _never_exec)
        assert not ok and "500" in message
        assert (await run_probe({"tcpSocket": {"port": port}}, {}, "127.0.0.1", _never_exec))[0]
    finally:
        server.close()
        await server.wait_closed()
    assert not (await run_probe({"tcpSocket": {"port": port}}, {}, "127.0.0.1", _never_exec))[0]


async def test_https_get_does_not_verify_the_certificate(tmp_path: Path) -> None:
    cert, key = ensure_serving_cert(str(tmp_path), ["127.0.0.1"])  # self-signed: unverifiable
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    paths: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        paths.append((await reader.readline()).split()[1])
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        probe = {"httpGet": {"path": "/healthz", "port": port, "scheme": "HTTPS"}}
        assert await run_probe(probe, {}, "127.0.0.1", _never_exec) == (True, "")
        ok, _ = await run_probe({"httpGet": {"path": "/plain", "port": port}}, {}, "127.0.0.1", _never_exec)
        assert not ok  # plain HTTP to a TLS port fails
    finally:
        server.close()
        await server.wait_closed()
    assert paths[0] == b"/healthz"

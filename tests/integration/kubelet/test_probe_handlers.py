"""The probe handlers: exec through a callable, httpGet and tcpSocket against a loopback server."""

import asyncio

import pytest

from kubelite.kubelet.probes import run_probe

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

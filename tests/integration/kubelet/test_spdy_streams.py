"""The kubelet endpoint's SPDY/3.1 side, driven over real TLS on loopback with our own codec as the client
(the way kubectl's Go client drives it: upgrade, one stream per channel, DATA, FIN, RST, GOAWAY).

exec: the runtime is the verified fake, except that the command of an exec runs on the host (the transport
is under test here; runc exec is covered by the e2e tests). port-forward: the fake's sandbox serves port 80
through a real loopback server of the test (``FakeRuntime.serve_port``), so bytes really cross the
forwarder both ways."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from kubelite.kubelet import spdy
from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.kubelet.server import KubeletServer, ServerConfig
from kubelite.kubelet.spdysession import Session, Stream
from kubelite.runtime.cri import ContainerConfig, SandboxConfig
from kubelite.testing.fake_runtime import FakeRuntime

pytestmark = pytest.mark.integration
TOKEN = "s3cret"
WITHIN = 60.0  # generous: a shared, slow machine


class HostExecRuntime(FakeRuntime):
    """The fake, with exec commands run on the host so their stdio is real."""

    def exec_argv(self, container_id: str, cmd: list[str], *, tty: bool) -> list[str]:
        super().exec_argv(container_id, cmd, tty=tty)  # the fake's checks (container running)
        return list(cmd)


@dataclass
class Node:
    runtime: HostExecRuntime
    server: KubeletServer


@contextlib.asynccontextmanager
async def serving(runtime: HostExecRuntime, tmp_path: Path) -> AsyncIterator[Node]:
    """A kubelet endpoint on loopback over ``runtime``, stopped on the way out."""
    calls = RuntimeCalls(runtime)
    server = KubeletServer(ServerConfig(root=str(tmp_path), address="127.0.0.1", port=0, tokens=(TOKEN,)),
                           calls=calls)
    task = asyncio.create_task(server.run())
    try:
        await asyncio.wait_for(server.ready.wait(), WITHIN)
        yield Node(runtime, server)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        calls.close()


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    runtime = HostExecRuntime({"busybox": {"Cmd": ["sh"]}}, log_dir=str(tmp_path))
    sid = runtime.run_pod_sandbox(SandboxConfig(name="web", namespace="default", uid="u1"))
    cid = runtime.create_container(sid, ContainerConfig(name="c", image="busybox", command=["sleep", "1000"]))
    runtime.start_container(cid)
    async with serving(runtime, tmp_path) as node:
        yield node


class StreamBytes:
    """The client's ByteTransport over an asyncio connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def read(self) -> bytes:
        try:
            return await self.reader.read(65536)
        except ConnectionError:
            return b""

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def close(self) -> None:
        self.writer.close()


def _tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return ctx


async def spdy_upgrade(port: int, path: str, protocols: list[str]) -> tuple[int, dict[str, str], bytes,
                                                                            StreamBytes]:
    """POST ``path`` asking for SPDY/3.1; returns (status, headers, body-so-far, transport)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=_tls())
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Authorization: Bearer {TOKEN}",
            "Connection: Upgrade", "Upgrade: SPDY/3.1", "Content-Length: 0"]
    head += [f"X-Stream-Protocol-Version: {p}" for p in protocols]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
    lines = raw.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    body = b""
    if status != 101:
        body = await asyncio.wait_for(reader.read(4096), WITHIN)
    return status, headers, body, StreamBytes(reader, writer)


@contextlib.asynccontextmanager
async def client_session(transport: Any) -> AsyncIterator[Session]:
    session = Session(transport, server=False, auto_reply=False)
    reader = asyncio.create_task(session.run())
    try:
        yield session
    finally:
        await session.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def read_all(stream: Stream) -> bytes:
    out = bytearray()
    while chunk := await asyncio.wait_for(stream.read(), WITHIN):
        out += chunk
    return bytes(out)


def exec_path(command: list[str], **flags: bool) -> str:
    query = "&".join(f"command={quote(c)}" for c in command)
    query += "".join(f"&{k}=true" for k, v in flags.items() if v)
    return f"/exec/default/web/c?{query}"


async def test_exec_output_exit_code_and_protocol_choice(node: Node) -> None:
    status, headers, _, transport = await spdy_upgrade(
        node.server.port, exec_path(["sh", "-c", "echo out; echo err >&2; exit 3"], stdout=True, stderr=True),
        ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io"])
    assert status == 101 and headers["upgrade"] == "SPDY/3.1"
    assert headers["x-stream-protocol-version"] == "v5.channel.k8s.io"
    async with client_session(transport) as session:
        error = await session.open({"streamtype": "error"})
        await error.close()  # kubectl half-closes the error stream at once
        stdout = await session.open({"streamtype": "stdout"})
        stderr = await session.open({"streamtype": "stderr"})
        out, err, status_json = await asyncio.gather(read_all(stdout), read_all(stderr), read_all(error))
    assert (out, err) == (b"out\n", b"err\n")
    result = json.loads(status_json)
    assert result["status"] == "Failure" and result["reason"] == "NonZeroExitCode"
    assert result["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]


async def test_exec_stdin_until_fin_then_success(node: Node) -> None:
    status, headers, _, transport = await spdy_upgrade(
        node.server.port, exec_path(["cat"], stdin=True, stdout=True, stderr=True), ["v4.channel.k8s.io"])
    assert status == 101 and headers["x-stream-protocol-version"] == "v4.channel.k8s.io"
    async with client_session(transport) as session:
        error = await session.open({"streamtype": "error"})
        stdin = await session.open({"streamtype": "stdin"})
        stdout = await session.open({"streamtype": "stdout"})
        await session.open({"streamtype": "stderr"})
        await stdin.write(b"x" * 100_000 + b"\nend\n")  # several DATA frames
        await stdin.close()  # stdin EOF: cat ends
        out, status_json = await asyncio.gather(read_all(stdout), read_all(error))
    assert out == b"x" * 100_000 + b"\nend\n"
    assert json.loads(status_json) == {"metadata": {}, "status": "Success"}


async def test_exec_tty_follows_resize(node: Node) -> None:
    # The shell polls its terminal's size: no order between the resize and other streams is assumed.
    script = 'until [ "$(stty size)" = "43 132" ]; do sleep 0.05; done; echo sized $(stty size)'
    status, _, _, transport = await spdy_upgrade(
        node.server.port, exec_path(["sh", "-c", script], stdin=True, stdout=True, tty=True), ["v5.channel.k8s.io"])
    assert status == 101
    async with client_session(transport) as session:
        error = await session.open({"streamtype": "error"})
        stdin = await session.open({"streamtype": "stdin"})
        stdout = await session.open({"streamtype": "stdout"})
        resize = await session.open({"streamtype": "resize"})
        # Go's json.Encoder: objects back to back, cut wherever the frames fall.
        await resize.write(b'{"Width":80,"Height":24}\n{"Width":132,')
        await resize.write(b'"Height":43}\n')
        await asyncio.sleep(0)  # no ordering between streams is promised; the shell waits for a line anyway
        await stdin.write(b"go\r")
        out, status_json = await asyncio.gather(read_all(stdout), read_all(error))
    assert b"43 132" in out
    assert json.loads(status_json)["status"] == "Success"


async def test_exec_refusals_are_http_errors(node: Node) -> None:
    status, _, body, transport = await spdy_upgrade(node.server.port, exec_path(["true"], stdout=True),
                                                    ["v1.channel.k8s.io"])
    transport.close()
    assert status == 403 and b"unable to negotiate protocol" in body
    status, _, body, transport = await spdy_upgrade(node.server.port, "/exec/default/ghost/c?command=true",
                                                    ["v5.channel.k8s.io"])
    transport.close()
    assert status == 404 and b"not running" in body


async def test_pings_are_echoed(node: Node) -> None:
    status, _, _, transport = await spdy_upgrade(
        node.server.port, exec_path(["sh", "-c", "read _"], stdin=True, stdout=True), ["v5.channel.k8s.io"])
    assert status == 101
    codec = spdy.FrameCodec()
    await transport.write(codec.encode(spdy.Ping(1)))
    frames: list[spdy.Frame] = []
    while not frames:
        frames += codec.feed(await asyncio.wait_for(transport.read(), WITHIN))
    assert frames[0] == spdy.Ping(1)
    transport.close()


# --- port-forward ----------------------------------------------------------------------------------


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    """A server that answers each connection with its input upper-cased, then closes."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read()  # until the client half-closes
        writer.write(b"ECHO:" + data.upper())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def pf_node(tmp_path: Path, echo_port: int) -> AsyncIterator[Node]:
    runtime = HostExecRuntime({"busybox": {"Cmd": ["sh"]}}, log_dir=str(tmp_path))
    sid = runtime.run_pod_sandbox(SandboxConfig(name="web", namespace="default", uid="u1"))
    runtime.serve_port(sid, 80, ("127.0.0.1", echo_port))  # nothing else listens
    async with serving(runtime, tmp_path) as node:
        yield node


async def forward_once(session: Session, request_id: int, port: int, payload: bytes) -> tuple[bytes, bytes]:
    """One local connection as kubectl forwards it: (what came back on data, what came on error)."""
    headers = {"port": str(port), "requestid": str(request_id)}
    error = await session.open({"streamtype": "error", **headers})
    await error.close()
    data = await session.open({"streamtype": "data", **headers})
    await data.write(payload)
    await data.close()
    back, failure = await asyncio.gather(read_all(data), read_all(error))
    return back, failure


async def test_port_forward_over_plain_spdy(pf_node: Node) -> None:
    status, headers, _, transport = await spdy_upgrade(pf_node.server.port, "/portforward/default/web",
                                                       ["portforward.k8s.io"])
    assert status == 101 and headers["x-stream-protocol-version"] == "portforward.k8s.io"
    async with client_session(transport) as session:
        results = await asyncio.gather(*(forward_once(session, i, 80, f"hello {i}".encode()) for i in range(3)))
        assert results == [(f"ECHO:HELLO {i}".encode(), b"") for i in range(3)]
        data, error = await forward_once(session, 3, 81, b"nobody listens")
        assert data == b"" and b"error forwarding port 81 to pod default/web" in error
        assert b"connection refused" in error
        assert await forward_once(session, 4, 80, b"still fine") == (b"ECHO:STILL FINE", b"")


class WebSocketClientBytes:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def read(self) -> bytes:
        msg = await self.ws.receive()
        return bytes(msg.data) if msg.type == aiohttp.WSMsgType.BINARY else b""

    async def write(self, data: bytes) -> None:
        for i in range(0, len(data), 3):  # cut frames anywhere, as Go's writer does
            await self.ws.send_bytes(data[i:i + 3])

    def close(self) -> None:
        pass


async def test_port_forward_over_websocket_tunnel(pf_node: Node) -> None:
    url = f"https://127.0.0.1:{pf_node.server.port}/portforward/default/web"
    async with aiohttp.ClientSession() as http, http.ws_connect(
            url, ssl=False, protocols=("SPDY/3.1+portforward.k8s.io",),
            headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        assert ws.protocol == "SPDY/3.1+portforward.k8s.io"
        async with client_session(WebSocketClientBytes(ws)) as session:
            assert await forward_once(session, 0, 80, b"tunnelled") == (b"ECHO:TUNNELLED", b"")
            assert await forward_once(session, 1, 80, b"x" * 70_000) == (b"ECHO:" + b"X" * 70_000, b"")


async def test_port_forward_refusals(pf_node: Node) -> None:
    status, _, body, transport = await spdy_upgrade(pf_node.server.port, "/portforward/default/ghost",
                                                    ["portforward.k8s.io"])
    transport.close()
    assert status == 404 and b"not running" in body
    async with aiohttp.ClientSession() as http, http.get(
            f"https://127.0.0.1:{pf_node.server.port}/portforward/default/web", ssl=False,
            headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
        assert resp.status == 400 and "needs an upgrade" in await resp.text()



# --- port-forward over the WebSocket channel protocol (the official clients) ----------------------------


@pytest.fixture
async def channel_node(tmp_path: Path) -> AsyncIterator[Node]:
    """Port 80 of the sandbox answers one line with it upper-cased, then closes."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await reader.readline()
        writer.write(b"LINE:" + line.upper())
        await writer.drain()
        writer.close()

    lines = await asyncio.start_server(serve, "127.0.0.1", 0)
    runtime = HostExecRuntime({"busybox": {"Cmd": ["sh"]}}, log_dir=str(tmp_path))
    sid = runtime.run_pod_sandbox(SandboxConfig(name="web", namespace="default", uid="u1"))
    runtime.serve_port(sid, 80, ("127.0.0.1", lines.sockets[0].getsockname()[1]))
    try:
        async with serving(runtime, tmp_path) as node:
            yield node
    finally:
        lines.close()
        await lines.wait_closed()


async def test_port_forward_over_the_channel_protocol(channel_node: Node) -> None:
    url = f"https://127.0.0.1:{channel_node.server.port}/portforward/default/web?port=80,81"
    async with aiohttp.ClientSession() as http, http.ws_connect(
            url, ssl=False, protocols=("v5.channel.k8s.io", "v4.channel.k8s.io"),
            headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        assert ws.protocol == "v4.channel.k8s.io"
        first = [await asyncio.wait_for(ws.receive_bytes(), WITHIN) for _ in range(4)]
        assert first == [b"\x00\x50\x00", b"\x01\x50\x00", b"\x02\x51\x00", b"\x03\x51\x00"]  # ports, LE
        error = await asyncio.wait_for(ws.receive_bytes(), WITHIN)
        assert error[0] == 3 and b"error forwarding port 81 to pod default/web" in error
        await ws.send_bytes(b"\x00hello ")
        await ws.send_bytes(b"\x00channels\n")
        got = b""
        async for msg in ws:  # the pod's answer, then the end of its connection ends the WebSocket
            if msg.type != aiohttp.WSMsgType.BINARY:
                break
            assert msg.data[0] == 0
            got += msg.data[1:]
        assert got == b"LINE:HELLO CHANNELS\n"


async def test_channel_protocol_needs_ports(channel_node: Node) -> None:
    async with aiohttp.ClientSession() as http:
        for query in ("", "?port=http", "?port=80&port=80"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"https://127.0.0.1:{channel_node.server.port}/portforward/default/web{query}",
                                      ssl=False, protocols=("v4.channel.k8s.io",),
                                      headers={"Authorization": f"Bearer {TOKEN}"})
            assert refused.value.status == 400

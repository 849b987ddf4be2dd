"""The kubelet's attach endpoint over real TLS on loopback, against a stand-in for conmon's attach socket
(SOCK_SEQPACKET: packets from it are a stream byte, 2 stdout or 3 stderr, then data; packets to it are the
container's stdin). The runtime is the verified fake; the real conmon is covered by the e2e tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.kubelet.server import KubeletServer, ServerConfig
from kubelite.runtime.cri import ContainerConfig, SandboxConfig
from kubelite.testing.fake_runtime import FakeRuntime
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration
TOKEN = "s3cret"
WITHIN = 60.0


class ConsoleRuntime(FakeRuntime):
    """The fake, with its attach socket path where the test's stand-in conmon listens, and resizes kept."""

    def __init__(self, socket_dir: str, log_dir: str) -> None:
        super().__init__({"busybox": {"Cmd": ["sh"]}}, log_dir=log_dir)
        self.socket_dir = socket_dir
        self.resizes: list[tuple[int, int]] = []

    def attach_socket(self, container_id: str) -> str:
        super().attach_socket(container_id)  # the fake's checks (container running)
        return os.path.join(self.socket_dir, "attach")

    def resize_tty(self, container_id: str, rows: int, cols: int) -> None:
        super().resize_tty(container_id, rows, cols)
        self.resizes.append((rows, cols))


@dataclass
class Conmon:
    """Greets each client on stdout and stderr, echoes stdin upper-cased on stdout, and ends the session
    (as a container exit does) when the client half-closes."""

    path: str
    stdin_closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        listener.bind(self.path)
        listener.listen()
        listener.setblocking(False)
        sessions: set[asyncio.Task[None]] = set()
        try:
            while True:
                conn, _ = await loop.sock_accept(listener)
                sessions.add(loop.create_task(self._session(conn)))
        finally:
            listener.close()
            for task in sessions:
                task.cancel()

    async def _session(self, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        conn.setblocking(False)
        with conn:
            await loop.sock_sendall(conn, b"\x02hello-out")
            await loop.sock_sendall(conn, b"\x03hello-err")
            while data := await loop.sock_recv(conn, 65536):
                await loop.sock_sendall(conn, b"\x02" + data.upper())
            self.stdin_closed.set()


@dataclass
class Node:
    runtime: ConsoleRuntime
    conmon: Conmon
    port: int


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    (tmp_path / "logs").mkdir()
    sock_dir = tempfile.mkdtemp(prefix="kl-attach-")  # short: a unix socket path has ~107 bytes
    runtime = ConsoleRuntime(sock_dir, log_dir=str(tmp_path / "logs"))
    sid = runtime.run_pod_sandbox(SandboxConfig(name="web", namespace="default", uid="u1"))
    cid = runtime.create_container(sid, ContainerConfig(name="c", image="busybox", command=["sleep", "1000"],
                                                        stdin=True, tty=True))
    runtime.start_container(cid)
    calls = RuntimeCalls(runtime)
    server = KubeletServer(ServerConfig(root=str(tmp_path), address="127.0.0.1", port=0, tokens=(TOKEN,)),
                           calls=calls)
    conmon = Conmon(os.path.join(sock_dir, "attach"))
    tasks = [asyncio.create_task(server.run()), asyncio.create_task(conmon.serve())]
    try:
        await asyncio.wait_for(server.ready.wait(), WITHIN)
        yield Node(runtime, conmon, server.port)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        calls.close()
        shutil.rmtree(sock_dir, ignore_errors=True)


async def _session(node: Node, query: str, send: list[bytes], *, until: int) -> list[bytes]:
    """Attach, send ``send`` once ``until`` messages arrived, and collect every message to the end."""
    got: list[bytes] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(
            f"https://127.0.0.1:{node.port}/attach/default/web/c?{query}", ssl=False,
            protocols=("v5.channel.k8s.io",), headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        async with asyncio.timeout(WITHIN):
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    break
                got.append(msg.data)
                if len(got) == until:
                    for data in send:
                        await ws.send_bytes(data)
    return got


async def test_attach_relays_stdio_resizes_and_ends_with_the_container(node: Node) -> None:
    got = await _session(node, "stdin=1&stdout=1&stderr=1", [
        b'\x04{"Width":100,"Height":30}', b"\x00abc", b"\xff\x00"], until=2)
    assert got == [b"\x01hello-out", b"\x02hello-err", b"\x01ABC", b'\x03{"metadata": {}, "status": "Success"}']
    assert node.conmon.stdin_closed.is_set()  # our stdin's close reached conmon as a half-close
    await eventually(lambda: node.runtime.resizes == [(30, 100)], "the resize", within=WITHIN)


async def test_a_tty_session_is_all_stdout_and_unwanted_streams_are_dropped(node: Node) -> None:
    got = await _session(node, "stdin=1&stdout=1&tty=1", [b"\x00x", b"\xff\x00"], until=2)
    assert got[:3] == [b"\x01hello-out", b"\x01hello-err", b"\x01X"]
    got = await _session(node, "stdin=1&stderr=1", [b"\x00y", b"\xff\x00"], until=1)
    assert got[0] == b"\x02hello-err" and all(m[0] != 1 for m in got)


async def test_bad_attach_requests(node: Node) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        base = f"https://127.0.0.1:{node.port}/attach/default/web"
        async with http.get(f"{base}/c?tty=1", ssl=False) as resp:
            assert resp.status == 400 and "at least 1 of stdin, stdout, stderr" in await resp.text()
        async with http.get(f"{base}/other?stdout=1", ssl=False) as resp:
            assert resp.status == 404
        async with http.get(f"{base}/c?stdout=1", ssl=False, headers={"Authorization": "Bearer wrong"}) as resp:
            assert resp.status == 401

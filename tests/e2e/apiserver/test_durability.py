"""``kill -9`` under write load loses no acknowledged write: concurrent creates against a real
``kubelite server`` on SQLite, the process killed mid-stream, restarted on the same data directory, and
every create that got a 201 read back."""

from __future__ import annotations

import asyncio
import signal
import ssl
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.apiserver.conftest import start_server

pytestmark = pytest.mark.e2e


async def _write_until_killed(url: str, token: str, ca: Path, acked: list[str], started: asyncio.Event) -> None:
    ctx = ssl.create_default_context(cafile=str(ca))
    connector = aiohttp.TCPConnector(limit=16)
    async with aiohttp.ClientSession(connector=connector,
                                     headers={"Authorization": f"Bearer {token}"}) as session:
        counter = iter(range(1_000_000))

        async def worker() -> None:
            while True:
                name = f"cm-{next(counter)}"
                try:
                    async with session.post(f"{url}/api/v1/namespaces/default/configmaps", ssl=ctx,
                                            json={"metadata": {"name": name}, "data": {"v": name}}) as resp:
                        if resp.status == 201:
                            acked.append(name)
                            if len(acked) >= 50:
                                started.set()
                except (aiohttp.ClientError, OSError):
                    return

        await asyncio.gather(*(worker() for _ in range(8)))


async def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    await kill_9_scenario(tmp_path / "data")


async def kill_9_scenario(data: Path, *extra: str) -> None:
    """Write concurrently until 50 creates are acknowledged, kill -9, restart, read every one back."""
    server = start_server(data, *extra)
    try:
        token = (data / "pki" / "admin.token").read_text().strip()
        acked: list[str] = []
        started = asyncio.Event()
        writer = asyncio.create_task(_write_until_killed(server.url, token, data / "pki" / "ca.crt", acked,
                                                         started))
        await asyncio.wait_for(started.wait(), timeout=30)
        server.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(server.proc.wait, 10)
        await asyncio.wait_for(writer, timeout=30)
    finally:
        server.stop(signal.SIGKILL)
    assert len(acked) >= 50
    server = start_server(data, *extra, port=server.port)
    try:
        ctx = ssl.create_default_context(cafile=str(data / "pki" / "ca.crt"))
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session, \
                session.get(f"{server.url}/api/v1/namespaces/default/configmaps", ssl=ctx) as resp:
            body = await resp.json()
        stored = {item["metadata"]["name"] for item in body["items"]}
        lost = [name for name in acked if name not in stored]
        assert not lost, f"{len(lost)} acknowledged writes lost: {lost[:5]}"
    finally:
        server.stop()

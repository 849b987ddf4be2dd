"""Watch streams and resume against the real API server."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import pytest

from kubelite.client import errors
from kubelite.client.rest import Client
from kubelite.client.watchstate import WatchEvent
from kubelite.testing.apiserver import RunningApiServer

from .conftest import eventually
from .tcpproxy import TcpProxy

pytestmark = pytest.mark.integration


async def collect(it, n: int) -> list[WatchEvent]:
    out: list[WatchEvent] = []
    async with asyncio.timeout(10), contextlib.aclosing(it) as events:
        async for ev in events:
            out.append(ev)
            if len(out) >= n:
                break
    return out



async def test_watch_stream_from_version_sees_changes_in_order(client: Client) -> None:
    cms = client.resource("v1", "configmaps")
    start = (await cms.list("default"))["metadata"]["resourceVersion"]
    await cms.create({"metadata": {"name": "w"}, "data": {"v": "1"}})
    await cms.patch("w", {"data": {"v": "2"}})
    await cms.delete("w")
    events = await collect(cms.watch_stream("default", resource_version=start, allow_bookmarks=False), 3)
    assert [(e.type, e.object["metadata"]["name"]) for e in events] == [
        ("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]
    rvs = [int(e.resource_version) for e in events]
    assert rvs == sorted(rvs)


async def test_watch_without_version_starts_with_current_objects(client: Client) -> None:
    cms = client.resource("v1", "configmaps")
    await cms.create({"metadata": {"name": "pre"}})
    events = await collect(cms.watch_stream("default", allow_bookmarks=False), 1)
    assert (events[0].type, events[0].object["metadata"]["name"]) == ("ADDED", "pre")


async def test_resuming_watch_survives_stream_ends_and_broken_connections(
        api: RunningApiServer) -> None:
    host, port = api.url.removeprefix("https://").split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.open()
    direct = Client.from_kubeconfig(api.kubeconfig)
    config = replace(direct.config, server=f"https://127.0.0.1:{proxy.port}")
    streams = 0
    seen: list[str] = []
    async with Client(config) as client, direct:
        original = client.stream

        def counting_stream(*args, **kwargs):  # observe each watch request the resume logic makes
            nonlocal streams
            streams += 1
            return original(*args, **kwargs)

        client.stream = counting_stream  # type: ignore[method-assign]
        cms = client.resource("v1", "configmaps")
        writer = direct.resource("v1", "configmaps")  # writes go around the proxy: POST is not replayable
        start = (await cms.list("default"))["metadata"]["resourceVersion"]

        async def consume() -> None:
            async for ev in cms.watch("default", resource_version=start, timeout_seconds=1):
                seen.append(f"{ev.type}:{ev.object['metadata']['name']}")

        task = asyncio.create_task(consume())
        try:
            await writer.create({"metadata": {"name": "r0"}})
            await eventually(lambda: len(seen) == 1)
            await eventually(lambda: streams >= 2)  # the server ended the 1 s stream; a new one is open
            await writer.create({"metadata": {"name": "r1"}})
            await eventually(lambda: len(seen) == 2)
            before = streams
            proxy.break_connections()  # the network drops mid-stream
            await writer.create({"metadata": {"name": "r2"}})
            await writer.patch("r0", {"data": {"x": "1"}})
            await eventually(lambda: len(seen) == 4)
            assert streams > before
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await proxy.shutdown()
    assert seen == ["ADDED:r0", "ADDED:r1", "ADDED:r2", "MODIFIED:r0"]


async def test_bookmarks_carry_the_current_version(small_client: Client) -> None:
    cms = small_client.resource("v1", "configmaps")
    await cms.create({"metadata": {"name": "b"}})
    current = (await cms.list("default"))["metadata"]["resourceVersion"]
    events = await collect(cms.watch_stream("default", resource_version=current), 1)
    assert events[0].type == "BOOKMARK"
    assert int(events[0].resource_version) >= int(current)


async def test_too_old_version_raises_gone(small_client: Client) -> None:
    cms = small_client.resource("v1", "configmaps")
    first = await cms.create({"metadata": {"name": "g0"}})
    for i in range(1, 10):
        await cms.create({"metadata": {"name": f"g{i}"}})
    old = first["metadata"]["resourceVersion"]
    raw = await collect(cms.watch_stream("default", resource_version=old, allow_bookmarks=False), 1)
    assert raw[0].type == "ERROR" and raw[0].object["code"] == 410
    with pytest.raises(errors.GoneError):
        await collect(cms.watch("default", resource_version=old), 1)

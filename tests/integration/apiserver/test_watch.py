"""Watch over real HTTPS: live events, resume from a resourceVersion, selector transitions, Table events,
410 once the ring has moved past, bookmarks and timeoutSeconds."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from kubelite.apiserver.config import ApiServerConfig
from kubelite.apiserver.context import Limits
from kubelite.testing.apiserver import running_apiserver

pytestmark = pytest.mark.integration
CMS = "/api/v1/namespaces/default/configmaps"


async def events(client: Any, query: str, want: int, *, accept: str = "application/json",
                 within: float = 10.0) -> list[dict[str, Any]]:
    """Read ``want`` watch events (or until the stream ends) within ``within`` seconds."""
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        async with client.session.get(client.api.url + CMS + "?watch=true&" + query, ssl=client.ssl,
                                      headers={"Accept": accept}) as resp:
            assert resp.status == 200
            async for line in resp.content:
                if line.strip():
                    out.append(orjson.loads(line))
                if len(out) >= want:
                    break
    return out


async def test_watch_from_version_and_live(client: Any) -> None:
    _, first = await client.call("POST", CMS, {"metadata": {"name": "a"}})
    rv = first["metadata"]["resourceVersion"]
    await client.call("POST", CMS, {"metadata": {"name": "b"}})
    reader = asyncio.create_task(events(client, f"resourceVersion={rv}", 3))
    await client.call("PUT", f"{CMS}/a", {**first, "data": {"k": "v"}})
    await client.call("DELETE", f"{CMS}/b")
    got = await reader
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in got] == [
        ("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
    assert got[1]["object"]["data"] == {"k": "v"}
    revs = [int(e["object"]["metadata"]["resourceVersion"]) for e in got]
    assert revs == sorted(revs)


async def test_watch_without_version_lists_first(client: Any) -> None:
    await client.call("POST", CMS, {"metadata": {"name": "pre"}})
    got = await events(client, "", 1)
    assert got[0]["type"] == "ADDED" and got[0]["object"]["metadata"]["name"] == "pre"


async def test_watch_label_selector_transitions(client: Any) -> None:
    _, obj = await client.call("POST", CMS, {"metadata": {"name": "s", "labels": {"app": "no"}}})
    rv = obj["metadata"]["resourceVersion"]
    reader = asyncio.create_task(events(client, f"resourceVersion={rv}&labelSelector=app%3Dyes", 2))
    obj["metadata"]["labels"]["app"] = "yes"
    _, obj = await client.call("PUT", f"{CMS}/s", obj)
    obj["metadata"]["labels"]["app"] = "no"
    await client.call("PUT", f"{CMS}/s", obj)
    got = await reader
    assert [e["type"] for e in got] == ["ADDED", "DELETED"]


async def test_table_watch_events(client: Any) -> None:
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    reader = asyncio.create_task(events(client, "", 1, accept=accept))
    await client.call("POST", CMS, {"metadata": {"name": "t"}})
    [event] = await reader
    assert event["object"]["kind"] == "Table" and event["object"]["rows"][0]["cells"][0] == "t"


async def test_timeout_seconds_ends_stream(client: Any) -> None:
    got = await events(client, "timeoutSeconds=1&resourceVersion=1", 100)
    assert got == []


@pytest.fixture
async def small_ring(tmp_path: Path) -> AsyncIterator[Any]:
    config = ApiServerConfig(data_dir=tmp_path / "d", port=0,
                             limits=Limits(watch_ring_size=4, bookmark_interval=0.2))
    async with running_apiserver(tmp_path / "d", config=config) as api:
        from tests.integration.apiserver.conftest import Client

        assert api.ca_file is not None
        ctx = ssl.create_default_context(cafile=str(api.ca_file))
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {api.token}"}) as session:
            yield Client(api, session, ctx)


async def test_too_old_version_is_410_expired(small_ring: Any) -> None:
    _, first = await small_ring.call("POST", CMS, {"metadata": {"name": "x0"}})
    for i in range(1, 8):
        await small_ring.call("POST", CMS, {"metadata": {"name": f"x{i}"}})
    [err] = await events(small_ring, f"resourceVersion={first['metadata']['resourceVersion']}", 1)
    assert err["type"] == "ERROR" and err["object"]["code"] == 410 and err["object"]["reason"] == "Expired"


async def test_bookmarks(small_ring: Any) -> None:
    _, obj = await small_ring.call("POST", CMS, {"metadata": {"name": "bm"}})
    rv = obj["metadata"]["resourceVersion"]
    got = await events(small_ring, f"allowWatchBookmarks=true&resourceVersion={rv}", 1)
    assert got[0]["type"] == "BOOKMARK"
    assert int(got[0]["object"]["metadata"]["resourceVersion"]) >= int(obj["metadata"]["resourceVersion"])



async def test_watchers_that_hang_up_at_once_leave_no_error(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A client gone before the watch's headers are written (an agent's short-lived watch) is routine:
    no traceback, no 500 in the log, and the server goes on serving."""
    host, port = client.api.url.removeprefix("https://").rsplit(":", 1)
    request = (f"GET {CMS}?watch=true HTTP/1.1\r\nHost: {host}\r\n"
               f"Authorization: Bearer {client.api.token}\r\n\r\n").encode()
    for _ in range(20):
        _, writer = await asyncio.open_connection(host, int(port), ssl=client.ssl)
        writer.write(request)
        await writer.drain()
        writer.transport.abort()
    status, _ = await client.call("GET", CMS)
    assert status == 200
    # The handlers of the abandoned watches finish on their own; give them the chance to log.
    for _ in range(50):
        await asyncio.sleep(0)
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert not errors, [r.getMessage() for r in errors]

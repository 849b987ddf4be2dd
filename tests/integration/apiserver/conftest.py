"""Shared fixtures: an in-process API server over HTTPS on memory storage, and an aiohttp session
authenticated with its admin token."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kubelite.testing.apiserver import RunningApiServer, running_apiserver


class Client:
    """Thin JSON helper over aiohttp: returns (status, body) for assertions on real responses."""

    def __init__(self, api: RunningApiServer, session: aiohttp.ClientSession,
                 ssl_ctx: ssl.SSLContext) -> None:
        self.api = api
        self.session = session
        self.ssl = ssl_ctx

    async def call(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                   headers: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, Any]:
        import orjson

        data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
        hdrs = {"Content-Type": content_type, **(headers or {})}
        async with self.session.request(method, self.api.url + path, data=data, headers=hdrs,
                                        ssl=self.ssl) as resp:
            text = await resp.read()
            try:
                return resp.status, orjson.loads(text)
            except orjson.JSONDecodeError:
                return resp.status, text.decode()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[RunningApiServer]:
    async with running_apiserver(tmp_path / "data") as running:
        yield running


@pytest.fixture
async def client(api: RunningApiServer) -> AsyncIterator[Client]:
    assert api.ca_file is not None
    ctx = ssl.create_default_context(cafile=str(api.ca_file))
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {api.token}"}) as session:
        yield Client(api, session, ctx)

"""An in-process API server for tests: free loopback port, memory or SQLite storage, real HTTP(S).

Usage::

    async with running_apiserver(tmp_path) as api:
        api.url, api.token, api.kubeconfig   # base URL, admin bearer token, kubeconfig path
        api.ca_file                           # CA bundle for HTTPS clients (None over plain HTTP)

or the pytest fixture :func:`apiserver` (memory storage, HTTPS; use it from a conftest with
``from kubelite.testing.apiserver import apiserver  # noqa: F401``). Storage URLs are whatever
``kubelite.storage.factory.open_storage`` accepts (``memory://``, ``sqlite:///path``, ``etcd://...``);
the server is stopped and the storage closed even when the test fails.

``RunningApiServer.ssl_context()`` trusts the server's CA, for aiohttp or other HTTPS clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubelite.apiserver.config import ApiServerConfig
from kubelite.apiserver.server import ApiServer
from kubelite.base.clock import Clock
from kubelite.daemons.apiserver import open_storage_url
from kubelite.storage.interface import Storage


@dataclass
class RunningApiServer:
    server: ApiServer
    storage: Storage
    url: str
    token: str
    kubeconfig: Path
    ca_file: Path | None
    data_dir: Path

    def ssl_context(self) -> ssl.SSLContext | None:
        """An SSL context trusting this server's CA (None over plain HTTP)."""
        if self.ca_file is None:
            return None
        return ssl.create_default_context(cafile=str(self.ca_file))

    @property
    def headers(self) -> dict[str, str]:
        """The admin credential as an Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}


@contextlib.asynccontextmanager
async def running_apiserver(
    data_dir: Path,
    *,
    storage_url: str = "memory://",
    tls: bool = True,
    clock: Clock | None = None,
    startup_timeout: float = 30.0,
    config: ApiServerConfig | None = None,
) -> AsyncIterator[RunningApiServer]:
    cfg = config or ApiServerConfig(data_dir=data_dir, port=0, tls=tls)
    storage = open_storage_url(storage_url, data_dir)
    await storage.start()
    server = ApiServer(cfg, storage=storage, clock=clock)
    task = asyncio.create_task(server.run(), name="apiserver")
    try:
        ready = asyncio.create_task(server.ready.wait())
        done, _ = await asyncio.wait(
            {task, ready}, timeout=startup_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # raises the start-up failure
            raise TimeoutError("apiserver did not become ready")
        assert server.pki is not None
        yield RunningApiServer(
            server,
            storage,
            server.url,
            server.admin_token or "",
            server.kubeconfig_path,
            server.pki.ca_cert if cfg.tls else None,
            data_dir,
        )
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await storage.close()


@pytest.fixture
async def apiserver(tmp_path: Path) -> AsyncIterator[RunningApiServer]:
    """An in-process API server (memory storage, HTTPS) for one test."""
    async with running_apiserver(tmp_path / "apiserver") as running:
        yield running

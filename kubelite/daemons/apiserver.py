"""Composition root of the API server: a typed config in, storage chosen by URL, server run.

``run_apiserver(config)`` opens the datastore named by ``config.datastore`` (``sqlite:///path``,
``etcd://host:port``, ``memory://``), starts it, runs the API server under a supervisor, and closes the
storage on the way out. ``kubelite apiserver`` and ``kubelite server`` are thin wrappers around it.
"""

from __future__ import annotations

import asyncio
import importlib
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelite.apiserver.config import ApiServerConfig
from kubelite.apiserver.server import ApiServer
from kubelite.storage.interface import Storage


@dataclass(frozen=True, slots=True)
class ServerConfig:
    apiserver: ApiServerConfig
    datastore: str  # storage URL


def default_datastore(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'state.db').resolve()}"


def open_storage_url(url: str, data_dir: Path) -> Storage:
    """The storage backend a URL names (construction only: the caller starts and closes it)."""
    opener: Any = None
    try:
        opener = getattr(importlib.import_module("kubelite.storage.factory"), "open_storage", None)
    except ImportError:
        opener = None
    if opener is not None:
        try:
            storage: Storage = opener(url)
        except Exception as err:  # the factory's InvalidDatastoreURLError and friends
            raise ValueError(str(err)) from None
        return storage
    if url.startswith("memory:"):
        from kubelite.storage.memory import MemoryStorage

        return MemoryStorage()
    raise ValueError(f"unsupported datastore endpoint {url!r} (storage.open_storage has not landed)")


async def run_apiserver(config: ServerConfig) -> None:
    """Run until SIGTERM or SIGINT, then stop the server and close the storage cleanly (the SQLite
    writer thread must be joined, or the process would not exit)."""
    storage = open_storage_url(config.datastore, config.apiserver.data_dir)
    await storage.start()
    loop = asyncio.get_running_loop()
    server = ApiServer(config.apiserver, storage=storage)
    task = asyncio.create_task(server.run(), name="apiserver")
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await task  # failures (a port in use, storage errors) propagate with their own type
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await storage.close()

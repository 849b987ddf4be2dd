"""Helpers every API module shares: the app's state, validated path parameters, body streaming."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from kubelite.distribution.errors import Code, RegistryError
from kubelite.distribution.names import Digest, parse_digest, validate_name
from kubelite.distribution.server.config import ServerConfig
from kubelite.distribution.server.storage import Storage, UploadWriter


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


@dataclass
class Registry:
    """What handlers reach through ``request.app[REGISTRY]``."""

    config: ServerConfig
    storage: Storage
    # Requests on one upload run one at a time: a PATCH still streaming must never overlap the PUT
    # that publishes the file (its rollback would truncate the published blob) or a DELETE.
    upload_locks: KeyedLocks = field(default_factory=KeyedLocks)


REGISTRY: web.AppKey[Registry] = web.AppKey("registry", Registry)
_BATCH = 1 << 20


def registry(request: web.Request) -> Registry:
    return request.app[REGISTRY]


def repo_name(request: web.Request) -> str:
    return validate_name(request.match_info["name"])


def digest_param(text: str) -> Digest:
    return parse_digest(text)


async def stream_into(request: web.Request, writer: UploadWriter) -> int:
    """Append the request body to an upload; on a broken or short body roll the upload back.

    Returns the number of bytes appended. A body shorter than its Content-Length is SIZE_INVALID
    and leaves the upload as it was, so the client can ask for the Range and resume.
    """
    declared = request.content_length
    pending: list[bytes] = []
    size = 0
    try:
        async for chunk in request.content.iter_chunked(1 << 20):
            pending.append(chunk)
            size += len(chunk)
            if size >= _BATCH:
                # The disk write and hashing release the GIL: in a thread they overlap socket reads.
                await asyncio.to_thread(writer.write_all, pending)
                pending, size = [], 0
        writer.write_all(pending)
    except (asyncio.CancelledError, Exception):
        writer.abort()
        raise
    received = writer.offset - writer.start
    if declared is not None and received != declared:
        writer.abort()
        raise RegistryError(Code.SIZE_INVALID, detail={"declared": declared, "received": received})
    writer.close()
    return received


def upload_headers(name: str, upload_id: str, size: int) -> dict[str, str]:
    """Location, Range (inclusive; "0-0" when empty, as docker/distribution answers) and UUID."""
    return {
        "Location": f"/v2/{name}/blobs/uploads/{upload_id}",
        "Range": f"0-{max(size - 1, 0)}",
        "Docker-Upload-UUID": upload_id,
        "Content-Length": "0",
    }

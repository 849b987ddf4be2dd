"""Blob uploads: the POST that starts them (or mounts, or does it all at once), PATCH chunks, the
final PUT, and GET/DELETE of an upload's status.

Bookkeeping follows the spec: every answer carries the upload's ``Location``, the inclusive
``Range`` received so far and ``Docker-Upload-UUID``; a chunk whose ``Content-Range`` does not start
where the upload ends is refused with 416 and the upload left untouched; the final PUT verifies
the digest before anything becomes visible.
"""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from kubelite.distribution.errors import Code, RegistryError
from kubelite.distribution.names import Digest, validate_name
from kubelite.distribution.server.common import (
    Registry,
    digest_param,
    registry,
    repo_name,
    stream_into,
    upload_headers,
)

_CONTENT_RANGE = re.compile(r"(?:bytes )?(\d+)-(\d+)(?:/\d+|/\*)?")


def _created(name: str, digest: Digest) -> web.Response:
    return web.Response(status=201, headers={"Location": f"/v2/{name}/blobs/{digest}",
                                             "Docker-Content-Digest": str(digest), "Content-Length": "0"})


def _start(reg: Registry, name: str) -> str:
    if reg.storage.upload_count() >= reg.config.max_uploads:
        raise RegistryError(Code.TOOMANYREQUESTS, "too many uploads in progress; retry later")
    return reg.storage.start_upload(name)


async def _finish(reg: Registry, name: str, upload_id: str, digest: Digest) -> web.Response:
    await asyncio.to_thread(reg.storage.commit_upload, name, upload_id, digest)
    return _created(name, digest)


async def start_upload(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    query = request.query
    if "mount" in query:
        digest = digest_param(query["mount"])
        source = query.get("from")
        # A mount we cannot honour (unknown source, blob not there) falls back to a plain upload,
        # as the spec says; the client then pushes the bytes.
        if source is not None and validate_name(source) and \
                reg.storage.repo_blob_size(source, digest) is not None:
            reg.storage.link_blob(name, digest)
            return _created(name, digest)
    elif "digest" in query:
        digest = digest_param(query["digest"])
        upload_id = _start(reg, name)
        try:
            await stream_into(request, reg.storage.open_upload(name, upload_id))
        except BaseException:
            reg.storage.cancel_upload(name, upload_id)
            raise
        return await _finish(reg, name, upload_id, digest)
    upload_id = _start(reg, name)
    return web.Response(status=202, headers=upload_headers(name, upload_id, 0))


def _check_content_range(request: web.Request, current: int) -> None:
    header = request.headers.get("Content-Range")
    if header is None:
        return
    match = _CONTENT_RANGE.fullmatch(header.strip())
    if not match:
        raise RegistryError(Code.BLOB_UPLOAD_INVALID, f"malformed Content-Range {header!r}", status=416)
    start, end = int(match.group(1)), int(match.group(2))
    length = request.content_length
    if start != current or end < start or (length is not None and end - start + 1 != length):
        raise RegistryError(Code.BLOB_UPLOAD_INVALID, "chunk out of order",
                            detail={"expected_start": current, "content_range": header}, status=416)


async def patch_upload(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    upload_id = request.match_info["uuid"]
    async with reg.upload_locks.hold(upload_id):
        current = reg.storage.upload_size(name, upload_id)
        _check_content_range(request, current)
        writer = reg.storage.open_upload(name, upload_id)
        await stream_into(request, writer)
    return web.Response(status=202, headers=upload_headers(name, upload_id, writer.offset))


async def put_upload(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    upload_id = request.match_info["uuid"]
    if "digest" not in request.query:
        raise RegistryError(Code.DIGEST_INVALID, "the final PUT needs a digest query parameter")
    digest = digest_param(request.query["digest"])
    async with reg.upload_locks.hold(upload_id):
        current = reg.storage.upload_size(name, upload_id)
        if request.content_length or request.headers.get("Transfer-Encoding"):
            _check_content_range(request, current)
            await stream_into(request, reg.storage.open_upload(name, upload_id))
        return await _finish(reg, name, upload_id, digest)


async def get_upload(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    upload_id = request.match_info["uuid"]
    size = reg.storage.upload_size(name, upload_id)
    headers = upload_headers(name, upload_id, size)
    del headers["Content-Length"]  # a 204 has no body to measure
    return web.Response(status=204, headers=headers)


async def delete_upload(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    upload_id = request.match_info["uuid"]
    async with reg.upload_locks.hold(upload_id):
        reg.storage.cancel_upload(name, upload_id)
    return web.Response(status=204)

"""Blob reads and deletes: ``HEAD``/``GET``/``DELETE /v2/<name>/blobs/<digest>``.

GET is served by aiohttp's FileResponse, which answers ``Range`` requests (206 with Content-Range,
416 when unsatisfiable) and uses sendfile, so a pull never copies blob bytes through Python.
A blob is only visible in the repositories it was pushed or mounted into.
"""

from __future__ import annotations

from aiohttp import web

from kubelite.distribution.errors import Code, RegistryError
from kubelite.distribution.server.common import digest_param, registry, repo_name


async def get_blob(request: web.Request) -> web.StreamResponse:
    reg = registry(request)
    name = repo_name(request)
    digest = digest_param(request.match_info["digest"])
    if reg.storage.repo_blob_size(name, digest) is None:
        raise RegistryError(Code.BLOB_UNKNOWN, detail={"digest": str(digest)})
    headers = {"Docker-Content-Digest": str(digest), "Content-Type": "application/octet-stream",
               "Accept-Ranges": "bytes", "ETag": f'"{digest}"', "Cache-Control": "max-age=31536000"}
    response = web.FileResponse(reg.storage.blob_path(digest), headers=headers)
    return response


async def delete_blob(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    digest = digest_param(request.match_info["digest"])
    if not reg.config.delete_enabled:
        raise RegistryError(Code.UNSUPPORTED, "deletes are disabled on this registry")
    if not reg.storage.unlink_blob(name, digest):
        raise RegistryError(Code.BLOB_UNKNOWN, detail={"digest": str(digest)})
    return web.Response(status=202, headers={"Docker-Content-Digest": str(digest), "Content-Length": "0"})

"""Manifests by tag or digest: ``GET``/``HEAD``/``PUT``/``DELETE /v2/<name>/manifests/<reference>``.

A PUT is checked before it is stored: size limit (413 SIZE_INVALID), JSON shape and media type
(MANIFEST_INVALID), a digest reference that must match the bytes (DIGEST_INVALID), and every blob
an image manifest names, or every manifest an index names, must already be in the repository
(MANIFEST_BLOB_UNKNOWN). The bytes are stored verbatim, so the digest a client computed is the one
it gets back, and GET answers with the media type the manifest was pushed with.
"""

from __future__ import annotations

from aiohttp import web

from kubelite.distribution.errors import Code, RegistryError
from kubelite.distribution.manifests import Manifest, parse_manifest
from kubelite.distribution.names import Digest, is_tag, parse_digest
from kubelite.distribution.server.common import Registry, registry, repo_name

# Layers a registry is not expected to hold (Windows base layers): never checked for presence.
_FOREIGN = ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")


def _reference(request: web.Request) -> str:
    reference = request.match_info["reference"]
    if is_tag(reference):
        return reference
    if ":" in reference:
        parse_digest(reference)
        return reference
    raise RegistryError(Code.MANIFEST_INVALID, "invalid tag", detail={"reference": reference[:200]})


async def get_manifest(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    reference = _reference(request)
    if not reg.storage.repo_exists(name):
        raise RegistryError(Code.NAME_UNKNOWN, detail={"name": name})
    digest = reg.storage.resolve(name, reference)
    media_type = reg.storage.manifest_media_type(name, digest)
    body = reg.storage.read_blob(digest)
    headers = {"Docker-Content-Digest": str(digest), "ETag": f'"{digest}"', "Content-Type": media_type}
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return web.Response(status=200, headers=headers)
    return web.Response(status=200, body=body, headers=headers)


async def _read_limited(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise RegistryError(Code.SIZE_INVALID, f"manifest larger than {limit} bytes",
                            detail={"limit": limit, "size": request.content_length}, status=413)
    body = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        body += chunk
        if len(body) > limit:
            raise RegistryError(Code.SIZE_INVALID, f"manifest larger than {limit} bytes",
                                detail={"limit": limit}, status=413)
    if request.content_length is not None and len(body) != request.content_length:
        raise RegistryError(Code.SIZE_INVALID, detail={"declared": request.content_length,
                                                       "received": len(body)})
    return bytes(body)


def _check_references(reg: Registry, name: str, manifest: Manifest) -> None:
    for child in manifest.manifests:
        if not reg.storage.has_manifest(name, child.digest):
            raise RegistryError(Code.MANIFEST_BLOB_UNKNOWN, detail={"digest": str(child.digest)})
    for blob in manifest.blobs():
        if blob.media_type in _FOREIGN:
            continue
        size = reg.storage.repo_blob_size(name, blob.digest)
        if size is None:
            raise RegistryError(Code.MANIFEST_BLOB_UNKNOWN, detail={"digest": str(blob.digest)})
        if size != blob.size:
            raise RegistryError(Code.MANIFEST_INVALID, "descriptor size does not match the blob",
                                detail={"digest": str(blob.digest), "size": blob.size, "actual": size})


async def put_manifest(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    reference = _reference(request)
    body = await _read_limited(request, reg.config.max_manifest_size)
    manifest = parse_manifest(body, request.headers.get("Content-Type"))
    if is_tag(reference):
        digest, tag = Digest.of(body), reference
    else:
        wanted = parse_digest(reference)
        digest, tag = Digest.of(body, wanted.algorithm), None
        if digest != wanted:
            raise RegistryError(Code.DIGEST_INVALID, detail={"digest": reference, "actual": str(digest)})
    _check_references(reg, name, manifest)
    reg.storage.put_manifest(name, digest, body, manifest.media_type, tag)
    headers = {"Location": f"/v2/{name}/manifests/{digest}", "Docker-Content-Digest": str(digest),
               "Content-Length": "0"}
    if manifest.subject is not None:
        descriptor = {"mediaType": manifest.media_type, "digest": str(digest), "size": len(body)}
        artifact_type = manifest.referrer_artifact_type()
        if artifact_type:
            descriptor["artifactType"] = artifact_type
        if manifest.annotations:
            descriptor["annotations"] = manifest.annotations
        reg.storage.add_referrer(name, manifest.subject.digest, digest, descriptor)
        headers["OCI-Subject"] = str(manifest.subject.digest)
    return web.Response(status=201, headers=headers)


async def delete_manifest(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    reference = _reference(request)
    if not reg.config.delete_enabled:
        raise RegistryError(Code.UNSUPPORTED, "deletes are disabled on this registry")
    if not reg.storage.repo_exists(name):
        raise RegistryError(Code.NAME_UNKNOWN, detail={"name": name})
    if is_tag(reference):
        reg.storage.delete_tag(name, reference)
    else:
        reg.storage.delete_manifest(name, parse_digest(reference))
    return web.Response(status=202, headers={"Content-Length": "0"})

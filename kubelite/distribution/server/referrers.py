"""The referrers API: ``GET /v2/<name>/referrers/<digest>[?artifactType=...]``.

Answered from the index the manifest PUT keeps (``_referrers/``), as an OCI image index of
descriptors; a filter applied is announced in ``OCI-Filters-Applied``. A subject nobody refers to
(or that does not exist) gets an empty index with 200, as the spec requires.
"""

from __future__ import annotations

from aiohttp import web

from kubelite.distribution.manifests import OCI_INDEX
from kubelite.distribution.server.common import digest_param, registry, repo_name


async def list_referrers(request: web.Request) -> web.Response:
    reg = registry(request)
    name = repo_name(request)
    subject = digest_param(request.match_info["digest"])
    descriptors = reg.storage.referrers(name, subject)
    headers = {}
    wanted = request.query.get("artifactType")
    if wanted is not None:
        descriptors = [d for d in descriptors if d.get("artifactType") == wanted]
        headers["OCI-Filters-Applied"] = "artifactType"
    body = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
    return web.json_response(body, headers=headers, content_type=OCI_INDEX)

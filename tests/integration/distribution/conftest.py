"""An in-process registry on a loopback port, and helpers that speak the API by hand."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from kubelite.distribution.server.app import build_app
from kubelite.distribution.server.config import ServerConfig
from kubelite.distribution.server.storage import Storage

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Harness:
    url: str
    root: Path
    http: aiohttp.ClientSession
    server: TestServer

    @property
    def storage(self) -> Storage:
        return Storage(self.root)

    async def push_blob(self, repo: str, data: bytes) -> str:
        digest = digest_of(data)
        async with self.http.post(f"{self.url}/v2/{repo}/blobs/uploads/") as r:
            assert r.status == 202, await r.text()
            location = r.headers["Location"]
        async with self.http.put(f"{self.url}{location}", params={"digest": digest}, data=data) as r:
            assert r.status == 201, await r.text()
        return digest

    async def push_image(self, repo: str, tag: str, layers: list[bytes],
                         extra: dict[str, Any] | None = None) -> tuple[str, bytes]:
        config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers"}}).encode()
        cdigest = await self.push_blob(repo, config)
        layer_type = "application/vnd.oci.image.layer.v1.tar"
        descs = [{"mediaType": layer_type, "digest": await self.push_blob(repo, x), "size": len(x)}
                 for x in layers]
        doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest,
                          "size": len(config)}, "layers": descs, **(extra or {})}
        body = json.dumps(doc).encode()
        async with self.http.put(f"{self.url}/v2/{repo}/manifests/{tag}", data=body,
                                 headers={"Content-Type": OCI_MANIFEST}) as r:
            assert r.status == 201, await r.text()
            assert r.headers["Docker-Content-Digest"] == digest_of(body)
        return digest_of(body), body


async def error_code(response: aiohttp.ClientResponse) -> str:
    doc = await response.json(content_type=None)
    return str(doc["errors"][0]["code"])


async def start(tmp_path: Path, **config: Any) -> tuple[TestServer, aiohttp.ClientSession]:
    app = build_app(ServerConfig(root=tmp_path / "registry", **config))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server, aiohttp.ClientSession()


@pytest.fixture
async def reg(tmp_path: Path) -> AsyncIterator[Harness]:
    server, http = await start(tmp_path)
    try:
        yield Harness(f"http://127.0.0.1:{server.port}", tmp_path / "registry", http, server)
    finally:
        await http.close()
        await server.close()

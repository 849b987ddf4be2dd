"""Configured limits answer with the spec's codes: too many uploads, deletes disabled, bad methods."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.distribution.conftest import Harness, error_code, start

pytestmark = pytest.mark.integration


async def test_too_many_uploads_and_deletes_disabled(tmp_path: Path) -> None:
    server, http = await start(tmp_path, max_uploads=2, delete_enabled=False)
    reg = Harness(f"http://127.0.0.1:{server.port}", tmp_path / "registry", http, server)
    try:
        for _ in range(2):
            async with http.post(f"{reg.url}/v2/a/blobs/uploads/") as r:
                assert r.status == 202
        async with http.post(f"{reg.url}/v2/a/blobs/uploads/") as r:
            assert r.status == 429 and await error_code(r) == "TOOMANYREQUESTS"
        for upload in (reg.root / "uploads").iterdir():
            async with http.delete(f"{reg.url}/v2/a/blobs/uploads/{upload.name}") as r:
                assert r.status == 204
        digest, _ = await reg.push_image("a", "v1", [b"x"])
        async with http.delete(f"{reg.url}/v2/a/manifests/{digest}") as r:
            assert r.status == 405 and await error_code(r) == "UNSUPPORTED"
        async with http.get(f"{reg.url}/v2/a/manifests/v1") as r:
            assert r.status == 200
    finally:
        await http.close()
        await server.close()


async def test_unknown_routes_and_methods_are_json(reg: Harness) -> None:
    async with reg.http.post(f"{reg.url}/v2/a/manifests/v1") as r:
        assert r.status == 405 and await error_code(r) == "UNSUPPORTED"
    async with reg.http.get(f"{reg.url}/nothing/here") as r:
        assert r.status == 404 and r.headers["Content-Type"].startswith("application/json")

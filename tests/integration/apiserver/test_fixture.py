"""The shared fixture others' tests use: it yields a reachable, authenticated server."""

from __future__ import annotations

import aiohttp
import pytest

from kubelite.testing.apiserver import RunningApiServer, apiserver  # noqa: F401

pytestmark = pytest.mark.integration


async def test_fixture_serves_with_its_credentials(apiserver: RunningApiServer) -> None:  # noqa: F811
    async with aiohttp.ClientSession(headers=apiserver.headers) as session, \
            session.get(apiserver.url + "/api/v1/namespaces/default", ssl=apiserver.ssl_context()) as resp:
        body = await resp.json()
    assert resp.status == 200 and body["metadata"]["name"] == "default"
    assert apiserver.kubeconfig.read_text().count(apiserver.token) == 1

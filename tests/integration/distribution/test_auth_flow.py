"""htpasswd Basic auth and the bearer-token challenge flow, spoken by hand over HTTP."""

from __future__ import annotations

import base64
from pathlib import Path

import bcrypt
import pytest

from tests.integration.distribution.conftest import error_code, start

pytestmark = pytest.mark.integration

def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


ALICE = _basic("alice", "wonderland")


def _htpasswd(tmp_path: Path) -> Path:
    f = tmp_path / "htpasswd"
    f.write_text("alice:" + bcrypt.hashpw(b"wonderland", bcrypt.gensalt(rounds=4)).decode() + "\n")
    return f


def _parse_challenge(header: str) -> dict[str, str]:
    scheme, _, rest = header.partition(" ")
    out = {"scheme": scheme}
    for part in rest.split('",'):
        key, _, value = part.partition("=")
        out[key.strip()] = value.strip().strip('"')
    return out


async def test_basic_auth(tmp_path: Path) -> None:
    server, http = await start(tmp_path, htpasswd=_htpasswd(tmp_path))
    url = f"http://127.0.0.1:{server.port}"
    try:
        async with http.get(f"{url}/v2/") as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Basic ")
            assert await error_code(r) == "UNAUTHORIZED"
        async with http.get(f"{url}/v2/", headers=_basic("alice", "nope")) as r:
            assert r.status == 401
        async with http.get(f"{url}/v2/", headers=ALICE) as r:
            assert r.status == 200
        async with http.post(f"{url}/v2/a/blobs/uploads/", headers=ALICE) as r:
            assert r.status == 202
    finally:
        await http.close()
        await server.close()


async def test_bearer_token_flow(tmp_path: Path) -> None:
    server, http = await start(tmp_path, htpasswd=_htpasswd(tmp_path), token_realm="http://placeholder/token")
    url = f"http://127.0.0.1:{server.port}"
    try:
        async with http.post(f"{url}/v2/team/app/blobs/uploads/") as r:
            assert r.status == 401
            challenge = _parse_challenge(r.headers["WWW-Authenticate"])
        assert challenge["scheme"] == "Bearer" and challenge["service"] == "kubelite-registry"
        assert challenge["scope"] == "repository:team/app:pull,push"
        params = {"service": challenge["service"], "scope": challenge["scope"]}
        async with http.get(f"{url}/token", params=params, headers=_basic("alice", "bad")) as r:
            assert r.status == 401
        async with http.get(f"{url}/token", params=params) as r:  # anonymous: a token with no access
            anonymous = (await r.json())["token"]
        async with http.post(f"{url}/v2/team/app/blobs/uploads/",
                             headers={"Authorization": f"Bearer {anonymous}"}) as r:
            assert r.status == 401
            assert _parse_challenge(r.headers["WWW-Authenticate"])["error"] == "insufficient_scope"
        async with http.get(f"{url}/token", params=params, headers=ALICE) as r:
            doc = await r.json()
            assert doc["token"] == doc["access_token"] and doc["expires_in"] > 0
        bearer = {"Authorization": f"Bearer {doc['token']}"}
        async with http.post(f"{url}/v2/team/app/blobs/uploads/", headers=bearer) as r:
            assert r.status == 202
        # the token is for team/app only
        async with http.post(f"{url}/v2/team/other/blobs/uploads/", headers=bearer) as r:
            assert r.status == 401
        async with http.get(f"{url}/v2/team/app/tags/list", headers={"Authorization": "Bearer forged"}) as r:
            assert r.status == 401
            assert _parse_challenge(r.headers["WWW-Authenticate"])["error"] == "invalid_token"
    finally:
        await http.close()
        await server.close()

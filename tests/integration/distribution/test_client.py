"""The engine client against an in-process registry: pull, push, skip, mount, index platform choice,
resume after dropped connections, digest verification, and the auth challenge flows."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from aiohttp import web

from kubelite.distribution.client.auth import CredentialStore
from kubelite.distribution.client.config import ClientConfig, Credentials
from kubelite.distribution.client.login import login
from kubelite.distribution.client.pull import PullError, pull_image
from kubelite.distribution.client.push import push_image
from kubelite.distribution.errors import Code, RegistryError
from kubelite.distribution.layout import tar_layer
from kubelite.distribution.names import parse_digest
from kubelite.runtime.images import ImageStore
from tests.integration.distribution.conftest import OCI_MANIFEST, Harness, digest_of, start

pytestmark = pytest.mark.integration

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar"
BLOB_PATHS: web.AppKey[dict[str, str]] = web.AppKey("blob_paths", dict)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def start(self, digest: str, total: int, verb: str) -> None:
        self.events.append(("start", digest))

    def advance(self, digest: str, amount: int) -> None:
        pass

    def reset(self, digest: str, completed: int) -> None:
        self.events.append(("reset", digest))

    def done(self, digest: str, status: str) -> None:
        self.events.append((status, digest))

    def close(self) -> None:
        pass


def _config(tmp_path: Path) -> ClientConfig:
    return ClientConfig(auth_file=tmp_path / "auth.json", retries=3)


async def _push_real_image(reg: Harness, repo: str, tag: str, files: list[dict[str, bytes]],
                           arch: str = "amd64") -> tuple[str, bytes, list[bytes]]:
    """An image whose config's diff_ids match its (uncompressed) layers, as the image store demands."""
    layers = [tar_layer(f) for f in files]
    config = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers", "diff_ids": [digest_of(x) for x in layers]}}).encode()
    cdigest = await reg.push_blob(repo, config)
    descs = [{"mediaType": LAYER, "digest": await reg.push_blob(repo, x), "size": len(x)} for x in layers]
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": descs,
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": cdigest, "size": len(config)}}).encode()
    async with reg.http.put(f"{reg.url}/v2/{repo}/manifests/{tag}", data=body,
                            headers={"Content-Type": OCI_MANIFEST}) as r:
        assert r.status == 201
    return digest_of(body), body, [config, *layers]


def _host(reg: Harness) -> str:
    return f"127.0.0.1:{reg.server.port}"


async def test_pull_then_push_round_trip_keeps_digests(reg: Harness, tmp_path: Path) -> None:
    digest, body, blobs = await _push_real_image(reg, "src/app", "v1", [{"a": b"1" * 5000}, {"b": b"2"}])
    engine = str(tmp_path / "engine")
    rec = Recorder()
    result = await pull_image(f"{_host(reg)}/src/app:v1", root=engine, config=_config(tmp_path), reporter=rec)
    assert result.digest == digest and result.skipped == 0
    assert result.downloaded == sum(len(b) for b in blobs)
    store = ImageStore(engine)
    image = store.resolve(f"{_host(reg)}/src/app:v1")
    assert image.digest == digest
    assert store.content.read_bytes(digest) == body
    for blob in blobs:
        assert store.content.read_bytes(digest_of(blob)) == blob
    assert [e for e, _ in rec.events].count("Pull complete") == 3

    again = await pull_image(f"{_host(reg)}/src/app:v1", root=engine, config=_config(tmp_path))
    assert again.downloaded == 0 and again.skipped == 3

    # push under a new name in another repository: blobs are mounted, the manifest is byte-identical
    store.tag(f"{_host(reg)}/src/app:v1", f"{_host(reg)}/dst/app:v2")
    rec = Recorder()
    pushed = await push_image(f"{_host(reg)}/dst/app:v2", root=engine, config=_config(tmp_path), reporter=rec)
    assert pushed.digest == digest and pushed.uploaded == 0
    assert {status for status, _ in rec.events if status != "start"} == {"Mounted from src/app"}
    async with reg.http.get(f"{reg.url}/v2/dst/app/manifests/v2") as r:
        assert await r.read() == body


async def test_push_uploads_only_missing_blobs(reg: Harness, tmp_path: Path) -> None:
    engine = str(tmp_path / "engine")
    await _push_real_image(reg, "p", "v1", [{"a": b"x" * 3000}, {"b": b"y" * 7000}])
    await pull_image(f"{_host(reg)}/p:v1", root=engine, config=_config(tmp_path))
    store = ImageStore(engine)
    base = store.resolve(f"{_host(reg)}/p:v1")
    extra = tar_layer({"c": b"z" * 9000})
    info = store.content.write(extra)
    from kubelite.oci.descriptor import Descriptor

    store.create([Descriptor(LAYER, info.digest, info.size)], [info.digest], base=base,
                 names=[f"{_host(reg)}/p:v2"])
    rec = Recorder()
    result = await push_image(f"{_host(reg)}/p:v2", root=engine, config=_config(tmp_path), reporter=rec)
    statuses = sorted(status for status, _ in rec.events if status != "start")
    assert statuses == ["Layer already exists", "Layer already exists", "Pushed", "Pushed"]  # config+layer
    assert result.uploaded == len(extra) + store.content.info(store.resolve(f"{_host(reg)}/p:v2")
                                                              .manifest.config.digest).size
    async with reg.http.get(f"{reg.url}/v2/p/blobs/{info.digest}") as r:
        assert await r.read() == extra


async def test_index_picks_the_platform(reg: Harness, tmp_path: Path) -> None:
    amd, amd_body, _ = await _push_real_image(reg, "multi", "amd", [{"arch": b"amd64"}])
    arm, arm_body, _ = await _push_real_image(reg, "multi", "arm", [{"arch": b"arm64"}], arch="arm64")
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": arm, "size": len(arm_body),
         "platform": {"architecture": "arm64", "os": "linux"}},
        {"mediaType": OCI_MANIFEST, "digest": amd, "size": len(amd_body),
         "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
    async with reg.http.put(f"{reg.url}/v2/multi/manifests/latest", data=index,
                            headers={"Content-Type": OCI_INDEX}) as r:
        assert r.status == 201
    from kubelite.oci.descriptor import Platform

    engine = str(tmp_path / "engine")
    result = await pull_image(f"{_host(reg)}/multi", root=engine, config=_config(tmp_path),
                              platform=Platform("linux", "arm64"))
    assert result.digest == arm and result.index_digest == digest_of(index)
    with pytest.raises(PullError, match="no manifest for platform linux/s390x"):
        await pull_image(f"{_host(reg)}/multi", root=engine, config=_config(tmp_path),
                         platform=Platform("linux", "s390x"))


async def test_pull_by_digest_verifies_and_unknown_tag_is_registry_error(reg: Harness, tmp_path: Path) -> None:
    digest, _, _ = await _push_real_image(reg, "v", "v1", [{"f": b"data"}])
    engine = str(tmp_path / "engine")
    result = await pull_image(f"{_host(reg)}/v@{digest}", root=engine, config=_config(tmp_path))
    assert result.digest == digest
    with pytest.raises(RegistryError) as info:
        await pull_image(f"{_host(reg)}/v:missing", root=engine, config=_config(tmp_path))
    assert info.value.code is Code.MANIFEST_UNKNOWN


async def test_pull_resumes_a_dropped_blob_with_range(tmp_path: Path) -> None:
    seen: list[str] = []

    @web.middleware
    async def drop_first_big_get(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "GET" and "/blobs/sha256:" in request.path:
            seen.append(request.headers.get("Range", ""))
            if request.headers.get("Range") is None:
                response = await handler(request)
                if isinstance(response, web.FileResponse):
                    path = request.app[BLOB_PATHS].get(request.match_info["digest"])
                    if path is not None:  # the big layer: send a third of it, then hang up
                        data = await asyncio.to_thread(Path(path).read_bytes)
                        stream = web.StreamResponse(headers={"Content-Length": str(len(data))})
                        await stream.prepare(request)
                        await stream.write(data[: len(data) // 3])
                        assert request.transport is not None
                        request.transport.close()
                        return stream
                return response
        return await handler(request)

    from kubelite.distribution.server.app import build_app
    from kubelite.distribution.server.config import ServerConfig

    app = build_app(ServerConfig(root=tmp_path / "registry"))
    app.middlewares.append(drop_first_big_get)
    app[BLOB_PATHS] = {}
    import aiohttp
    from aiohttp.test_utils import TestServer

    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession()
    try:
        reg = Harness(f"http://127.0.0.1:{server.port}", tmp_path / "registry", http, server)
        big = {"big": bytes(range(256)) * 4000}
        digest, _, blobs = await _push_real_image(reg, "flaky", "v1", [big])
        layer_digest = digest_of(blobs[1])
        app[BLOB_PATHS][layer_digest] = str(reg.storage.blob_path(parse_digest(layer_digest)))
        rec = Recorder()
        result = await pull_image(f"{_host(reg)}/flaky:v1", root=str(tmp_path / "engine"),
                                  config=_config(tmp_path), reporter=rec)
        assert result.digest == digest
        assert any(r.startswith("bytes=") and r != "bytes=0-" for r in seen), seen
        assert ("reset", layer_digest) in rec.events
        assert ImageStore(str(tmp_path / "engine")).content.read_bytes(layer_digest) == blobs[1]
    finally:
        await http.close()
        await server.close()


async def test_push_resumes_from_the_registry_range(tmp_path: Path, reg: Harness) -> None:
    # get an image into the engine first
    await _push_real_image(reg, "seed", "v1", [{"big": bytes(range(256)) * 4000}])
    engine = str(tmp_path / "engine")
    await pull_image(f"{_host(reg)}/seed:v1", root=engine, config=_config(tmp_path))
    ImageStore(engine).tag(f"{_host(reg)}/seed:v1", "127.0.0.1:1/x:v1")

    import aiohttp
    from aiohttp.test_utils import TestServer

    from kubelite.distribution.server.app import build_app
    from kubelite.distribution.server.common import REGISTRY
    from kubelite.distribution.server.config import ServerConfig

    cut: list[int] = []

    @web.middleware
    async def cut_first_patch(request: web.Request, handler: Any) -> web.StreamResponse:
        end = int(request.headers.get("Content-Range", "0-0").split("-")[1])
        if request.method == "PATCH" and not cut and end > 200_000:  # the big layer, first try
            storage = request.app[REGISTRY].storage
            writer = storage.open_upload(request.match_info["name"], request.match_info["uuid"])
            received = 0
            async for chunk in request.content.iter_chunked(65536):
                writer.write(chunk)
                received += len(chunk)
                if received > 100_000:
                    break
            writer.close()
            cut.append(received)
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        return await handler(request)

    app = build_app(ServerConfig(root=tmp_path / "second"))
    app.middlewares.append(cut_first_patch)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        target = f"127.0.0.1:{server.port}/resumed:v1"
        ImageStore(engine).tag(f"{_host(reg)}/seed:v1", target)
        rec = Recorder()
        result = await push_image(target, root=engine, config=_config(tmp_path), reporter=rec)
        assert cut and cut[0] > 0
        image = ImageStore(engine).resolve(target)
        assert ("reset", image.layers[0].digest) in rec.events
        assert result.digest == image.digest
        big = image.layers[0]
        assert result.uploaded < big.size + image.manifest.config.size  # the cut part was not resent
        url = f"http://127.0.0.1:{server.port}/v2/resumed/blobs/{big.digest}"
        async with aiohttp.ClientSession() as http, http.get(url) as r:
            data = await r.read()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == big.digest
    finally:
        await server.close()


def _htpasswd(tmp_path: Path) -> Path:
    f = tmp_path / "htpasswd"
    f.write_text("alice:" + bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode() + "\n")
    return f


@pytest.mark.parametrize("mode", ["basic", "token"])
async def test_login_and_pull_through_auth(tmp_path: Path, mode: str) -> None:
    extra: dict[str, Any] = {"htpasswd": _htpasswd(tmp_path)}
    if mode == "token":
        extra["token_realm"] = "placeholder"
    server, http = await start(tmp_path, **extra)
    if mode == "token":  # the realm must name the server's own address, known only once it listens
        from kubelite.distribution.server.guard import GUARD

        server.app[GUARD].realm = f"http://127.0.0.1:{server.port}/token"
    host = f"127.0.0.1:{server.port}"
    reg = Harness(f"http://{host}", tmp_path / "registry", http, server)
    config = _config(tmp_path)
    try:
        with pytest.raises(RegistryError) as info:
            await pull_image(f"{host}/private:v1", root=str(tmp_path / "engine"), config=config)
        assert info.value.code is Code.UNAUTHORIZED
        with pytest.raises(RegistryError) as info:
            await login(host, Credentials("alice", "wrong"), config)
        assert info.value.code is Code.UNAUTHORIZED
        assert CredentialStore(config.auth_file).get(host) is None
        await login(host, Credentials("alice", "pw"), config)
        saved = json.loads(config.auth_file.read_text())
        assert saved["auths"][host]["auth"] == base64.b64encode(b"alice:pw").decode()
        assert oct(config.auth_file.stat().st_mode & 0o777) == "0o600"
        # push an image with the saved credentials, then pull it back
        engine = str(tmp_path / "engine")
        store = ImageStore(engine)
        layer = tar_layer({"f": b"secret"})
        info2 = store.content.write(layer)
        from kubelite.oci.descriptor import Descriptor

        store.create([Descriptor(LAYER, info2.digest, info2.size)], [info2.digest], names=[f"{host}/private:v1"])
        pushed = await push_image(f"{host}/private:v1", root=engine, config=config)
        other = str(tmp_path / "engine2")
        pulled = await pull_image(f"{host}/private:v1", root=other, config=config)
        assert pulled.digest == pushed.digest
        del reg
    finally:
        await http.close()
        await server.close()


async def test_pull_rejects_a_corrupted_blob(tmp_path: Path) -> None:
    import aiohttp
    from aiohttp.test_utils import TestServer

    from kubelite.distribution.server.app import build_app
    from kubelite.distribution.server.config import ServerConfig

    @web.middleware
    async def corrupt(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if request.method == "GET" and "/blobs/sha256:" in request.path and isinstance(response,
                                                                                     web.FileResponse):
            data = bytearray(reg.storage.blob_path(parse_digest(request.match_info["digest"])).read_bytes())
            data[len(data) // 2] ^= 0xFF
            return web.Response(body=bytes(data))
        return response

    app = build_app(ServerConfig(root=tmp_path / "registry"))
    app.middlewares.append(corrupt)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession()
    try:
        reg = Harness(f"http://127.0.0.1:{server.port}", tmp_path / "registry", http, server)
        await _push_real_image(reg, "bad", "v1", [{"f": b"payload" * 100}])
        engine = str(tmp_path / "engine")
        with pytest.raises(PullError, match="failed verification"):
            await pull_image(f"{_host(reg)}/bad:v1", root=engine, config=_config(tmp_path))
        store = ImageStore(engine)
        assert list(store.content.walk()) == [] and store.list() == []
    finally:
        await http.close()
        await server.close()


async def test_engine_runtime_pulls_through_the_registry_puller(reg: Harness, tmp_path: Path) -> None:
    from kubelite.distribution.client.cri import RegistryPuller
    from kubelite.runtime.container_errors import InvalidArgument, NotFound, RuntimeFailure
    from kubelite.runtime.cri import EngineRuntime

    digest, _, blobs = await _push_real_image(reg, "cri/app", "v1", [{"f": b"cri"}])
    engine = str(tmp_path / "engine")
    runtime = EngineRuntime.open(engine, puller=RegistryPuller(engine, _config(tmp_path)))
    # the runtime's pull is synchronous: the kubelet calls it from a worker thread
    image_id = await asyncio.to_thread(runtime.pull_image, f"{_host(reg)}/cri/app:v1")
    assert image_id == digest_of(blobs[0])
    assert ImageStore(engine).resolve(f"{_host(reg)}/cri/app:v1").digest == digest
    with pytest.raises(NotFound):
        await asyncio.to_thread(runtime.pull_image, f"{_host(reg)}/cri/app:missing")
    with pytest.raises(InvalidArgument):
        await asyncio.to_thread(runtime.pull_image, "UPPER/case")
    with pytest.raises(RuntimeFailure, match="cannot reach registry"):
        puller = RegistryPuller(engine, ClientConfig(auth_file=tmp_path / "a.json", retries=0))
        await asyncio.to_thread(puller, "127.0.0.1:1/x:v1")

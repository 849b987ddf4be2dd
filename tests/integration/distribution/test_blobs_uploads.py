"""Blob uploads in every shape the spec allows, and the bad inputs that must not corrupt storage."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.integration.distribution.conftest import Harness, digest_of, error_code

pytestmark = pytest.mark.integration


def _visible_blobs(reg: Harness) -> set[str]:
    return {p.name for p in (reg.root / "blobs").rglob("*") if p.is_file()}


async def test_ping(reg: Harness) -> None:
    async with reg.http.get(f"{reg.url}/v2/") as r:
        assert r.status == 200
        assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"


async def test_monolithic_upload_then_head_get_and_range(reg: Harness) -> None:
    data = os.urandom(100_000)
    digest = await reg.push_blob("lib/a", data)
    async with reg.http.head(f"{reg.url}/v2/lib/a/blobs/{digest}") as r:
        assert r.status == 200
        assert r.headers["Content-Length"] == str(len(data))
        assert r.headers["Docker-Content-Digest"] == digest
    async with reg.http.get(f"{reg.url}/v2/lib/a/blobs/{digest}") as r:
        assert r.status == 200 and await r.read() == data
    async with reg.http.get(f"{reg.url}/v2/lib/a/blobs/{digest}", headers={"Range": "bytes=1000-1999"}) as r:
        assert r.status == 206
        assert r.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
        assert await r.read() == data[1000:2000]
    # a blob is visible only in the repository it was pushed to
    async with reg.http.head(f"{reg.url}/v2/lib/b/blobs/{digest}") as r:
        assert r.status == 404


async def test_chunked_upload_with_range_bookkeeping(reg: Harness) -> None:
    data = os.urandom(30_000)
    async with reg.http.post(f"{reg.url}/v2/c/blobs/uploads/") as r:
        assert r.status == 202 and r.headers["Range"] == "0-0"
        location, uuid = r.headers["Location"], r.headers["Docker-Upload-UUID"]
        assert location.endswith(uuid)
    for start in range(0, len(data), 10_000):
        chunk = data[start:start + 10_000]
        headers = {"Content-Range": f"{start}-{start + len(chunk) - 1}",
                   "Content-Type": "application/octet-stream"}
        async with reg.http.patch(f"{reg.url}{location}", data=chunk, headers=headers) as r:
            assert r.status == 202, await r.text()
            assert r.headers["Range"] == f"0-{start + len(chunk) - 1}"
            location = r.headers["Location"]
    async with reg.http.get(f"{reg.url}{location}") as r:
        assert r.status == 204 and r.headers["Range"] == f"0-{len(data) - 1}"
    digest = digest_of(data)
    async with reg.http.put(f"{reg.url}{location}", params={"digest": digest}) as r:
        assert r.status == 201
        assert r.headers["Location"] == f"/v2/c/blobs/{digest}"
    async with reg.http.get(f"{reg.url}/v2/c/blobs/{digest}") as r:
        assert await r.read() == data
    # the finished upload is gone
    async with reg.http.get(f"{reg.url}{location}") as r:
        assert r.status == 404 and await error_code(r) == "BLOB_UPLOAD_UNKNOWN"


async def test_out_of_order_chunk_is_416_and_leaves_upload_intact(reg: Harness) -> None:
    async with reg.http.post(f"{reg.url}/v2/c/blobs/uploads/") as r:
        location = r.headers["Location"]
    async with reg.http.patch(f"{reg.url}{location}", data=b"hello", headers={"Content-Range": "0-4"}) as r:
        assert r.status == 202
    async with reg.http.patch(f"{reg.url}{location}", data=b"world", headers={"Content-Range": "10-14"}) as r:
        assert r.status == 416 and await error_code(r) == "BLOB_UPLOAD_INVALID"
    async with reg.http.get(f"{reg.url}{location}") as r:
        assert r.headers["Range"] == "0-4"
    async with reg.http.put(f"{reg.url}{location}", params={"digest": digest_of(b"helloworld")},
                            data=b"world", headers={"Content-Range": "5-9"}) as r:
        assert r.status == 201


async def test_single_post_with_digest_and_put_with_body(reg: Harness) -> None:
    data = b"single post"
    async with reg.http.post(f"{reg.url}/v2/s/blobs/uploads/", params={"digest": digest_of(data)},
                             data=data) as r:
        assert r.status == 201 and r.headers["Docker-Content-Digest"] == digest_of(data)
    async with reg.http.head(f"{reg.url}/v2/s/blobs/{digest_of(data)}") as r:
        assert r.status == 200


async def test_wrong_digest_is_rejected_and_nothing_becomes_visible(reg: Harness) -> None:
    before = _visible_blobs(reg)
    async with reg.http.post(f"{reg.url}/v2/w/blobs/uploads/") as r:
        location = r.headers["Location"]
    wrong = digest_of(b"something else")
    async with reg.http.put(f"{reg.url}{location}", params={"digest": wrong}, data=b"payload") as r:
        assert r.status == 400 and await error_code(r) == "DIGEST_INVALID"
    async with reg.http.head(f"{reg.url}/v2/w/blobs/{wrong}") as r:
        assert r.status == 404
    async with reg.http.post(f"{reg.url}/v2/w/blobs/uploads/", params={"digest": wrong}, data=b"x") as r:
        assert r.status == 400 and await error_code(r) == "DIGEST_INVALID"
    async with reg.http.put(f"{reg.url}{location}", params={"digest": "sha256:../../etc"}) as r:
        assert r.status in (400, 404)
    assert _visible_blobs(reg) == before
    assert list((reg.root / "uploads").iterdir()) == []


async def test_unknown_blob_and_upload(reg: Harness) -> None:
    missing = digest_of(b"never pushed")
    async with reg.http.get(f"{reg.url}/v2/x/blobs/{missing}") as r:
        assert r.status == 404 and await error_code(r) == "BLOB_UNKNOWN"
    async with reg.http.get(f"{reg.url}/v2/x/blobs/sha256:nothex") as r:
        assert r.status == 400 and await error_code(r) == "DIGEST_INVALID"
    async with reg.http.patch(f"{reg.url}/v2/x/blobs/uploads/{'0' * 32}", data=b"x") as r:
        assert r.status == 404 and await error_code(r) == "BLOB_UPLOAD_UNKNOWN"
    async with reg.http.patch(f"{reg.url}/v2/x/blobs/uploads/..%2F..%2Fblobs", data=b"x") as r:
        assert r.status == 404 and await error_code(r) == "BLOB_UPLOAD_UNKNOWN"
    # an upload belongs to the repository that started it
    async with reg.http.post(f"{reg.url}/v2/x/blobs/uploads/") as r:
        uuid = r.headers["Docker-Upload-UUID"]
    async with reg.http.get(f"{reg.url}/v2/y/blobs/uploads/{uuid}") as r:
        assert r.status == 404 and await error_code(r) == "BLOB_UPLOAD_UNKNOWN"
    async with reg.http.delete(f"{reg.url}/v2/x/blobs/uploads/{uuid}") as r:
        assert r.status == 204
    async with reg.http.get(f"{reg.url}/v2/x/blobs/uploads/{uuid}") as r:
        assert r.status == 404


async def test_truncated_upload_rolls_back_to_last_good_offset(reg: Harness) -> None:
    async with reg.http.post(f"{reg.url}/v2/t/blobs/uploads/") as r:
        location, uuid = r.headers["Location"], r.headers["Docker-Upload-UUID"]
    async with reg.http.patch(f"{reg.url}{location}", data=b"a" * 1000) as r:
        assert r.status == 202
    data_file = reg.root / "uploads" / uuid / "data"
    loop = asyncio.get_running_loop()
    # A client that promises 3 MB, sends 1.5 MB and hangs up once the server has written some of it.
    _reader, writer = await asyncio.open_connection("127.0.0.1", reg.server.port)
    writer.write((f"PATCH {location} HTTP/1.1\r\nHost: x\r\nContent-Length: {3 << 20}\r\n"
                  "Content-Type: application/octet-stream\r\n\r\n").encode() + b"b" * (3 << 19))
    await writer.drain()
    deadline = loop.time() + 20
    while data_file.stat().st_size <= 1000:  # the server is mid-request and has written a batch
        assert loop.time() < deadline, "the server never wrote the partial body"
        await asyncio.sleep(0.01)
    writer.close()
    await writer.wait_closed()
    while data_file.stat().st_size != 1000:  # ...and rolls it back when the client is gone
        assert loop.time() < deadline, data_file.stat().st_size
        await asyncio.sleep(0.01)
    async with reg.http.get(f"{reg.url}{location}") as r:
        assert r.headers["Range"] == "0-999"
    async with reg.http.put(f"{reg.url}{location}", params={"digest": digest_of(b"a" * 1000 + b"c")},
                            data=b"c") as r:
        assert r.status == 201
    assert not (reg.root / "uploads" / uuid).exists()


async def test_put_waits_for_a_patch_in_flight_on_the_same_upload(reg: Harness) -> None:
    async with reg.http.post(f"{reg.url}/v2/t/blobs/uploads/") as r:
        location, uuid = r.headers["Location"], r.headers["Docker-Upload-UUID"]
    async with reg.http.patch(f"{reg.url}{location}", data=b"a" * 1000) as r:
        assert r.status == 202
    data_file = reg.root / "uploads" / uuid / "data"
    loop = asyncio.get_running_loop()
    _reader, writer = await asyncio.open_connection("127.0.0.1", reg.server.port)
    writer.write((f"PATCH {location} HTTP/1.1\r\nHost: x\r\nContent-Length: {3 << 20}\r\n\r\n").encode()
                 + b"b" * (3 << 19))
    await writer.drain()
    deadline = loop.time() + 20
    while data_file.stat().st_size <= 1000:
        assert loop.time() < deadline
        await asyncio.sleep(0.01)

    async def put() -> int:
        async with reg.http.put(f"{reg.url}{location}", params={"digest": digest_of(b"a" * 1000)}) as r:
            return r.status

    finishing = asyncio.create_task(put())
    await asyncio.sleep(0.2)  # give the PUT every chance to overtake: it must not
    assert not finishing.done()
    writer.close()
    await writer.wait_closed()
    assert await asyncio.wait_for(finishing, 20) == 201
    async with reg.http.get(f"{reg.url}/v2/t/blobs/{digest_of(b'a' * 1000)}") as r:
        assert await r.read() == b"a" * 1000  # the rollback did not truncate the published blob


async def test_declared_length_mismatch_is_size_invalid(reg: Harness) -> None:
    async with reg.http.post(f"{reg.url}/v2/t/blobs/uploads/") as r:
        location = r.headers["Location"]
    async with reg.http.patch(f"{reg.url}{location}", data=b"12345",
                              headers={"Content-Range": "0-9"}) as r:
        assert r.status == 416 and await error_code(r) == "BLOB_UPLOAD_INVALID"


async def test_cross_repository_mount(reg: Harness) -> None:
    digest = await reg.push_blob("src/repo", b"shared layer")
    async with reg.http.post(f"{reg.url}/v2/dst/repo/blobs/uploads/",
                             params={"mount": digest, "from": "src/repo"}) as r:
        assert r.status == 201 and r.headers["Location"] == f"/v2/dst/repo/blobs/{digest}"
    async with reg.http.head(f"{reg.url}/v2/dst/repo/blobs/{digest}") as r:
        assert r.status == 200
    # a mount that cannot be honoured starts an ordinary upload instead
    async with reg.http.post(f"{reg.url}/v2/dst/repo/blobs/uploads/",
                             params={"mount": digest_of(b"nope"), "from": "src/repo"}) as r:
        assert r.status == 202 and "Docker-Upload-UUID" in r.headers


async def test_blob_delete(reg: Harness) -> None:
    digest = await reg.push_blob("d", b"to delete")
    async with reg.http.delete(f"{reg.url}/v2/d/blobs/{digest}") as r:
        assert r.status == 202
    async with reg.http.head(f"{reg.url}/v2/d/blobs/{digest}") as r:
        assert r.status == 404
    async with reg.http.delete(f"{reg.url}/v2/d/blobs/{digest}") as r:
        assert r.status == 404 and await error_code(r) == "BLOB_UNKNOWN"


@pytest.mark.parametrize("path", ["/v2/UPPER/tags/list", "/v2/a__-b/blobs/uploads/", "/v2/-a/manifests/x",
                                  "/v2/a/%2E%2E/b/tags/list"])
async def test_invalid_names(reg: Harness, path: str) -> None:
    import yarl

    method = "POST" if path.endswith("uploads/") else "GET"
    async with reg.http.request(method, yarl.URL(reg.url + path, encoded=True)) as r:
        assert r.status == 400, path
        assert await error_code(r) == "NAME_INVALID"
    assert not any((reg.root / "repositories").iterdir())

"""Manifests (OCI and Docker, images and indexes), tags, catalog, referrers and gc over HTTP."""

from __future__ import annotations

import json

import pytest

from kubelite.distribution.server.gc import collect
from tests.integration.distribution.conftest import OCI_MANIFEST, Harness, digest_of, error_code

pytestmark = pytest.mark.integration

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


async def test_manifest_get_head_by_tag_and_digest(reg: Harness) -> None:
    digest, body = await reg.push_image("app", "v1", [b"layer-1", b"layer-2"])
    for ref in ("v1", digest):
        async with reg.http.get(f"{reg.url}/v2/app/manifests/{ref}") as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == OCI_MANIFEST
            assert r.headers["Docker-Content-Digest"] == digest
            assert await r.read() == body
        async with reg.http.head(f"{reg.url}/v2/app/manifests/{ref}") as r:
            assert r.status == 200 and r.headers["Content-Length"] == str(len(body))
            assert r.headers["Docker-Content-Digest"] == digest
    async with reg.http.get(f"{reg.url}/v2/app/manifests/nope") as r:
        assert r.status == 404 and await error_code(r) == "MANIFEST_UNKNOWN"
    async with reg.http.get(f"{reg.url}/v2/ghost/manifests/v1") as r:
        assert r.status == 404 and await error_code(r) == "NAME_UNKNOWN"


async def test_docker_manifest_and_lists_keep_their_media_type(reg: Harness) -> None:
    config = await reg.push_blob("d", b"{}")
    layer = await reg.push_blob("d", b"layer")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                      "digest": config, "size": 2},
                           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                       "digest": layer, "size": 5}]}).encode()
    async with reg.http.put(f"{reg.url}/v2/d/manifests/{digest_of(manifest)}", data=manifest,
                            headers={"Content-Type": DOCKER_MANIFEST}) as r:
        assert r.status == 201
    for media_type in (DOCKER_LIST, OCI_INDEX):
        index = json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": [
            {"mediaType": DOCKER_MANIFEST, "digest": digest_of(manifest), "size": len(manifest),
             "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
        async with reg.http.put(f"{reg.url}/v2/d/manifests/multi", data=index,
                                headers={"Content-Type": media_type}) as r:
            assert r.status == 201, await r.text()
        async with reg.http.get(f"{reg.url}/v2/d/manifests/multi") as r:
            assert r.headers["Content-Type"] == media_type and await r.read() == index
    async with reg.http.get(f"{reg.url}/v2/d/manifests/{digest_of(manifest)}") as r:
        assert r.headers["Content-Type"] == DOCKER_MANIFEST


async def test_manifest_bad_inputs_leave_storage_unchanged(reg: Harness) -> None:
    await reg.push_image("m", "good", [b"x"])
    snapshot = sorted(str(p) for p in reg.root.rglob("*") if "tmp" not in p.parts)
    missing = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                          "digest": digest_of(b"absent"), "size": 6}, "layers": []}
    body = json.dumps(missing).encode()
    async with reg.http.put(f"{reg.url}/v2/m/manifests/bad", data=body,
                            headers={"Content-Type": OCI_MANIFEST}) as r:
        assert r.status == 404 and await error_code(r) == "MANIFEST_BLOB_UNKNOWN"
    async with reg.http.put(f"{reg.url}/v2/m/manifests/bad", data=b"{not json",
                            headers={"Content-Type": OCI_MANIFEST}) as r:
        assert r.status == 400 and await error_code(r) == "MANIFEST_INVALID"
    async with reg.http.put(f"{reg.url}/v2/m/manifests/{digest_of(b'other')}", data=body,
                            headers={"Content-Type": OCI_MANIFEST}) as r:
        assert r.status == 400 and await error_code(r) == "DIGEST_INVALID"
    huge = json.dumps({**missing, "annotations": {"pad": "x" * (4 * 1024 * 1024)}}).encode()
    async with reg.http.put(f"{reg.url}/v2/m/manifests/huge", data=huge,
                            headers={"Content-Type": OCI_MANIFEST}) as r:
        assert r.status == 413 and await error_code(r) == "SIZE_INVALID"
    async with reg.http.put(f"{reg.url}/v2/m/manifests/bad..tag!", data=body,
                            headers={"Content-Type": OCI_MANIFEST}) as r:
        assert r.status == 400
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": digest_of(b"nothing"), "size": 7}]}).encode()
    async with reg.http.put(f"{reg.url}/v2/m/manifests/idx", data=index,
                            headers={"Content-Type": OCI_INDEX}) as r:
        assert r.status == 404 and await error_code(r) == "MANIFEST_BLOB_UNKNOWN"
    assert sorted(str(p) for p in reg.root.rglob("*") if "tmp" not in p.parts) == snapshot


async def test_tags_pagination_and_delete(reg: Harness) -> None:
    digest, _ = await reg.push_image("t", "a", [b"x"])
    for tag in ("b", "c", "d", "e"):
        await reg.push_image("t", tag, [b"x"])
    async with reg.http.get(f"{reg.url}/v2/t/tags/list") as r:
        assert await r.json() == {"name": "t", "tags": ["a", "b", "c", "d", "e"]}
    async with reg.http.get(f"{reg.url}/v2/t/tags/list", params={"n": "2"}) as r:
        assert (await r.json())["tags"] == ["a", "b"]
        assert r.headers["Link"] == '</v2/t/tags/list?n=2&last=b>; rel="next"'
    async with reg.http.get(f"{reg.url}/v2/t/tags/list", params={"n": "2", "last": "d"}) as r:
        assert (await r.json())["tags"] == ["e"] and "Link" not in r.headers
    async with reg.http.get(f"{reg.url}/v2/t/tags/list", params={"n": "x"}) as r:
        assert r.status == 400
    async with reg.http.get(f"{reg.url}/v2/none/tags/list") as r:
        assert r.status == 404 and await error_code(r) == "NAME_UNKNOWN"
    async with reg.http.delete(f"{reg.url}/v2/t/manifests/e") as r:  # a tag only
        assert r.status == 202
    async with reg.http.delete(f"{reg.url}/v2/t/manifests/{digest}") as r:  # the manifest and its tags
        assert r.status == 202
    async with reg.http.get(f"{reg.url}/v2/t/manifests/{digest}") as r:
        assert r.status == 404 and await error_code(r) == "MANIFEST_UNKNOWN"
    async with reg.http.get(f"{reg.url}/v2/t/tags/list") as r:
        assert (await r.json())["tags"] == []


async def test_catalog(reg: Harness) -> None:
    for repo in ("b/two", "a", "b/one/deeper", "c"):
        await reg.push_blob(repo, b"x")
    async with reg.http.get(f"{reg.url}/v2/_catalog") as r:
        assert (await r.json())["repositories"] == ["a", "b/one/deeper", "b/two", "c"]
    async with reg.http.get(f"{reg.url}/v2/_catalog", params={"n": "2"}) as r:
        assert (await r.json())["repositories"] == ["a", "b/one/deeper"]
        assert r.headers["Link"] == '</v2/_catalog?n=2&last=b/one/deeper>; rel="next"'


async def test_referrers(reg: Harness) -> None:
    subject, body = await reg.push_image("r", "v1", [b"x"])
    desc = {"mediaType": OCI_MANIFEST, "digest": subject, "size": len(body)}
    sig, _ = await reg.push_image("r", "sig", [b"signature"], {"artifactType": "application/x.sig",
                                                                "subject": desc})
    sbom, _ = await reg.push_image("r", "sbom", [b"sbom"], {"artifactType": "application/x.sbom",
                                                             "subject": desc, "annotations": {"k": "v"}})
    async with reg.http.get(f"{reg.url}/v2/r/referrers/{subject}") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith(OCI_INDEX)
        doc = await r.json(content_type=None)
        assert {m["digest"]: m.get("artifactType") for m in doc["manifests"]} == {
            sig: "application/x.sig", sbom: "application/x.sbom"}
        assert [m.get("annotations") for m in doc["manifests"] if m["digest"] == sbom] == [{"k": "v"}]
    async with reg.http.get(f"{reg.url}/v2/r/referrers/{subject}",
                            params={"artifactType": "application/x.sbom"}) as r:
        assert r.headers["OCI-Filters-Applied"] == "artifactType"
        assert [m["digest"] for m in (await r.json(content_type=None))["manifests"]] == [sbom]
    async with reg.http.get(f"{reg.url}/v2/r/referrers/{digest_of(b'nobody')}") as r:
        assert r.status == 200 and (await r.json(content_type=None))["manifests"] == []
    async with reg.http.delete(f"{reg.url}/v2/r/manifests/{sig}") as r:
        assert r.status == 202
    async with reg.http.get(f"{reg.url}/v2/r/referrers/{subject}") as r:
        assert [m["digest"] for m in (await r.json(content_type=None))["manifests"]] == [sbom]


async def test_subject_header_on_put(reg: Harness) -> None:
    subject, body = await reg.push_image("s", "v1", [b"x"])
    config = await reg.push_blob("s", b"{}")
    art = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "a/b",
                      "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config,
                                 "size": 2},
                      "layers": [], "subject": {"mediaType": OCI_MANIFEST, "digest": subject,
                                                "size": len(body)}}).encode()
    async with reg.http.put(f"{reg.url}/v2/s/manifests/{digest_of(art)}", data=art,
                            headers={"Content-Type": OCI_MANIFEST}) as r:
        assert r.status == 201 and r.headers["OCI-Subject"] == subject


async def test_gc_reclaims_only_unreferenced_blobs(reg: Harness) -> None:
    _keep, _ = await reg.push_image("g", "keep", [b"shared", b"kept-only"])
    drop, _ = await reg.push_image("g", "drop", [b"shared", b"dropped-only"])
    orphan = await reg.push_blob("g", b"never referenced")
    async with reg.http.delete(f"{reg.url}/v2/g/manifests/{drop}") as r:
        assert r.status == 202
    report = collect(reg.storage)
    assert set(report.blobs_deleted) == {drop, digest_of(b"dropped-only"), orphan}
    for data in (b"shared", b"kept-only"):
        async with reg.http.get(f"{reg.url}/v2/g/blobs/{digest_of(data)}") as r:
            assert await r.read() == data
    async with reg.http.head(f"{reg.url}/v2/g/blobs/{orphan}") as r:
        assert r.status == 404
    async with reg.http.get(f"{reg.url}/v2/g/manifests/keep") as r:
        assert r.status == 200
    assert collect(reg.storage).blobs_deleted == []


async def test_gc_delete_untagged_keeps_referrers_of_tagged(reg: Harness) -> None:
    subject, body = await reg.push_image("u", "v1", [b"x"])
    desc = {"mediaType": OCI_MANIFEST, "digest": subject, "size": len(body)}
    sig, _ = await reg.push_image("u", "tmp", [b"sig"], {"subject": desc})
    untagged, _ = await reg.push_image("u", "gone", [b"lonely"])
    for tag in ("tmp", "gone"):
        async with reg.http.delete(f"{reg.url}/v2/u/manifests/{tag}") as r:
            assert r.status == 202
    report = collect(reg.storage, delete_untagged=True)
    assert report.revisions_deleted == [f"u@{untagged}"]
    async with reg.http.get(f"{reg.url}/v2/u/manifests/{sig}") as r:
        assert r.status == 200

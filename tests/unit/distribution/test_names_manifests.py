"""Names, tags, digests and manifest parsing: the checks that keep bad input out of storage paths."""

from __future__ import annotations

import json

import pytest

from kubelite.distribution.errors import Code, RegistryError, parse_error_body
from kubelite.distribution.manifests import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    parse_manifest,
)
from kubelite.distribution.names import Digest, is_tag, parse_digest, validate_name
from kubelite.distribution.server.listing import paginate

pytestmark = pytest.mark.unit

H = "a" * 64


@pytest.mark.parametrize("name", ["a", "library/busybox", "a.b_c__d--e/f-1", "x0/y1/z2", "a" * 255])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "A", "a/", "/a", "a//b", "../a", "a/../b", "a/..", ".a", "_a",
                                  "a/_layers", "a_-b", "a b", "a%2fb", "a" * 256, "a\x00b", "a:b"])
def test_invalid_names(name: str) -> None:
    with pytest.raises(RegistryError) as info:
        validate_name(name)
    assert info.value.code is Code.NAME_INVALID
    assert info.value.status == 400


def test_tags() -> None:
    assert is_tag("latest") and is_tag("v1.2.3-rc_1") and is_tag("_x") and is_tag("a" * 128)
    assert not is_tag("a" * 129) and not is_tag(".x") and not is_tag("-x") and not is_tag("a/b")
    assert not is_tag(f"sha256:{H}")


def test_digests() -> None:
    d = parse_digest(f"sha256:{H}")
    assert d == Digest("sha256", H) and str(d) == f"sha256:{H}"
    assert parse_digest("sha512:" + "b" * 128).algorithm == "sha512"
    assert Digest.of(b"") == parse_digest(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


@pytest.mark.parametrize("text", ["sha256:" + "A" * 64, "sha256:" + "a" * 63, "sha256:../../etc/passwd",
                                  "md5:" + "a" * 32, "sha256", "", "sha256:" + "g" * 64, f"SHA256:{H}"])
def test_bad_digests(text: str) -> None:
    with pytest.raises(RegistryError) as info:
        parse_digest(text)
    assert info.value.code is Code.DIGEST_INVALID


def _desc(mt: str = "application/octet-stream", size: int = 1) -> dict[str, object]:
    return {"mediaType": mt, "digest": f"sha256:{H}", "size": size}


def test_parse_image_manifest_with_subject() -> None:
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "x/sig",
                       "config": _desc("application/vnd.oci.empty.v1+json", 2), "layers": [_desc()],
                       "subject": _desc(OCI_MANIFEST, 10), "annotations": {"k": "v"}}).encode()
    m = parse_manifest(body, OCI_MANIFEST)
    assert m.media_type == OCI_MANIFEST and not m.is_index
    assert [b.size for b in m.blobs()] == [2, 1]
    assert m.subject is not None and m.subject.size == 10
    assert m.referrer_artifact_type() == "x/sig"
    assert m.annotations == {"k": "v"}


def test_media_type_from_content_type_and_artifact_type_from_config() -> None:
    body = json.dumps({"schemaVersion": 2, "config": _desc("application/vnd.example+json"),
                       "layers": []}).encode()
    m = parse_manifest(body, OCI_MANIFEST + "; charset=utf-8")
    assert m.media_type == OCI_MANIFEST
    assert m.referrer_artifact_type() == "application/vnd.example+json"


def test_indexes() -> None:
    for mt in (OCI_INDEX, DOCKER_LIST):
        body = json.dumps({"schemaVersion": 2, "mediaType": mt, "manifests": [_desc(OCI_MANIFEST)]}).encode()
        m = parse_manifest(body, None)
        assert m.is_index and len(m.manifests) == 1 and m.blobs() == []


@pytest.mark.parametrize("body,content_type", [
    (b"not json", OCI_MANIFEST),
    (b"[]", OCI_MANIFEST),
    (json.dumps({"schemaVersion": 1}).encode(), OCI_MANIFEST),
    (json.dumps({"schemaVersion": 2, "mediaType": "text/plain", "layers": []}).encode(), None),
    (json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": []}).encode(), OCI_MANIFEST),
    (json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": _desc(),
                 "layers": "x"}).encode(), None),
    (json.dumps({"schemaVersion": 2, "config": {**_desc(), "size": -1}, "layers": []}).encode(), None),
    (json.dumps({"schemaVersion": 2, "config": {**_desc(), "digest": "sha256:../x"}, "layers": []}).encode(),
     None),
    (json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST, "config": _desc(),
                 "layers": []}).encode(), OCI_MANIFEST),
    (json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": {}}).encode(), None),
])
def test_invalid_manifests(body: bytes, content_type: str | None) -> None:
    with pytest.raises(RegistryError) as info:
        parse_manifest(body, content_type)
    assert info.value.code is Code.MANIFEST_INVALID


def test_error_body_round_trip() -> None:
    err = RegistryError(Code.BLOB_UNKNOWN, detail={"digest": "x"})
    back = parse_error_body(404, json.dumps(err.body()).encode())
    assert back is not None and back.code is Code.BLOB_UNKNOWN and back.detail == {"digest": "x"}
    assert parse_error_body(502, b"<html>bad gateway</html>") is None


def test_paginate() -> None:
    items = ["a", "b", "c", "d"]
    assert paginate(items, None, None) == (items, None)
    assert paginate(items, "2", None) == (["a", "b"], "b")
    assert paginate(items, "2", "b") == (["c", "d"], None)
    assert paginate(items, "10", "a") == (["b", "c", "d"], None)
    assert paginate(items, "0", None) == ([], None)
    for bad in ("x", "-1"):
        with pytest.raises(RegistryError) as info:
            paginate(items, bad, None)
        assert info.value.code is Code.PAGINATION_NUMBER_INVALID

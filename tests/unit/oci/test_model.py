"""Digests, chain ids, manifests, indexes and configs: validated from untrusted JSON."""

import hashlib
import json

import pytest

from kubelite.oci import mediatypes as mt
from kubelite.oci.config import ImageConfig, new_config
from kubelite.oci.descriptor import Descriptor, Platform
from kubelite.oci.digest import chain_id, chain_ids, sha256_digest, validate_digest
from kubelite.oci.errors import InvalidConfigError, InvalidDigestError, InvalidManifestError
from kubelite.oci.manifest import Index, Manifest, parse_manifest, parse_manifest_or_index

pytestmark = pytest.mark.unit

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64


def test_digest_validation() -> None:
    assert validate_digest(A) == A
    assert sha256_digest(b"x") == "sha256:" + hashlib.sha256(b"x").hexdigest()
    for bad in ("sha256:" + "A" * 64, "sha256:abc", "nope", "sha1:" + "a" * 40, ""):
        with pytest.raises(InvalidDigestError):
            validate_digest(bad)


def test_chain_ids_follow_the_spec() -> None:
    # chain(L0) = diff(L0); chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln))
    second = "sha256:" + hashlib.sha256(f"{A} {B}".encode()).hexdigest()
    assert chain_ids([A, B]) == [A, second]
    assert chain_id([A, B]) == second
    assert chain_id([]) is None


def _manifest_json(media_type: str = mt.OCI_MANIFEST, layer_type: str = mt.OCI_LAYER_GZIP) -> dict:
    return {"schemaVersion": 2, "mediaType": media_type,
            "config": {"mediaType": mt.OCI_CONFIG, "digest": A, "size": 10},
            "layers": [{"mediaType": layer_type, "digest": B, "size": 20}]}


def test_manifest_round_trip_and_docker_types() -> None:
    m = parse_manifest(json.dumps(_manifest_json()))
    assert isinstance(m, Manifest)
    assert m.layers[0] == Descriptor(mt.OCI_LAYER_GZIP, B, 20)
    assert parse_manifest(m.to_bytes()) == m
    d = parse_manifest(json.dumps(_manifest_json(mt.DOCKER_MANIFEST, mt.DOCKER_LAYER_GZIP)))
    assert d.media_type == mt.DOCKER_MANIFEST
    assert mt.layer_compression(d.layers[0].media_type) == "gzip"


@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda m: m.update(schemaVersion=1), "schemaVersion"),
    (lambda m: m.update(mediaType="text/plain"), "unsupported"),
    (lambda m: m.pop("layers"), "no layers"),
    (lambda m: m["layers"][0].update(size=-1), "invalid size"),
    (lambda m: m["layers"][0].update(digest="sha256:zz"), "invalid digest"),
    (lambda m: m["layers"][0].update(mediaType="application/zip"), "unsupported media type"),
    (lambda m: m.update(config="x"), "must be a JSON object"),
])
def test_bad_manifests_are_refused(mutate, needle: str) -> None:
    obj = _manifest_json()
    mutate(obj)
    with pytest.raises(InvalidManifestError, match=needle):
        parse_manifest(json.dumps(obj))


def test_not_json_and_index_selection() -> None:
    with pytest.raises(InvalidManifestError, match="not valid JSON"):
        parse_manifest_or_index(b"\x00garbage")
    arm = Descriptor(mt.OCI_MANIFEST, A, 5, platform=Platform("linux", "arm64"))
    amd = Descriptor(mt.OCI_MANIFEST, B, 6, platform=Platform("linux", "amd64"))
    index = parse_manifest_or_index(Index(manifests=(arm, amd)).to_bytes())
    assert isinstance(index, Index)
    assert index.select(Platform()).digest == B
    with pytest.raises(InvalidManifestError, match="no manifest for platform"):
        index.select(Platform("windows", "amd64"))
    with pytest.raises(InvalidManifestError, match="expected an image manifest"):
        parse_manifest(index.to_bytes())


def test_config() -> None:
    cfg = new_config([A], created="2024-01-01T00:00:00Z", container_config={"Cmd": ["sh"]})
    again = ImageConfig.parse(cfg.to_bytes())
    assert again.diff_ids == [A]
    assert again.config == {"Cmd": ["sh"]}
    assert again.os == "linux"
    for bad, needle in [
        ({"rootfs": {"type": "layers", "diff_ids": ["x"]}}, "diff_ids"),
        ({"rootfs": {"type": "nope", "diff_ids": []}}, "rootfs.type"),
        ({"rootfs": {"type": "layers", "diff_ids": []}, "config": {"Cmd": "sh"}}, "Cmd must be a list"),
        ({"rootfs": {"type": "layers", "diff_ids": []}, "config": {"Env": {"A": 1}}}, "Env must be"),
        ({"rootfs": {"type": "layers", "diff_ids": []}, "config": {"User": 0}}, "User must be"),
    ]:
        with pytest.raises(InvalidConfigError, match=needle):
            ImageConfig.from_json(bad)
    with pytest.raises(InvalidConfigError, match="not valid JSON"):
        ImageConfig.parse(b"{")

"""Real clients against a real registry process: skopeo (OCI and v2s2 round trips, inspect, tags,
delete), the oras Python client (chunked artifact push, pull, subject/referrers), and gc."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path

import pytest

from kubelite.distribution.layout import write_image
from tests.e2e.distribution.conftest import RegistryProcess, kubelite, skopeo

pytestmark = pytest.mark.e2e

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def _layout(tmp_path: Path) -> tuple[Path, str]:
    layout = tmp_path / "layout"
    built = write_image(layout, [{"bin/hello": b"#!/bin/sh\necho hello\n"},
                                 {"etc/data": bytes(range(256)) * 400}])
    return layout, built.manifest_digest


def _get(url: str) -> tuple[bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read(), dict(r.headers)


def test_skopeo_oci_round_trip(registry: RegistryProcess, tmp_path: Path) -> None:
    layout, digest = _layout(tmp_path)
    dest = f"docker://{registry.host}/e2e/oci:v1"
    skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:latest", dest)
    raw = skopeo("inspect", "--tls-verify=false", "--raw", dest).stdout.encode()
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest  # pushed byte for byte
    info = json.loads(skopeo("inspect", "--tls-verify=false", dest).stdout)
    assert info["Digest"] == digest and info["Architecture"] == "amd64" and len(info["Layers"]) == 2
    back = tmp_path / "back"
    skopeo("copy", "--src-tls-verify=false", dest, f"oci:{back}:v1")
    index = json.loads((back / "index.json").read_text())
    assert index["manifests"][0]["digest"] == digest
    for blob in (layout / "blobs" / "sha256").iterdir():
        assert (back / "blobs" / "sha256" / blob.name).read_bytes() == blob.read_bytes()


def test_skopeo_v2s2_tags_and_delete(registry: RegistryProcess, tmp_path: Path) -> None:
    layout, _ = _layout(tmp_path)
    base = f"docker://{registry.host}/e2e/docker"
    for tag in ("v1", "v2"):
        skopeo("copy", "--dest-tls-verify=false", "--format", "v2s2", f"oci:{layout}:latest", f"{base}:{tag}")
    raw = skopeo("inspect", "--tls-verify=false", "--raw", f"{base}:v1").stdout.encode()
    assert json.loads(raw)["mediaType"] == DOCKER_MANIFEST
    body, headers = _get(f"http://{registry.host}/v2/e2e/docker/manifests/v1")
    assert body == raw and headers["Content-Type"] == DOCKER_MANIFEST
    assert headers["Docker-Content-Digest"] == "sha256:" + hashlib.sha256(raw).hexdigest()
    tags = json.loads(skopeo("list-tags", "--tls-verify=false", base).stdout)["Tags"]
    assert sorted(tags) == ["v1", "v2"]
    out = tmp_path / "dir"
    skopeo("copy", "--src-tls-verify=false", f"{base}:v2", f"dir:{out}")
    assert (out / "manifest.json").read_bytes() == raw  # docker format kept through a pull
    skopeo("delete", "--tls-verify=false", f"{base}:v1")
    failed = skopeo("inspect", "--tls-verify=false", f"{base}:v2", check=False)
    assert failed.returncode != 0  # deleting by digest removed every tag on it
    assert json.loads(skopeo("list-tags", "--tls-verify=false", base).stdout)["Tags"] == []
    # everything is now unreferenced: gc takes it all, and a dry run said so first
    dry = kubelite("registry", "gc", "--root", str(registry.root), "--dry-run").stdout
    assert "would delete 4 blobs" in dry
    done = kubelite("registry", "gc", "--root", str(registry.root)).stdout
    assert "deleted 4 blobs" in done
    assert not [p for p in (registry.root / "blobs").rglob("*") if p.is_file()]


def test_oras_chunked_artifact_with_subject(registry: RegistryProcess, tmp_path: Path) -> None:
    import oras.client
    import oras.oci

    layout, digest = _layout(tmp_path)
    size = len((layout / "blobs" / "sha256" / digest.split(":")[1]).read_bytes())
    skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:latest", f"docker://{registry.host}/e2e/art:app")
    payload = tmp_path / "notes.txt"
    payload.write_bytes(b"release notes\n" * 5000)
    client = oras.client.OrasClient(hostname=registry.host, insecure=True)
    target = f"{registry.host}/e2e/art:notes"
    response = client.push(files=[str(payload)], target=target, do_chunked=True, chunk_size=16384,
                           disable_path_validation=True,
                           subject=oras.oci.Subject(OCI_MANIFEST, digest, size))  # type: ignore[arg-type]
    assert response.status_code == 201
    out = tmp_path / "pulled"
    files = client.pull(target=target, outdir=str(out))
    assert [Path(f).read_bytes() for f in files] == [payload.read_bytes()]
    body, _ = _get(f"http://{registry.host}/v2/e2e/art/referrers/{digest}")
    referrers = json.loads(body)["manifests"]
    assert len(referrers) == 1
    notes_raw = skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{target}").stdout.encode()
    assert referrers[0]["digest"] == "sha256:" + hashlib.sha256(notes_raw).hexdigest()


def test_serve_rejects_bad_flags_in_one_line(tmp_path: Path) -> None:
    result = kubelite("registry", "serve", "--addr", "nonsense", "--root", str(tmp_path), check=False)
    assert result.returncode == 1 and result.stderr.strip() == "Error: --addr must be host:port, got 'nonsense'"
    bad = tmp_path / "htpasswd"
    bad.write_text("bob:$apr1$x$y\n")
    result = kubelite("registry", "serve", "--addr", "127.0.0.1:1", "--root", str(tmp_path),
                      "--htpasswd", str(bad), check=False)
    assert result.returncode == 1 and "only bcrypt is supported" in result.stderr
    assert "Traceback" not in result.stderr

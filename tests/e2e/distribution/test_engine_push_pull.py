"""``kubelite push``/``pull``/``login`` as users run them, checked against skopeo byte for byte."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest

from kubelite.distribution.layout import tar_layer, write_image
from kubelite.oci.descriptor import Descriptor
from kubelite.runtime.images import ImageStore
from tests.e2e.distribution.conftest import RegistryProcess, free_port, kubelite, skopeo

pytestmark = pytest.mark.e2e


def _blob_bytes(layout: Path) -> dict[str, bytes]:
    return {f"sha256:{p.name}": p.read_bytes() for p in (layout / "blobs" / "sha256").iterdir()}


@pytest.mark.parametrize("fmt", ["oci", "v2s2"])
def test_skopeo_push_then_kubelite_pull_and_push_back(registry: RegistryProcess, tmp_path: Path,
                                                      fmt: str) -> None:
    layout = tmp_path / "layout"
    write_image(layout, [{"bin/app": b"#!/bin/sh\necho app\n"}, {"srv/data": bytes(range(256)) * 300}])
    src = f"{registry.host}/e2e/src:{fmt}"
    skopeo("copy", "--dest-tls-verify=false", "--format", fmt, f"oci:{layout}:latest", f"docker://{src}")
    raw = skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{src}").stdout.encode()
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()

    engine = tmp_path / "engine"
    pulled = kubelite("--root", str(engine), "pull", src)
    assert f"Digest: {digest}" in pulled.stdout and pulled.stdout.strip().endswith(src)
    assert "Pull complete" in pulled.stderr  # one line per layer off a terminal
    store = ImageStore(str(engine))
    image = store.resolve(src)
    assert image.digest == digest
    assert store.content.read_bytes(digest) == raw
    layout_blobs = _blob_bytes(layout)
    for desc in (image.manifest.config, *image.layers):
        if fmt == "oci":
            assert store.content.read_bytes(desc.digest) == layout_blobs[desc.digest]
        else:  # skopeo rewrote the manifest (and config) for v2s2; layers are the same bytes
            assert store.content.has(desc.digest)

    dst = f"{registry.host}/e2e/dst:{fmt}"
    kubelite("--root", str(engine), "tag", src, dst)
    pushed = kubelite("--root", str(engine), "push", dst)
    assert f"{fmt}: digest: {digest} size: {len(raw)}" in pushed.stdout
    back = tmp_path / "back"
    skopeo("copy", "--src-tls-verify=false", f"docker://{dst}", f"dir:{back}")
    assert (back / "manifest.json").read_bytes() == raw
    for desc in (image.manifest.config, *image.layers):
        assert (back / desc.digest.split(":")[1]).read_bytes() == store.content.read_bytes(desc.digest)


def test_kubelite_push_of_a_local_image_then_skopeo_pull(registry: RegistryProcess, tmp_path: Path) -> None:
    engine = tmp_path / "engine"
    store = ImageStore(str(engine))
    tars = [tar_layer({"etc/motd": b"built here\n"}), tar_layer({"usr/share/x": b"x" * 70000})]
    descs = []
    for tar in tars:
        info = store.content.write(gzip.compress(tar, mtime=0))
        descs.append(Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", info.digest, info.size))
    ref = f"{registry.host}/local/made:v1"
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    image = store.create(descs, diff_ids, container_config={"Cmd": ["/bin/sh"]}, names=[ref])
    kubelite("--root", str(engine), "push", ref)
    out = tmp_path / "out"
    skopeo("copy", "--src-tls-verify=false", f"docker://{ref}", f"oci:{out}:v1")
    index = json.loads((out / "index.json").read_text())
    assert index["manifests"][0]["digest"] == image.digest
    for digest, data in _blob_bytes(out).items():
        assert store.content.read_bytes(digest) == data
    # pushing again moves nothing
    again = kubelite("--root", str(engine), "push", ref)
    assert again.stderr.count("Layer already exists") == 3


def test_login_token_auth_and_skopeo_reads_the_same_authfile(tmp_path: Path) -> None:
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text("alice:" + bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode() + "\n")
    port = free_port()
    reg = RegistryProcess(tmp_path / "registry", port, tmp_path / "registry.log",
                          extra=("--htpasswd", str(htpasswd), "--token-realm", f"http://127.0.0.1:{port}/token"))
    reg.start()
    try:
        engine = tmp_path / "engine"
        bad = subprocess.run([sys.executable, "-m", "kubelite", "--root", str(engine), "login", reg.host,
                              "-u", "alice", "--password-stdin"], input="wrong\n", capture_output=True,
                             text=True, timeout=60, check=False)
        assert bad.returncode == 1 and bad.stderr.startswith("Error: login failed:")
        assert "Traceback" not in bad.stderr and not (engine / "auth.json").exists()
        ok = subprocess.run([sys.executable, "-m", "kubelite", "--root", str(engine), "login", reg.host,
                             "-u", "alice", "--password-stdin"], input="s3cret\n", capture_output=True,
                            text=True, timeout=60, check=False)
        assert ok.returncode == 0 and "Login Succeeded" in ok.stdout, ok.stderr
        layout = tmp_path / "layout"
        write_image(layout, [{"a": b"private"}])
        ref = f"{reg.host}/team/private:v1"
        denied = skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:latest", f"docker://{ref}", check=False)
        assert denied.returncode != 0
        skopeo("copy", "--dest-tls-verify=false", "--authfile", str(engine / "auth.json"),
               f"oci:{layout}:latest", f"docker://{ref}")
        pulled = kubelite("--root", str(engine), "pull", ref)
        assert pulled.returncode == 0
        anonymous = kubelite("--root", str(tmp_path / "other"), "pull", ref, check=False)
        assert anonymous.returncode == 1 and "UNAUTHORIZED" in anonymous.stderr
    finally:
        reg.stop()

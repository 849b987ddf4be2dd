"""Our tarballs are real docker-archive and OCI archives (skopeo reads them), and we load what skopeo
writes, in both formats."""

import json
import os
import subprocess
import tarfile
import uuid

import pytest

from kubelite.runtime.images import ImageStore
from kubelite.runtime.snapshots import Snapshotter
from tests.e2e.runtime_images.conftest import need

pytestmark = pytest.mark.e2e


def skopeo(*args: str) -> str:
    proc = subprocess.run([need("skopeo", "skopeo"), "--insecure-policy", *args], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def runs_busybox(root: str, ref: str, mounts) -> None:
    snaps = Snapshotter(root)
    key = f"chk-{uuid.uuid4().hex[:8]}"
    target = mounts.new()
    snaps.mount(snaps.prepare(key, ImageStore(root).resolve(ref)), target)
    try:
        out = subprocess.run(["chroot", target, "/bin/busybox", "echo", "ok"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
        assert out == "ok\n"
    finally:
        snaps.unmount(target)
        snaps.remove(key)


def test_skopeo_reads_our_save_and_we_load_skopeo(kl, root, mounts, tmp_path) -> None:
    kl("image", "bootstrap", "busybox")
    ours = ImageStore(root).resolve("busybox")
    saved = str(tmp_path / "saved.tar")
    kl("save", "-o", saved, "busybox")
    info = json.loads(skopeo("inspect", f"docker-archive:{saved}"))
    assert info["Layers"] == ours.diff_ids and info["Env"] == ours.config["Env"]
    skopeo("copy", f"docker-archive:{saved}", f"oci:{tmp_path}/oci-from-docker:latest")
    skopeo("copy", f"oci-archive:{saved}", f"oci:{tmp_path}/oci-from-oci:latest")
    config = json.loads(skopeo("inspect", "--config", f"oci-archive:{saved}"))
    assert config["rootfs"]["diff_ids"] == ours.diff_ids

    # skopeo's docker-archive, loaded under a new name.
    out_tar = str(tmp_path / "skopeo-docker.tar")
    skopeo("copy", f"oci:{tmp_path}/oci-from-docker:latest", f"docker-archive:{out_tar}:localhost/sk/bb:v2")
    other = kl.__class__(str(tmp_path / "other"))
    assert other("load", "-i", out_tar).stdout == "Loaded image: localhost/sk/bb:v2\n"
    runs_busybox(other.root, "localhost/sk/bb:v2", mounts)

    # skopeo's OCI layout, as a tarball, loaded by id (its ref.name is a bare tag).
    layout = tmp_path / "oci-from-oci"
    layout_tar = str(tmp_path / "layout.tar")
    with tarfile.open(layout_tar, "w") as tf:
        for name in os.listdir(layout):
            tf.add(layout / name, arcname=name)
    out = other("load", "-i", layout_tar).stdout
    assert out.startswith("Loaded image ID: sha256:")
    loaded_id = out.split()[-1]
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads((layout / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_text())
    assert loaded_id == manifest["config"]["digest"]
    other("tag", loaded_id[7:19], "fromoci:1")
    runs_busybox(other.root, "fromoci:1", mounts)


def test_save_to_stdout_pipes_into_load_from_stdin(kl, root, tmp_path) -> None:
    from kubelite.runtime.bootstrap import bootstrap_busybox

    image = bootstrap_busybox(root)
    other = kl.__class__(str(tmp_path / "piped"))
    saver = subprocess.Popen(kl.argv("save", "busybox"), stdout=subprocess.PIPE)
    loader = subprocess.run(other.argv("load"), stdin=saver.stdout, capture_output=True, text=True,
                            timeout=120, check=False)
    assert saver.wait(timeout=60) == 0
    assert (loader.returncode, loader.stdout) == (0, "Loaded image: busybox:latest\n"), loader.stderr
    assert ImageStore(other.root).resolve("busybox").id == image.id


def test_export_a_rootfs_and_import_it(kl, root, mounts, tmp_path) -> None:
    """``tar -c`` of a mounted container rootfs, piped into ``kubelite import -``: docker export | import."""
    from kubelite.runtime.bootstrap import bootstrap_busybox

    snaps = Snapshotter(root)
    key = f"exp-{uuid.uuid4().hex[:8]}"
    target = mounts.new()
    snaps.mount(snaps.prepare(key, bootstrap_busybox(root)), target)
    try:
        with open(os.path.join(target, "exported"), "w") as fh:
            fh.write("yes\n")
        tar = subprocess.Popen(["tar", "-C", target, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(kl.argv("import", "-c", 'CMD ["/bin/sh"]', "-", "localhost/exported:1"),
                                  stdin=tar.stdout, capture_output=True, text=True, timeout=120, check=False)
        assert tar.wait(timeout=60) == 0
    finally:
        snaps.unmount(target)
        snaps.remove(key)
    assert imported.returncode == 0, imported.stderr
    image = ImageStore(root).resolve("localhost/exported:1")
    assert imported.stdout.strip() == image.id and image.config == {"Cmd": ["/bin/sh"]}
    assert len(image.layers) == 1 and image.layers[0].media_type.endswith("tar+gzip")
    key = f"imp-{uuid.uuid4().hex[:8]}"
    target = mounts.new()
    snaps.mount(snaps.prepare(key, image), target)
    try:
        out = subprocess.run(["chroot", target, "/bin/cat", "/exported"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
        assert out == "yes\n"
    finally:
        snaps.unmount(target)
        snaps.remove(key)

"""Overlay snapshots for real: bootstrap busybox, run it under runc on a container rootfs, turn the
container's changes (deletions included) into a layer with whiteouts, and see them hold in a new
image, also after a save/load round trip."""

import io
import json
import os
import subprocess
import tarfile
import uuid

import pytest

from kubelite.runtime.archive import load_archive, save_images
from kubelite.runtime.images import ImageStore
from kubelite.runtime.snapshots import SnapshotError, Snapshotter
from tests.e2e.runtime_images.conftest import is_mounted, need

pytestmark = pytest.mark.e2e


def chroot_sh(rootfs: str, script: str) -> str:
    proc = subprocess.run(["chroot", rootfs, "/bin/sh", "-c", script], capture_output=True, text=True,
                          timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_bootstrap_then_runc_runs_the_image(kl, root, mounts, tmp_path) -> None:
    runc = need("runc", "runc")
    out = kl("image", "bootstrap", "busybox").stdout
    assert "busybox:latest" in out
    image = ImageStore(root).resolve("busybox")
    snaps = Snapshotter(root)
    key = f"e2e-{uuid.uuid4().hex[:8]}"
    target = mounts.new()
    snaps.mount(snaps.prepare(key, image), target)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    subprocess.run([runc, "spec", "--bundle", str(bundle)], check=True)
    spec = json.loads((bundle / "config.json").read_text())
    spec["root"] = {"path": target, "readonly": False}
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["/bin/sh", "-c", "echo hello from $(cat /etc/hostname 2>/dev/null || "
                                                "echo busybox); head -1 /etc/passwd; ls /bin | wc -l"]
    spec["linux"].pop("namespaces", None)
    spec["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
    (bundle / "config.json").write_text(json.dumps(spec))
    cid = f"klimg-{uuid.uuid4().hex[:8]}"
    try:
        proc = subprocess.run([runc, "run", "--bundle", str(bundle), cid], capture_output=True, text=True,
                              timeout=60, check=False, stdin=subprocess.DEVNULL)
    finally:
        subprocess.run([runc, "delete", "-f", cid], capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("hello from") and lines[1] == "root:x:0:0:root:/root:/bin/sh"
    assert int(lines[2]) > 50
    with pytest.raises(SnapshotError, match="still mounted"):
        snaps.remove(key)  # removing would delete the live container's files
    snaps.unmount(target)
    assert not is_mounted(target)
    snaps.remove(key)


def test_whiteouts_survive_commit_and_save_load(kl, root, mounts, tmp_path) -> None:
    kl("image", "bootstrap", "busybox")
    store = ImageStore(root)
    snaps = Snapshotter(root)
    base = store.resolve("busybox")
    key = f"build-{uuid.uuid4().hex[:8]}"
    target = mounts.new()
    snaps.mount(snaps.prepare(key, base), target)
    chroot_sh(target, "rm /etc/hosts && rm -rf /var/spool && mkdir /var/spool && echo new > /var/spool/x"
                      " && echo hi > /hello && rm /bin/vi")
    snaps.unmount(target)
    with store.ingest():
        layer = snaps.commit_diff(key)
        child = store.create([layer.descriptor], [layer.diff_id], base=base, names=["child:1"])
    snaps.remove(key)
    with store.content.open(layer.descriptor.digest) as fh, tarfile.open(fileobj=fh, mode="r:gz") as tf:
        names = set(tf.getnames())
    assert {"etc/.wh.hosts", "var/spool/.wh..wh..opq", "var/spool/x", "hello", "bin/.wh.vi"} <= names

    def check(store_root: str) -> None:
        s = Snapshotter(store_root)
        img = ImageStore(store_root).resolve("child:1")
        assert len(img.layers) == 2
        k = f"run-{uuid.uuid4().hex[:8]}"
        t = mounts.new()
        s.mount(s.prepare(k, img), t)
        try:
            assert chroot_sh(t, "ls /var/spool; cat /hello; test -e /etc/hosts || echo nohosts; "
                                "test -e /bin/vi || echo novi; test -e /etc/passwd && echo passwd") \
                == "x\nhi\nnohosts\nnovi\npasswd\n"
        finally:
            s.unmount(t)
            s.remove(k)

    check(root)
    # write_diff reads the same stack without a mount: whiteouts and the opaque dir hide what they hide.
    from kubelite.runtime.layers import LowerView, write_diff

    view_key = f"view-{uuid.uuid4().hex[:8]}"
    lowers = snaps.prepare(view_key, store.resolve("child:1")).lowerdirs
    view = LowerView(lowers)
    assert view.lookup("etc/hosts") is None and view.lookup("var/spool/mail") is None
    assert view.lookup("var/spool/x") is not None and view.lookup("etc/passwd") is not None
    target = mounts.new()
    snaps.mount(snaps.mounts(view_key), target)
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", target + "/.", str(copy)], check=True)
    snaps.unmount(target)
    snaps.remove(view_key)
    os.unlink(copy / "etc/passwd")
    diff_buf = io.BytesIO()
    write_diff(lowers, str(copy), diff_buf)
    with tarfile.open(fileobj=io.BytesIO(diff_buf.getvalue()), mode="r:gz") as tf:
        changed = set(tf.getnames())
    assert "etc/.wh.passwd" in changed
    assert not {"etc/.wh.hosts", "var/spool/.wh.mail", "bin/.wh.vi", "hello"} & changed
    buf = io.BytesIO()
    save_images(root, ["child:1"], buf)
    other = str(tmp_path / "other")
    loaded = load_archive(other, io.BytesIO(buf.getvalue()))
    assert loaded[0].image.id == child.id and loaded[0].image.diff_ids == child.diff_ids
    check(other)
    # The loaded image's layers were unpacked (and validated) during load: no re-unpack at prepare.
    assert sorted(Snapshotter(other).layer_chains()) == sorted(child.chain_ids)
    assert os.listdir(os.path.join(other, "tmp")) == []

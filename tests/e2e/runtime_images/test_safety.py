"""Hostile and interrupted input through the real CLI: traversal refused with one clear line and a
store left as it was; a load killed mid-way registers nothing; two CLIs at once lose no update."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.e2e.runtime_images.conftest import REPO
from tests.unit.runtime_images.tarbuild import docker_archive, make_tar

pytestmark = pytest.mark.e2e


def snapshot_state(root: str) -> dict:
    def ls(*parts: str) -> list[str]:
        path = os.path.join(root, *parts)
        return sorted(os.listdir(path)) if os.path.isdir(path) else []
    index = os.path.join(root, "images", "index.json")
    return {"index": open(index).read() if os.path.exists(index) else "", "blobs": ls("content/blobs/sha256"),
            "layers": ls("snapshots/layers"), "tmp": ls("tmp")}


CASES = [
    ("dotdot", [("file", "../../../../{outside}/dotdot", b"x")], "'..'"),
    ("absolute", [("file", "/{outside}/abs", b"x")], "absolute"),
    ("symlink-escape", [("symlink", "esc", "../../../../../../.."), ("file", "esc/{outside}/sym", b"x")],
     "points outside the root"),
    ("through-symlink", [("symlink", "esc", "/{outside}"), ("file", "esc/through", b"x")], "through the symlink"),
    ("hardlink-escape", [("hardlink", "h", "../../../../etc/passwd")], "'..'"),
    ("hardlink-abs", [("hardlink", "h", "/etc/passwd")], "absolute path"),
    ("device", [("chr", "dev/mem")], "device node"),
]


def test_traversal_refused_via_import_and_load(kl, root, tmp_path) -> None:
    from kubelite.runtime.bootstrap import bootstrap_busybox

    outside = tmp_path / "outside"
    outside.mkdir()
    rel_outside = str(outside).lstrip("/")
    bootstrap_busybox(root)
    before = snapshot_state(root)
    evils = []
    for name, entries, needle in CASES:
        fixed = [tuple(x.format(outside=rel_outside) if isinstance(x, str) else x for x in e) for e in entries]
        evil = make_tar(fixed)
        evils.append(evil)
        (tmp_path / f"{name}.tar.gz").write_bytes(evil)
        proc = kl("import", str(tmp_path / f"{name}.tar.gz"), f"evil-{name}:1", check=False)
        assert proc.returncode == 1, name
        assert proc.stderr.startswith("Error: refusing") and needle in proc.stderr, (name, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert snapshot_state(root) == before, name
    # The same layers inside a docker-archive, after a good layer: refused, nothing registered.
    for evil, (name, _entries, needle) in list(zip(evils, CASES, strict=True))[:3]:
        (tmp_path / "evil-archive.tar").write_bytes(
            docker_archive([make_tar([("file", "ok", b"1")]), evil], [f"e-{name}:1"]))
        proc = kl("load", "-i", str(tmp_path / "evil-archive.tar"), check=False)
        assert proc.returncode == 1 and needle in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
        assert snapshot_state(root)["index"] == before["index"]
    kl("image", "prune")
    assert snapshot_state(root) == before
    assert list(outside.iterdir()) == []
    assert "evil" not in kl("images").stdout


def test_kill_mid_load_registers_nothing(kl, root, tmp_path) -> None:
    # A plain-tar layer big enough that the load is still unpacking when it is killed.
    big = make_tar([("file", "busy", b""), ("file", "big.bin", os.urandom(1 << 20) * 48)], compress=False)
    archive = tmp_path / "big.tar"
    archive.write_bytes(docker_archive([big], ["big:1"]))
    del big
    proc = subprocess.Popen(kl.argv("load", "-i", str(archive)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=REPO)
    tmp = os.path.join(root, "tmp")
    deadline = time.monotonic() + 60
    started = False
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            started = any(n.startswith("unpack-") and os.path.exists(os.path.join(tmp, n, "fs", "big.bin"))
                          for n in os.listdir(tmp))
        except FileNotFoundError:
            started = False
        if started:
            break
        time.sleep(0.002)  # polling the file system: there is no event to wait on
    assert started and proc.poll() is None, "the load finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert kl("images", "-q").stdout == ""
    assert "big" not in snapshot_state(root)["index"]
    assert os.listdir(tmp)  # the killed load's leftovers, which prune collects
    kl("image", "prune")
    assert snapshot_state(root) == {"index": snapshot_state(root)["index"], "blobs": [], "layers": [], "tmp": []}
    assert kl("load", "-i", str(archive)).stdout == "Loaded image: big:1\n"


def test_two_clis_at_once_lose_no_tag(kl, root) -> None:
    kl("image", "bootstrap", "busybox")
    script = ("import sys\nfrom kubelite.runtime.images import ImageStore\n"
              "s = ImageStore(sys.argv[1])\n"
              "for i in range(25):\n    s.tag('busybox', f'w{sys.argv[2]}/t:{i}')\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, root, str(w)], cwd=REPO) for w in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    out = kl("images").stdout
    for w in range(2):
        for i in range(25):
            assert f"w{w}/t " in out and f" {i} " in out
    assert len(out.splitlines()) == 1 + 1 + 50


def test_tag_rmi_and_malformed_archive_through_the_cli(kl, root, tmp_path) -> None:
    image_id = kl("image", "bootstrap", "busybox").stdout.split()[-1]
    kl("tag", "busybox", "localhost:5000/a/b:1")
    kl("tag", image_id[7:19], "second")
    assert sorted(line.split()[0] for line in kl("images").stdout.splitlines()[1:]) == \
        ["busybox", "localhost:5000/a/b", "second"]
    proc = kl("rmi", image_id, check=False)
    assert proc.returncode == 1 and "must be forced" in proc.stderr and proc.stderr.count("\n") == 1
    assert kl("rmi", "second").stdout == "Untagged: second:latest\n"
    before = snapshot_state(root)
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"\x1f\x8b" + os.urandom(4096))
    proc = kl("load", "-i", str(garbage), check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("Error: ") and proc.stderr.count("\n") == 1
    assert snapshot_state(root) == before
    out = kl("rmi", "-f", image_id).stdout.splitlines()
    assert out == ["Untagged: busybox:latest", "Untagged: localhost:5000/a/b:1", f"Deleted: {image_id}"]
    assert snapshot_state(root)["blobs"] == [] and kl("images", "-q").stdout == ""

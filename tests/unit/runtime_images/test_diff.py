"""write_diff: the layer between a lower stack and a changed full tree, applied on the lower view,
gives back the changed tree exactly; unchanged entries stay out of the layer."""

import io
import os
import shutil
import tarfile

import pytest

from kubelite.runtime.layers import LowerView, unpack_layer, write_diff

pytestmark = pytest.mark.unit


def tree(root) -> dict:
    """Everything that must survive: type, mode, content or link target."""
    out = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(base, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir", st.st_mode & 0o7777)
            else:
                with open(path, "rb") as fh:
                    out[rel] = ("file", st.st_mode & 0o7777, fh.read())
    return out


def write(root, rel: str, data: bytes = b"x", mode: int = 0o644) -> None:
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)


def test_diff_round_trip(tmp_path) -> None:
    bottom, top = tmp_path / "bottom", tmp_path / "top"
    for f in ("etc/passwd", "etc/group", "usr/lib/a.so", "usr/lib/b.so", "var/cache/x/1", "var/cache/x/2",
              "keep/same"):
        write(bottom, f, f.encode())
    os.symlink("/etc/passwd", bottom / "pw")
    write(top, "etc/hostname", b"box")              # the top layer adds a file
    os.chmod(bottom / "usr", 0o700)
    lowers = [str(top), str(bottom)]
    merged = tmp_path / "merged"
    shutil.copytree(bottom, merged, symlinks=True)
    shutil.copytree(top, merged, symlinks=True, dirs_exist_ok=True)
    assert LowerView(lowers).lookup("etc/hostname") is not None
    assert sorted(LowerView(lowers).walk())[:3] == ["etc", "etc/group", "etc/hostname"]

    new = tmp_path / "new"
    shutil.copytree(merged, new, symlinks=True)
    os.unlink(new / "etc/group")                     # deleted file
    shutil.rmtree(new / "var/cache")                 # deleted subtree: one whiteout at its top
    write(new, "etc/passwd", b"root:x:0:0::/root:/bin/sh\n")  # changed content (and size)
    os.chmod(new / "usr/lib/a.so", 0o755)            # changed mode only
    write(new, "opt/app/run", b"#!/bin/sh\n", 0o755)  # new file in a new dir
    os.unlink(new / "pw")
    os.symlink("/etc/group", new / "pw")             # changed link target
    buf = io.BytesIO()
    info = write_diff(lowers, str(new), buf)
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue()), mode="r:gz") as tf:
        names = set(tf.getnames())
    assert {"etc/.wh.group", "var/.wh.cache", "etc/passwd", "usr/lib/a.so", "opt/app/run", "pw"} <= names
    assert "keep/same" not in names and "usr/lib/b.so" not in names and "var/cache/x/.wh.1" not in names
    assert "usr" in names  # parents travel with their own metadata (0700 kept)

    applied = tmp_path / "applied"
    shutil.copytree(merged, applied, symlinks=True)
    result = unpack_layer(io.BytesIO(buf.getvalue()), str(applied), whiteouts="apply", same_owner=False)
    assert result.diff_id == info.diff_id
    assert tree(applied) == tree(new)


def test_no_change_is_an_empty_layer(tmp_path) -> None:
    write(tmp_path / "l", "a/b", b"1")
    shutil.copytree(tmp_path / "l", tmp_path / "n", symlinks=True)
    buf = io.BytesIO()
    write_diff([str(tmp_path / "l")], str(tmp_path / "n"), buf, compress=False)
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tf:
        assert tf.getnames() == []

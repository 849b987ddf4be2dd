"""Layer unpack refuses every path-traversal trick, applies whiteouts, and round-trips with write_layer."""

import gzip
import hashlib
import io
import os

import pytest

from kubelite.runtime.layers import LayerFormatError, UnsafeLayerError, unpack_layer, write_layer
from tests.unit.runtime_images.tarbuild import make_tar

pytestmark = pytest.mark.unit


def unpack(data: bytes, dest, whiteouts: str = "apply", threads: bool = False):
    return unpack_layer(io.BytesIO(data), str(dest), whiteouts=whiteouts, same_owner=False, threads=threads)


def test_unpack_digests_and_files(tmp_path, threads: bool = False) -> None:
    data = make_tar([("dir", "etc"), ("file", "etc/hostname", b"box\n"), ("symlink", "bin/sh", "/bin/busybox"),
                     ("hardlink", "etc/hn", "etc/hostname"), ("fifo", "run/p")])
    res = unpack(data, tmp_path / "r", threads=threads)
    assert res.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert res.diff_id == "sha256:" + hashlib.sha256(gzip.decompress(data)).hexdigest()
    assert res.compressed_size == len(data)
    assert (tmp_path / "r/etc/hostname").read_bytes() == b"box\n"
    assert os.readlink(tmp_path / "r/bin/sh") == "/bin/busybox"
    assert os.stat(tmp_path / "r/etc/hn").st_ino == os.stat(tmp_path / "r/etc/hostname").st_ino
    assert int(os.stat(tmp_path / "r/etc/hostname").st_mtime) == 1_700_000_000


def test_plain_tar_has_equal_digests(tmp_path) -> None:
    res = unpack(make_tar([("file", "a", b"1")], compress=False), tmp_path / "r")
    assert res.digest == res.diff_id


@pytest.mark.parametrize(("entries", "needle"), [
    ([("file", "../evil", b"x")], "'..'"),
    ([("file", "a/../../evil", b"x")], "'..'"),
    ([("file", "/etc/evil", b"x")], "absolute"),
    ([("symlink", "link", "../../.."), ("file", "x", b"")], "points outside the root"),
    ([("symlink", "a/b/up", "../../../etc")], "points outside the root"),
    ([("symlink", "esc", "/"), ("file", "esc/passwd", b"pwned")], "through the symlink"),
    ([("symlink", "d", "/tmp"), ("dir", "d/sub")], "through the symlink"),
    ([("hardlink", "h", "/etc/passwd")], "absolute path"),
    ([("hardlink", "h", "../outside")], "'..'"),
    ([("hardlink", "h", "missing")], "target not in the layer"),
    ([("symlink", "s", "/etc"), ("hardlink", "h", "s/passwd")], "is not a directory in the layer"),
    ([("chr", "dev/null")], "device node"),
    ([("file", "a/.wh..")], "malformed whiteout"),
    ([("file", "a/.wh...")], "'..'"),
])
def test_traversal_and_devices_are_refused(tmp_path, entries, needle: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(UnsafeLayerError, match=needle) as info:
        unpack(make_tar(entries), tmp_path / "root")
    assert "\n" not in str(info.value)
    assert list(outside.iterdir()) == []


def test_symlink_replaced_parent_is_not_followed(tmp_path) -> None:
    # A directory replaced by a symlink later in the same layer must not be written through.
    target = tmp_path / "target"
    target.mkdir()
    entries = [("dir", "a"), ("file", "a/x", b"1"), ("symlink", "a", str(target)), ("file", "a/y", b"2")]
    with pytest.raises(UnsafeLayerError, match="through the symlink"):
        unpack(make_tar(entries), tmp_path / "root")
    assert not (target / "y").exists()


def test_apply_mode_whiteouts(tmp_path) -> None:
    root = tmp_path / "root"
    unpack(make_tar([("file", "keep", b"k"), ("file", "gone", b"g"), ("dir", "d"), ("file", "d/old", b"o")]), root)
    unpack(make_tar([("file", ".wh.gone"), ("file", "d/.wh..wh..opq"), ("file", "d/new", b"n")]), root)
    assert sorted(os.listdir(root)) == ["d", "keep"]
    assert os.listdir(root / "d") == ["new"]


@pytest.mark.parametrize("data", [b"", b"not a tar at all" * 100, gzip.compress(b"x" * 10000)[:50],
                                  b"\x1f\x8b\x08\x00garbage-after-gzip-magic"])
def test_malformed_layers_are_refused(tmp_path, data: bytes) -> None:
    with pytest.raises(LayerFormatError):
        unpack(data, tmp_path / "r")


def test_truncated_gzip_is_refused(tmp_path, threads: bool = False) -> None:
    data = make_tar([("file", "big", os.urandom(200_000))])
    with pytest.raises(LayerFormatError, match="truncated"):
        unpack(data[: len(data) // 2], tmp_path / "r", threads=threads)
    with pytest.raises(LayerFormatError, match="gzip"):
        unpack(b"\x1f\x8b\x08\x00garbage-after-gzip-magic" * 10, tmp_path / "g", threads=threads)


def test_write_layer_round_trip_is_reproducible(tmp_path) -> None:
    src = tmp_path / "src"
    (src / "a/b").mkdir(parents=True)
    (src / "a/b/f").write_bytes(b"hello")
    os.symlink("b/f", src / "a/l")
    os.link(src / "a/b/f", src / "hard")
    out1, out2 = io.BytesIO(), io.BytesIO()
    info = write_layer(str(src), out1, mtime=0, owner=(0, 0))
    write_layer(str(src), out2, mtime=0, owner=(0, 0))
    assert out1.getvalue() == out2.getvalue()
    assert info.digest == "sha256:" + hashlib.sha256(out1.getvalue()).hexdigest()
    res = unpack(out1.getvalue(), tmp_path / "dst")
    assert res.diff_id == info.diff_id
    assert (tmp_path / "dst/a/b/f").read_bytes() == b"hello"
    assert os.readlink(tmp_path / "dst/a/l") == "b/f"
    assert os.stat(tmp_path / "dst/hard").st_ino == os.stat(tmp_path / "dst/a/b/f").st_ino

"""hostPath volumes: the ``type`` check and the ``...OrCreate`` kinds, with the kubelet's messages."""

import socket
from pathlib import Path

import pytest

from kubelite.kubelet.volumes import VolumeError, ensure_sub_paths, prepare_volumes

pytestmark = pytest.mark.unit


def _prepare(root: Path, path: Path, kind: str) -> dict[str, str]:
    pod = {"metadata": {"uid": "u", "namespace": "ns"},
           "spec": {"volumes": [{"name": "h", "hostPath": {"path": str(path), "type": kind}}]}}
    return prepare_volumes(str(root / "kubelet"), pod, lambda _k, _ns, _n: None)


def test_or_create_kinds_create_what_is_missing(tmp_path: Path) -> None:
    assert _prepare(tmp_path, tmp_path / "d" / "e", "DirectoryOrCreate") == {"h": str(tmp_path / "d" / "e")}
    assert (tmp_path / "d" / "e").is_dir()
    _prepare(tmp_path, tmp_path / "f" / "x.log", "FileOrCreate")
    assert (tmp_path / "f" / "x.log").is_file()
    _prepare(tmp_path, tmp_path / "nothing-here", "")  # no type: nothing checked


@pytest.mark.parametrize(("kind", "make", "message"), [
    ("Directory", None, "is not a directory"),
    ("Directory", "file", "is not a directory"),
    ("File", "dir", "is not a file"),
    ("FileOrCreate", "dir", "is not a file"),
    ("DirectoryOrCreate", "file", "is not a directory"),
    ("Socket", "file", "is not a socket file"),
    ("CharDevice", "file", "is not a character device"),
    ("BlockDevice", None, "is not a block device"),
])
def test_type_mismatch_is_the_kubelets_message(tmp_path: Path, kind: str, make: str | None, message: str) -> None:
    path = tmp_path / "p"
    if make == "file":
        path.write_text("x")
    elif make == "dir":
        path.mkdir()
    with pytest.raises(VolumeError) as err:
        _prepare(tmp_path, path, kind)
    assert str(err.value) == f"hostPath type check failed: {path} {message}"


def test_matching_kinds_pass(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("x")
    _prepare(tmp_path, tmp_path / "d", "Directory")
    _prepare(tmp_path, tmp_path / "f", "File")
    _prepare(tmp_path, Path("/dev/null"), "CharDevice")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s"))
        _prepare(tmp_path, tmp_path / "s", "Socket")


def test_sub_paths_are_made_inside_the_volume_and_never_outside(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "file").write_text("x")
    container = {"volumeMounts": [{"name": "v", "mountPath": "/a", "subPath": "part/deep"},
                                  {"name": "v", "mountPath": "/b", "subPath": "file"},
                                  {"name": "v", "mountPath": "/c"}]}
    ensure_sub_paths({"v": str(vol)}, container)
    assert (vol / "part" / "deep").is_dir() and (vol / "file").read_text() == "x"
    (vol / "escape").symlink_to(tmp_path)
    with pytest.raises(VolumeError, match='subPath "escape/x" of volume "v" resolves outside the volume'):
        ensure_sub_paths({"v": str(vol)}, {"volumeMounts": [{"name": "v", "subPath": "escape/x"}]})
    assert not (tmp_path / "x").exists()

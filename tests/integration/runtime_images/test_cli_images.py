"""The image verbs in-process over a temp engine root: Docker's output, one-line errors, a store that
stays consistent after every refused input."""

import gzip
import json
import os

import pytest

from kubelite.cli.main import main
from tests.unit.runtime_images.tarbuild import docker_archive, image_config, make_tar, oci_layout, tar_of

pytestmark = pytest.mark.integration


@pytest.fixture
def root(tmp_path) -> str:
    return str(tmp_path / "engine")


def kl(root: str, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--root", root, *args])
    out, err = capsys.readouterr()
    return code, out, err


def state(root: str) -> dict:
    """Everything a refused input must leave untouched."""
    def ls(*parts: str) -> list[str]:
        path = os.path.join(root, *parts)
        return sorted(os.listdir(path)) if os.path.isdir(path) else []
    index = os.path.join(root, "images", "index.json")
    return {"index": open(index).read() if os.path.exists(index) else "",
            "blobs": ls("content", "blobs", "sha256"), "layers": ls("snapshots", "layers"), "tmp": ls("tmp")}


def test_bootstrap_images_tag_rmi(root, capsys) -> None:
    code, out, _ = kl(root, capsys, "image", "bootstrap", "busybox")
    assert code == 0
    image_id = out.split()[-1]
    assert image_id.startswith("sha256:")
    code, out, _ = kl(root, capsys, "image", "bootstrap", "busybox")  # reproducible
    assert out.split()[-1] == image_id
    code, out, _ = kl(root, capsys, "images")
    lines = out.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert lines[1].split()[:3] == ["busybox", "latest", image_id[7:19]]
    assert kl(root, capsys, "tag", "busybox", "localhost:5000/tools/bb:1")[0] == 0
    code, out, _ = kl(root, capsys, "images", "-q")
    assert out.split() == [image_id[7:19]]
    code, out, _ = kl(root, capsys, "images", "localhost:5000/tools/bb")
    assert len(out.splitlines()) == 2 and "localhost:5000/tools/bb" in out
    code, out, _ = kl(root, capsys, "image", "inspect", "localhost:5000/tools/bb:1")
    assert json.loads(out)[0]["Id"] == image_id
    assert sorted(json.loads(out)[0]["RepoTags"]) == ["busybox:latest", "localhost:5000/tools/bb:1"]
    code, _, err = kl(root, capsys, "rmi", image_id[7:19])
    assert code == 1 and "must be forced" in err and err.count("\n") == 1
    code, out, _ = kl(root, capsys, "rmi", "localhost:5000/tools/bb:1", "busybox")
    assert code == 0
    assert out.splitlines() == ["Untagged: localhost:5000/tools/bb:1", "Untagged: busybox:latest",
                                f"Deleted: {image_id}"]
    assert state(root)["blobs"] == [] and state(root)["layers"] == []


@pytest.mark.parametrize(("args", "needle"), [
    (("rmi", "nope"), "No such image: nope:latest"),
    (("tag", "nope", "x"), "No such image"),
    (("tag", "busybox", "Bad:Name"), "must be lowercase"),
    (("image", "inspect", "nope"), "No such image: nope"),
    (("load", "-i", "/nonexistent.tar"), "no such file"),
    (("import", "/nonexistent.tar", "x"), "no such file"),
    (("save", "-o", "/tmp/x.tar", "nope"), "No such image"),
    (("image", "bootstrap", "alpine"), "unknown base image"),
    (("import", "--change", "RUN x", "/dev/null", "x"), "not a config instruction"),
])
def test_bad_input_is_one_line(root, capsys, args, needle) -> None:
    kl(root, capsys, "image", "bootstrap", "busybox")
    before = state(root)
    code, _, err = kl(root, capsys, *args)
    assert code != 0
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert state(root) == before


def test_save_load_round_trip_and_dedup(root, capsys, tmp_path) -> None:
    _, out, _ = kl(root, capsys, "image", "bootstrap", "busybox")
    image_id = out.split()[-1]
    archive = str(tmp_path / "bb.tar")
    assert kl(root, capsys, "save", "-o", archive, "busybox")[0] == 0
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]
    # A second store loads it with the same id, tag and diff ids.
    other = str(tmp_path / "other")
    code, out, _ = kl(other, capsys, "load", "-i", archive)
    assert (code, out) == (0, "Loaded image: busybox:latest\n")
    _, out, _ = kl(other, capsys, "image", "inspect", "busybox")
    assert json.loads(out)[0]["Id"] == image_id
    # Loading into the store that has it changes nothing but the tag; gzip archives load too.
    before = state(root)
    with open(archive, "rb") as fh, open(archive + ".gz", "wb") as out_fh:
        out_fh.write(gzip.compress(fh.read(), 1))
    assert kl(root, capsys, "load", "-i", archive + ".gz")[0] == 0
    assert state(root)["blobs"] == before["blobs"] and state(root)["layers"] == before["layers"]


def test_load_oci_layout_with_docker_media_types(root, capsys, tmp_path) -> None:
    layer = make_tar([("file", "hello.txt", b"hi\n")])
    for name, docker in (("oci", False), ("dock", True)):
        layout = tmp_path / name
        for path, data in oci_layout([layer], name=f"localhost/{name}:v1", docker_types=docker).items():
            (layout / path).parent.mkdir(parents=True, exist_ok=True)
            (layout / path).write_bytes(data)
        code, out, err = kl(root, capsys, "load", "-i", str(layout))
        assert (code, err) == (0, "")
        assert out == f"Loaded image: localhost/{name}:v1\n"
    # A bare tag as ref.name (what skopeo writes) names no repository: loaded by id.
    files = oci_layout([make_tar([("file", "other", b"o")])], name="latest")
    (tmp_path / "bare.tar").write_bytes(tar_of(files))
    code, out, _ = kl(root, capsys, "load", "-i", str(tmp_path / "bare.tar"))
    assert code == 0 and out.startswith("Loaded image ID: sha256:")


def test_malformed_archives_are_refused_cleanly(root, capsys, tmp_path) -> None:
    kl(root, capsys, "image", "bootstrap", "busybox")
    good = make_tar([("file", "f", b"data")])
    evil = make_tar([("symlink", "x", "../../../../etc")])
    cases = {
        "garbage": (b"this is not a tar" * 100, "not a valid image archive"),
        "empty-tar": (tar_of({"README": b"x"}), "no manifest.json"),
        "manifest-not-list": (tar_of({"manifest.json": b"{}"}), "non-empty list"),
        "bad-json": (tar_of({"manifest.json": b"[{"}), "not valid JSON"),
        "missing-layer": (docker_archive([good], ["a:1"], manifest=[{"Config": "c.json", "Layers": []}]),
                          "no file 'c.json'"),
        "count-mismatch": (docker_archive([good], ["a:1"], config=image_config([good, good])),
                           "1 layers but 2 diff ids"),
        "diff-mismatch": (docker_archive([good], ["a:1"], config=image_config([good], ["sha256:" + "0" * 64])),
                          "does not match the image config"),
        "evil-layer": (docker_archive([good, evil], ["a:1"]), "points outside the root"),
        "bad-tag": (docker_archive([good], ["Not Valid"]), "invalid reference format"),
        "truncated": (docker_archive([good], ["a:1"])[:700], ""),
        "member-escape": (docker_archive([good], ["a:1"], manifest=[{"Config": "../../etc/passwd", "Layers": []}]),
                          "refers outside itself"),
    }
    before = state(root)
    for name, (data, needle) in cases.items():
        path = tmp_path / f"{name}.tar"
        path.write_bytes(data)
        code, _out, err = kl(root, capsys, "load", "-i", str(path))
        assert code == 1, name
        assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, (name, err)
        after = state(root)
        assert after["index"] == before["index"] and after["tmp"] == [], name
    # Refused loads may leave verified blobs and layers of other images, never a registered image;
    # prune collects them.
    kl(root, capsys, "image", "prune")
    assert state(root) == before


def test_import_rootfs_with_changes(root, capsys, tmp_path) -> None:
    rootfs = tmp_path / "rootfs.tar"
    rootfs.write_bytes(make_tar([("dir", "etc"), ("file", "etc/os-release", b"ID=test\n")], compress=False))
    code, out, _ = kl(root, capsys, "import", "-c", "ENV A=1", "-c", 'CMD ["/bin/true"]', str(rootfs), "imp:1")
    assert code == 0
    image_id = out.strip()
    _, out, _ = kl(root, capsys, "image", "inspect", "imp:1")
    info = json.loads(out)[0]
    assert info["Id"] == image_id and info["Config"] == {"Env": ["A=1"], "Cmd": ["/bin/true"]}
    import hashlib

    assert info["RootFS"]["Layers"] == ["sha256:" + hashlib.sha256(rootfs.read_bytes()).hexdigest()]
    evil = tmp_path / "evil.tar"
    evil.write_bytes(make_tar([("file", "../../escape", b"x")]))
    before = state(root)
    code, _, err = kl(root, capsys, "import", str(evil), "evil:1")
    assert code == 1 and "refusing" in err and "'..'" in err
    assert state(root) == before


def test_images_filters(root, capsys, tmp_path) -> None:
    kl(root, capsys, "image", "bootstrap", "busybox")
    kl(root, capsys, "tag", "busybox", "localhost:5000/tools/bb:1")
    rootfs = tmp_path / "r.tar"
    rootfs.write_bytes(make_tar([("file", "x", b"1")], compress=False))
    _, out, _ = kl(root, capsys, "import", str(rootfs))  # no name: dangling
    dangling_id = out.strip()[7:19]
    _, out, _ = kl(root, capsys, "images", "-f", "dangling=true", "-q")
    assert out.split() == [dangling_id]
    _, out, _ = kl(root, capsys, "images", "-f", "reference=localhost:5000/*")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["localhost:5000/tools/bb"]
    _, out, _ = kl(root, capsys, "images", "--filter", "reference=busy*:latest", "-f", "dangling=false")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["busybox"]
    code, _, err = kl(root, capsys, "images", "-f", "label=x")
    assert code == 1 and "supported are dangling" in err

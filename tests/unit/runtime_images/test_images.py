"""The image store: names, ids and digests resolve; tags move; removal counts references."""

import hashlib
import os

import pytest

from kubelite.oci.descriptor import Descriptor
from kubelite.oci.errors import InvalidReferenceError
from kubelite.runtime.images import Image, ImageConflictError, ImageNotFoundError, ImageStore, InvalidImageError
from kubelite.runtime.layers import write_layer
from kubelite.runtime.snapshots import Mounts, Snapshotter

pytestmark = pytest.mark.unit


class RecordingMounts:
    """A recording fake of the mount seam."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def mount_overlay(self, target: str, options: str, cwd: str | None = None) -> None:
        self.calls.append(("mount", target, options, cwd or ""))

    def unmount(self, target: str) -> None:
        self.calls.append(("unmount", target))


def make_layer(store: ImageStore, tmp_path, files: dict[str, bytes]) -> tuple[Descriptor, str]:
    src = tmp_path / f"src-{len(os.listdir(tmp_path))}"
    src.mkdir()
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    with store.content.writer() as w:
        info = write_layer(str(src), w, mtime=0, owner=(0, 0))
        blob = w.commit()
    return Descriptor(info.media_type, blob.digest, blob.size), info.diff_id


def make_image(store: ImageStore, tmp_path, names, files, base: Image | None = None) -> Image:
    desc, diff = make_layer(store, tmp_path, files)
    return store.create([desc], [diff], names=names, base=base, container_config={"Cmd": ["sh"]},
                        created="2024-01-01T00:00:00Z")


def test_resolve_by_name_id_prefix_and_digest(tmp_path) -> None:
    store = ImageStore(str(tmp_path / "root"))
    img = make_image(store, tmp_path, ["busybox"], {"bin/x": b"x"})
    assert img.repo_tags == ["busybox:latest"]
    assert img.names == ["docker.io/library/busybox:latest"]
    assert img.config == {"Cmd": ["sh"]}
    for ref in ("busybox", "busybox:latest", "docker.io/library/busybox", img.id, img.digest,
                img.id[7:], img.id[7:19], f"busybox@{img.digest}"):
        assert store.resolve(ref).digest == img.digest, ref
    with pytest.raises(ImageNotFoundError, match="No such image: busybox:nope"):
        store.resolve("busybox:nope")
    with pytest.raises(InvalidReferenceError, match="lowercase"):
        store.resolve("BusyBox")
    assert img.size == img.manifest.config.size + img.layers[0].size
    assert store.resolve("busybox").inspect()["RootFS"]["Layers"] == img.diff_ids


def test_tag_and_remove_by_name_then_id(tmp_path) -> None:
    store = ImageStore(str(tmp_path / "root"))
    img = make_image(store, tmp_path, ["app:1"], {"f": b"1"})
    store.tag("app:1", "localhost:5000/app:2")
    assert store.resolve("localhost:5000/app:2").id == img.id
    with pytest.raises(InvalidReferenceError, match="digest"):
        store.tag("app:1", f"app@{img.digest}")
    with pytest.raises(ImageConflictError, match="must be forced"):
        store.remove(img.id)
    assert store.remove("app:1") == ["Untagged: app:1"]
    assert store.content.has(img.digest)
    assert store.remove("localhost:5000/app:2") == ["Untagged: localhost:5000/app:2", f"Deleted: {img.id}"]
    assert store.list() == []
    assert list(store.content.walk()) == []


def test_shared_base_layers_survive_removal(tmp_path) -> None:
    store = ImageStore(str(tmp_path / "root"))
    snaps = Snapshotter(store.root, kernel=RecordingMounts())
    base = make_image(store, tmp_path, ["base"], {"base": b"b"})
    child = make_image(store, tmp_path, ["child"], {"child": b"c"}, base=base)
    assert child.layers[0] == base.layers[0] and len(child.layers) == 2
    snaps.ensure_layers(child)
    assert sorted(snaps.layer_chains()) == sorted(child.chain_ids)
    store.remove("child")
    assert store.content.has(base.layers[0].digest)
    assert not store.content.has(child.layers[1].digest)
    assert list(snaps.layer_chains()) == base.chain_ids
    store.remove("base")
    assert list(snaps.layer_chains()) == [] and list(store.content.walk()) == []


def test_images_in_use_are_kept(tmp_path) -> None:
    store = ImageStore(str(tmp_path / "root"))
    kernel = RecordingMounts()
    snaps = Snapshotter(store.root, kernel=kernel)
    img = make_image(store, tmp_path, ["busybox"], {"bin/sh": b"#!"})
    mounts = snaps.prepare("c1", img)
    assert isinstance(mounts, Mounts)
    assert mounts.lowerdirs == (os.path.join(snaps.layer_path(img.chain_ids[0]), "fs"),)
    assert os.path.isfile(os.path.join(mounts.lowerdirs[0], "bin/sh"))
    snaps.mount(mounts, "/mnt/x")
    assert kernel.calls == [("mount", "/mnt/x", mounts.options(), "")]
    with pytest.raises(FileExistsError):
        snaps.prepare("c1", img)
    with pytest.raises(ImageConflictError, match="container c1 is using"):
        store.remove("busybox")
    assert store.prune(all_unused=True) == []
    assert store.remove("busybox", force=True) == ["Untagged: busybox:latest"]
    assert store.resolve(img.id).repo_tags == []  # dangling, still there for the container
    assert snaps.has_layer(img.chain_ids[0])
    snaps.remove("c1")
    assert store.prune() == [f"deleted: {img.id}"]
    assert list(store.content.walk()) == [] and list(snaps.layer_chains()) == []


def test_add_refuses_incomplete_images(tmp_path) -> None:
    store = ImageStore(str(tmp_path / "root"))
    img = make_image(store, tmp_path, ["x"], {"f": b"1"})
    store.remove("x")
    with pytest.raises(InvalidImageError, match="cannot add image"):
        store.add(img.digest, ["x"])
    assert store.list() == []


def test_long_layer_stacks_mount_with_relative_paths(tmp_path) -> None:
    store = ImageStore(str(tmp_path / "root"))
    kernel = RecordingMounts()
    snaps = Snapshotter(store.root, kernel=kernel)
    names = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(60)]
    lowers = tuple(os.path.join(snaps.layers_dir, name, "fs") for name in names)
    snaps.mount(Mounts(lowers, "/u", "/w"), "/t")
    _, _target, options, cwd = kernel.calls[0]
    assert cwd == snaps.base and len(options) < 4000 and options.startswith(f"lowerdir=l/{names[0][:16]}:")
    assert os.readlink(os.path.join(snaps.base, "l", names[1][:16])) == f"../layers/{names[1]}/fs"


def test_commit_diff_adopts_an_unmounted_upper(tmp_path) -> None:
    store = ImageStore(str(tmp_path / "root"))
    snaps = Snapshotter(store.root, kernel=RecordingMounts())
    base = make_image(store, tmp_path, ["base"], {"etc/os": b"base"})
    mounts = snaps.prepare("step1", base)
    with open(os.path.join(mounts.upperdir, "built"), "w") as fh:
        fh.write("yes")
    with store.ingest():
        layer = snaps.commit_diff("step1")
        child = store.create([layer.descriptor], [layer.diff_id], base=base, names=["child"])
    after = snaps.mounts("step1")
    assert os.listdir(after.upperdir) == []  # the changes moved into the new layer ...
    assert after.lowerdirs[0] == os.path.join(snaps.layer_path(child.chain_ids[-1]), "fs")
    with open(os.path.join(after.lowerdirs[0], "built")) as fh:
        assert fh.read() == "yes"  # ... and the view is the same
    snaps.remove("step1")
    assert snaps.has_layer(child.chain_ids[-1])  # and the child image needs no unpack
    with store.content.open(layer.descriptor.digest) as fh:
        from kubelite.runtime.layers import unpack_layer

        assert unpack_layer(fh, str(tmp_path / "check"), same_owner=False).diff_id == layer.diff_id
    assert (tmp_path / "check" / "built").read_text() == "yes"


def test_a_hostile_layer_fails_prepare_with_one_line(tmp_path) -> None:
    """As a registry pull would store it: registered without unpacking, refused when first used."""
    import gzip

    from kubelite.runtime.snapshots import BadLayerError
    from tests.unit.runtime_images.tarbuild import make_tar

    store = ImageStore(str(tmp_path / "root"))
    snaps = Snapshotter(store.root, kernel=RecordingMounts())
    evil = make_tar([("file", "../../evil", b"x")])
    blob = store.content.write(evil)
    diff = "sha256:" + hashlib.sha256(gzip.decompress(evil)).hexdigest()
    image = store.create([Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", blob.digest, blob.size)],
                         [diff], names=["evil:1"])
    with pytest.raises(BadLayerError, match=r"layer sha256:[0-9a-f]{64}: refusing path with '\.\.'") as info:
        snaps.prepare("c1", image)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
    assert snaps.active() == [] and list(snaps.layer_chains()) == []
    assert os.listdir(store.content.tmp_dir) == []

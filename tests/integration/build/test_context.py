"""The context walk, content hashing with the stat cache, and COPY onto a directory, on real files."""

from __future__ import annotations

import os
import time

import pytest

from kubelite.build.context import StatCache, hash_sources, resolve_sources
from kubelite.build.copier import copy_sources
from kubelite.build.dockerignore import Matcher
from kubelite.build.errors import BuildError, ContextError
from kubelite.build.planner import CopySpec

pytestmark = pytest.mark.integration


def write(base: str, files: dict[str, str], age: float = 10.0) -> None:
    """Files whose mtime is ``age`` seconds in the past (out of the racy window)."""
    past = time.time() - age
    for rel, content in files.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(content)
        os.utime(path, (past, past))


def test_walk_applies_dockerignore_and_sorts(tmp_path: str) -> None:
    base = str(tmp_path)
    write(base, {"a/x.txt": "x", "a/b/y.log": "y", "a/b/keep.log": "k", "a/node_modules/m.js": "m"})
    matcher = Matcher(["**/*.log", "!a/b/keep.log", "a/node_modules"])
    [source] = resolve_sources(base, ["a"], matcher)
    assert [e.rel for e in source.entries] == ["", "b", "b/keep.log", "x.txt"]
    assert source.is_dir


def test_wildcards_and_missing_sources(tmp_path: str) -> None:
    base = str(tmp_path)
    write(base, {"one.txt": "1", "two.txt": "2", "three.md": "3"})
    names = [s.name for s in resolve_sources(base, ["*.txt"], Matcher([]))]
    assert names == ["one.txt", "two.txt"]
    with pytest.raises(ContextError, match="nothing matches"):
        resolve_sources(base, ["*.none"], Matcher([]))
    with pytest.raises(ContextError, match="missing: not found in the build context"):
        resolve_sources(base, ["missing"], Matcher([]))
    with pytest.raises(ContextError, match=r"excluded by \.dockerignore"):
        resolve_sources(base, ["one.txt"], Matcher(["one.txt"]))


def test_escapes_are_refused_but_inner_links_are_copied_as_links(tmp_path: str) -> None:
    ctx = os.path.join(str(tmp_path), "ctx")
    write(str(tmp_path), {"outside": "secret", "ctx/d/f": "f"})
    os.symlink("/etc/passwd", os.path.join(ctx, "abs"))
    os.symlink("../outside", os.path.join(ctx, "up"))
    os.symlink("d", os.path.join(ctx, "inner"))
    os.symlink("/etc", os.path.join(ctx, "d", "etc"))
    for bad in ("../outside", "abs", "up", "d/../../outside"):
        with pytest.raises(ContextError, match="forbidden path outside the build context"):
            resolve_sources(ctx, [bad], Matcher([]))
    # An absolute source is relative to the context, and ".." stops at its top (Docker's path.Clean).
    with pytest.raises(ContextError, match="not found in the build context"):
        resolve_sources(ctx, ["/../outside"], Matcher([]))
    [via_link] = resolve_sources(ctx, ["inner"], Matcher([]))   # a link inside the context: followed
    assert [e.rel for e in via_link.entries] == ["", "etc", "f"]
    assert via_link.entries[1].kind == "l" and via_link.entries[1].link == "/etc"


def test_content_hash_ignores_mtime_and_sees_content_mode_and_names(tmp_path: str) -> None:
    base = str(tmp_path)
    write(base, {"d/a": "one", "d/b": "two"})
    cache = StatCache(os.path.join(base, "stat.json"), clock=lambda: time.time_ns() + 1_000_000_000)

    def digest() -> str:
        return hash_sources(resolve_sources(base, ["d"], Matcher([])), cache)[0]

    first = digest()
    os.utime(os.path.join(base, "d/a"), (1, 1))
    assert digest() == first
    os.chmod(os.path.join(base, "d/a"), 0o600)
    chmodded = digest()
    assert chmodded != first
    write(base, {"d/a": "ONE"})
    assert digest() not in (first, chmodded)
    os.rename(os.path.join(base, "d/b"), os.path.join(base, "d/c"))
    assert len({first, chmodded, digest()}) == 3


def test_stat_cache_skips_rereading_unchanged_files_but_not_racy_ones(tmp_path: str) -> None:
    base = str(tmp_path)
    write(base, {"old": "old content"})
    path = os.path.join(base, "old")
    cache_file = os.path.join(base, "cache.json")
    def later() -> int:  # the files were all just written (ctime is now): look from a second later
        return time.time_ns() + 1_000_000_000

    cache = StatCache(cache_file, clock=later)
    real = cache.digest(path)
    cache.save()
    # Prove the second lookup does not read the file: plant a different digest for the same stat.
    reloaded = StatCache(cache_file, clock=later)
    reloaded.entries[path][5] = "sha256:planted"
    assert reloaded.digest(path) == "sha256:planted"
    # Any stat change (here ctime, by chmod) makes it read the file again.
    os.chmod(path, 0o640)
    assert reloaded.digest(path) == real
    # A file written just now is hashed but not remembered (a same-tick rewrite could hide).
    write(base, {"fresh": "x"}, age=0)
    now = StatCache(cache_file)
    now.digest(os.path.join(base, "fresh"))
    assert os.path.join(base, "fresh") not in now.entries


def spec(dest: str, *, dest_is_dir: bool = False, add: bool = False, chmod: int | None = None) -> CopySpec:
    return CopySpec(("x",), dest, dest_is_dir, None, chmod, None, None, add)


def test_copy_destination_rules(tmp_path: str) -> None:
    ctx = os.path.join(str(tmp_path), "ctx")
    rootfs = os.path.join(str(tmp_path), "rootfs")
    write(ctx, {"f.txt": "file", "dir/a": "a", "dir/sub/b": "b"})
    os.makedirs(os.path.join(rootfs, "existing"))
    os.makedirs(os.path.join(rootfs, "usr/lib"))
    os.symlink("usr/lib", os.path.join(rootfs, "lib"))          # the image's own symlink
    m = Matcher([])
    copy_sources(rootfs, resolve_sources(ctx, ["f.txt"], m), spec("/new/name.txt"), None)
    copy_sources(rootfs, resolve_sources(ctx, ["f.txt"], m), spec("/existing"), None)
    copy_sources(rootfs, resolve_sources(ctx, ["f.txt"], m), spec("/todir", dest_is_dir=True), None)
    copy_sources(rootfs, resolve_sources(ctx, ["dir"], m), spec("/tree", chmod=0o700), (1000, 1000))
    copy_sources(rootfs, resolve_sources(ctx, ["f.txt"], m), spec("/lib/", dest_is_dir=True), None)
    with open(os.path.join(rootfs, "new/name.txt")) as fh:
        assert fh.read() == "file"
    assert os.path.isfile(os.path.join(rootfs, "existing/f.txt"))
    assert os.path.isfile(os.path.join(rootfs, "todir/f.txt"))
    assert sorted(os.listdir(os.path.join(rootfs, "tree"))) == ["a", "sub"]   # contents, not the dir
    st = os.stat(os.path.join(rootfs, "tree/sub/b"))
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (1000, 1000, 0o700)
    assert os.path.isfile(os.path.join(rootfs, "usr/lib/f.txt"))              # through the image's link
    with pytest.raises(BuildError, match="more than one source"):
        copy_sources(rootfs, resolve_sources(ctx, ["f.txt", "dir"], m), spec("/one"), None)

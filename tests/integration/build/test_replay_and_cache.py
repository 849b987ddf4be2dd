"""The whole-build memo and the cache index on real files."""

from __future__ import annotations

import json
import os
import time

import pytest

from kubelite.build import replay
from kubelite.build.cache import BuildCache, CacheRecord, LayerRef
from kubelite.build.racy import stat_key

pytestmark = pytest.mark.integration

INDEX = {"images": {"sha256:base": {}, "sha256:ours": {}, "sha256:other": {}},
         "refs": {"docker.io/library/busybox:latest": "sha256:base", "docker.io/library/t:1": "sha256:ours"}}


def aged(path: str, content: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(content)
    past = time.time() - 10
    os.utime(path, (past, past))


@pytest.fixture
def setup(tmp_path: str) -> tuple[str, replay.Request, str]:
    root = os.path.join(str(tmp_path), "root")
    ctx = os.path.join(str(tmp_path), "ctx")
    aged(os.path.join(ctx, "Dockerfile"), "FROM busybox\nCOPY f /f\n")
    aged(os.path.join(ctx, "f"), "1")
    aged(os.path.join(root, replay.INDEX), json.dumps(INDEX))
    os.utime(ctx, (time.time() - 10, time.time() - 10))
    request = replay.Request(ctx, os.path.join(ctx, "Dockerfile"), ["t:1"], {}, None)
    return root, request, ctx


def remember(root: str, request: replay.Request, ctx: str, *, later_ns: int = 1_000_000_000) -> bool:
    """Record a memo as if the build had started ``later_ns`` after the files were written (the
    files here were all just created, so their ctime is now)."""
    when = time.time_ns() + later_ns
    return replay.record(root, request, files=[os.path.join(ctx, "f")],
                         resolved={os.path.join(ctx, "f"): os.path.join(ctx, "f")},
                         index_key=stat_key(os.path.join(root, replay.INDEX)),
                         lines=["Step 1/2 : FROM busybox"], image_id="sha256:abc",
                         started_ns=when, now_ns=when,
                         names={"docker.io/library/busybox:latest": "sha256:base", "docker.io/library/t:1":
                                "sha256:ours"}, manifests=["sha256:base", "sha256:ours"])


def test_memo_replays_an_unchanged_build(setup: tuple[str, replay.Request, str]) -> None:
    root, request, ctx = setup
    assert replay.replay(root, request) is None
    assert remember(root, request, ctx)
    assert replay.replay(root, request) == (["Step 1/2 : FROM busybox"], "sha256:abc")
    other = replay.Request(ctx, request.dockerfile, ["t:1"], {"A": "1"}, None)
    assert replay.replay(root, other) is None


@pytest.mark.parametrize("change", ["file", "replaced-by-link", "dockerfile", "dockerignore", "base-retagged",
                                    "our-tag-moved", "manifest-removed"])
def test_memo_is_dropped_by_any_change(setup: tuple[str, replay.Request, str], change: str) -> None:
    root, request, ctx = setup
    assert remember(root, request, ctx)
    if change == "file":
        aged(os.path.join(ctx, "f"), "2")
    elif change == "replaced-by-link":
        aged(os.path.join(ctx, "g"), "1")                 # same content, but f now resolves elsewhere
        os.rename(os.path.join(ctx, "f"), os.path.join(ctx, "f.old"))
        os.symlink("g", os.path.join(ctx, "f"))
    elif change == "dockerfile":
        aged(os.path.join(ctx, "Dockerfile"), "FROM busybox\nCOPY f /g\n")
    elif change == "dockerignore":
        aged(os.path.join(ctx, ".dockerignore"), "x\n")
    else:
        index = json.loads(json.dumps(INDEX))
        if change == "base-retagged":
            index["refs"]["docker.io/library/busybox:latest"] = "sha256:other"
        elif change == "our-tag-moved":
            del index["refs"]["docker.io/library/t:1"]
        else:
            del index["images"]["sha256:ours"]
        aged(os.path.join(root, replay.INDEX), json.dumps(index))
    assert replay.replay(root, request) is None


def test_memo_sees_a_repointed_symlink_on_the_way(setup: tuple[str, replay.Request, str]) -> None:
    root, request, ctx = setup
    aged(os.path.join(ctx, "a", "f"), "same")
    aged(os.path.join(ctx, "b", "f"), "same")
    os.symlink("a", os.path.join(ctx, "sub"))
    when = time.time_ns() + 1_000_000_000
    assert replay.record(root, request, files=[os.path.join(ctx, "a", "f")],
                         resolved={os.path.join(ctx, "sub", "f"): os.path.join(ctx, "a", "f")},
                         index_key=stat_key(os.path.join(root, replay.INDEX)), lines=[], image_id="sha256:x",
                         started_ns=when, now_ns=when)
    assert replay.replay(root, request) is not None
    os.unlink(os.path.join(ctx, "sub"))
    os.symlink("b", os.path.join(ctx, "sub"))             # a/f untouched, but COPY sub/f now means b/f
    assert replay.replay(root, request) is None


def test_memo_survives_unrelated_context_files(setup: tuple[str, replay.Request, str]) -> None:
    root, request, ctx = setup
    assert remember(root, request, ctx)
    aged(os.path.join(ctx, "notes.txt"), "an editor saving a file the build does not copy")
    assert replay.replay(root, request) is not None


def test_memo_survives_unrelated_image_changes(setup: tuple[str, replay.Request, str]) -> None:
    root, request, ctx = setup
    assert remember(root, request, ctx)
    index = json.loads(json.dumps(INDEX))
    index["refs"]["docker.io/library/another:1"] = "sha256:other"   # another build, another tag
    aged(os.path.join(root, replay.INDEX), json.dumps(index))
    assert replay.replay(root, request) == (["Step 1/2 : FROM busybox"], "sha256:abc")


def test_memo_not_written_for_racy_files(setup: tuple[str, replay.Request, str]) -> None:
    root, request, ctx = setup
    with open(os.path.join(ctx, "f"), "w") as fh:
        fh.write("just now")
    assert not remember(root, request, ctx, later_ns=0)
    assert replay.replay(root, request) is None


def test_cache_index_round_trip_and_missing_blob_is_a_miss(tmp_path: str) -> None:
    blobs = os.path.join(str(tmp_path), "blobs")
    os.makedirs(blobs)
    cache = BuildCache(str(tmp_path), lambda digest: os.path.join(blobs, digest.replace(":", "_")))
    layer = LayerRef("sha256:" + "a" * 64, 10, "application/vnd.oci.image.layer.v1.tar+gzip",
                     "sha256:" + "b" * 64)
    cache.put("k1", CacheRecord("2024-01-01T00:00:00Z", "sha256:r1", None))
    cache.put("k2", CacheRecord("2024-01-01T00:00:00Z", "sha256:r2", layer))
    assert cache.get("k1") == CacheRecord("2024-01-01T00:00:00Z", "sha256:r1", None)
    assert cache.get("k2") is None                       # its blob is gone
    with open(os.path.join(blobs, "sha256_" + "a" * 64), "wb") as fh:
        fh.write(b"0123456789")
    assert cache.get("k2") == CacheRecord("2024-01-01T00:00:00Z", "sha256:r2", layer)
    assert cache.get("nope") is None

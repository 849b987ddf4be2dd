"""The content store verifies, dedups and writes atomically; engine locks exclude and re-enter."""

import hashlib
import io
import os
import threading

import pytest

from kubelite.runtime.content import BlobNotFoundError, ContentStore, DigestMismatchError
from kubelite.runtime.lock import EngineLock, LockTimeoutError

pytestmark = pytest.mark.unit


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_write_read_dedup(tmp_path) -> None:
    store = ContentStore(str(tmp_path))
    info = store.write(b"hello")
    assert info.digest == digest(b"hello") and info.size == 5
    assert store.read_bytes(info.digest) == b"hello"
    assert store.write(io.BytesIO(b"hello"), expected_digest=info.digest) == info
    assert store.write([b"hel", b"lo"]).digest == info.digest
    assert [b.digest for b in store.walk()] == [info.digest]
    assert os.listdir(store.tmp_dir) == []
    assert store.delete(info.digest) and not store.has(info.digest)
    with pytest.raises(BlobNotFoundError, match="not found"):
        store.open(info.digest)


def test_mismatch_leaves_nothing(tmp_path) -> None:
    store = ContentStore(str(tmp_path))
    with pytest.raises(DigestMismatchError, match="expected"):
        store.write(b"evil", expected_digest=digest(b"good"))
    with pytest.raises(DigestMismatchError, match="size"):
        store.write(b"abc", expected_size=4)
    assert list(store.walk()) == [] and os.listdir(store.tmp_dir) == []


def test_corrupt_blob_detected_on_read(tmp_path) -> None:
    store = ContentStore(str(tmp_path))
    info = store.write(b"data")
    path = store.path(info.digest)
    os.chmod(path, 0o644)
    with open(path, "wb") as fh:
        fh.write(b"DATA")
    with pytest.raises(DigestMismatchError, match="corrupt"):
        store.read_bytes(info.digest)


def test_stale_tmp_of_dead_writer_is_cleaned(tmp_path) -> None:
    store = ContentStore(str(tmp_path))
    stale = os.path.join(store.tmp_dir, "ingest-999999999-abcdef")
    mine = store.tmp_name("ingest")
    for p in (stale, mine):
        open(p, "w").close()
    assert store.cleanup_tmp() == 1
    assert os.listdir(store.tmp_dir) == [os.path.basename(mine)]


def test_lock_reentrant_and_timeout(tmp_path) -> None:
    root = str(tmp_path)
    with EngineLock(root, "images"), EngineLock(root, "images"):
        pass
    with EngineLock(root, "content", shared=True), EngineLock(root, "content", shared=True), \
            pytest.raises(RuntimeError, match="exclusive"):
        EngineLock(root, "content").acquire()
    # Another open file description (as another process would have) is excluded.
    import fcntl

    fd = os.open(os.path.join(root, "locks", "images.lock"), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(LockTimeoutError, match="another kubelite command"):
            EngineLock(root, "images", timeout=0.05).acquire()
        released = threading.Event()

        def waiter() -> None:
            with EngineLock(root, "images"):
                released.set()

        t = threading.Thread(target=waiter)
        t.start()
        assert not released.wait(0.05)
        fcntl.flock(fd, fcntl.LOCK_UN)
        assert released.wait(5)
        t.join()
    finally:
        os.close(fd)
    with pytest.raises(ValueError):
        EngineLock(root, "../x")


def test_threads_of_one_process_exclude_each_other(tmp_path) -> None:
    root = str(tmp_path)
    inside = threading.Event()
    release = threading.Event()
    second_in = threading.Event()

    def first() -> None:
        with EngineLock(root, "containers"):
            inside.set()
            release.wait(10)

    def second() -> None:
        with EngineLock(root, "containers"):
            second_in.set()

    t1 = threading.Thread(target=first)
    t1.start()
    assert inside.wait(5)
    t2 = threading.Thread(target=second)
    t2.start()
    assert not second_in.wait(0.1)  # blocked by the other thread's flock
    release.set()
    assert second_in.wait(5)
    t1.join()
    t2.join()

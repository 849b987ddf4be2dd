"""Reliability: a full disk fails writes cleanly (UnavailableError, nothing half-written, no revision
skipped) and the store carries on once space is back. Uses a small tmpfs, so it needs root."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelite.storage.interface import UnavailableError
from kubelite.storage.sqlite import SQLiteConfig, SQLiteStorage

pytestmark = pytest.mark.e2e


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


async def test_full_disk_fails_writes_cleanly_and_recovers(small_disk: Path) -> None:
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (1024 * 1024))
    store = SQLiteStorage(SQLiteConfig(str(small_disk / "state.db")))
    await store.start()
    acked: list[str] = []
    try:
        error = None
        for i in range(200):
            try:
                await store.create(f"/big/{i:04}", b"v" * 100_000)
                acked.append(f"/big/{i:04}")
            except UnavailableError as e:
                error = e
                break
        assert error is not None, "the 4 MiB disk never filled"
        assert "full" in str(error)
        rev = await store.current_revision()
        assert rev == len(acked)

        filler.unlink()  # space is back
        kv = await store.create("/big/after", b"small")
        assert kv.mod_revision == rev + 1  # the failed batch left no hole in the revisions
        listed = await store.list("/big/")
        assert [x.key for x in listed.items] == sorted([*acked, "/big/after"])
    finally:
        await store.close()

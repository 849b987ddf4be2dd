"""One writing process per database: an exclusive ``flock`` on ``<db>.lock`` held while open.

SQLite would let a second process open the file and interleave its own revisions, breaking the
gap-free revision counter and the in-process watch feed, so a second opener gets a clear error
naming the holder's pid instead. The kernel drops the lock when the holder dies, even by SIGKILL.
"""

from __future__ import annotations

import fcntl
import os

from kubelite.storage.interface import StorageError


class DatabaseLockedError(StorageError):
    """Another process has this database open as its writer."""


class WriterLock:
    def __init__(self, db_path: str) -> None:
        self.path = db_path + ".lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DatabaseLockedError(
                f"database {self.path[:-5]} is already open by another process (pid {holder}); "
                "only one kubelite server may use a SQLite datastore at a time") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

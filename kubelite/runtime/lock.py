"""File locks so that two engine CLIs at once never corrupt state.

The engine is daemonless: every ``kubelite`` command is its own process, so state changes are guarded
by ``flock(2)`` on files under ``ROOT/locks/``. A lock is released by the kernel when its process dies,
so a CLI killed mid-command never leaves a stale lock behind.

Names in use by the image side:

- ``content``: shared by anyone writing blobs meant to be registered (load, import, pull, build
  commits) or unpacking/using layers (snapshot prepare); exclusive for deleting blobs and layers
  (``rmi``, ``image prune``), so garbage collection never removes a blob a writer is about to register.
- ``images``: exclusive around each read-modify-write of the image index (short).

Other areas pick their own names (e.g. ``containers``). Take several locks in alphabetical order of
name to avoid deadlocks. Within one thread a lock is re-entrant: a nested ``EngineLock`` on a name
that thread already holds shares the held flock (asking exclusive inside shared is a programming
error). Different threads open their own descriptors, and flocks on separate open files exclude each
other even within one process, so threads are serialised like processes.

Usage::

    with EngineLock(root, "images"):            # exclusive
        ...
    with EngineLock(root, "images", shared=True):
        ...
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from types import TracebackType

LOCK_DIR = "locks"


class LockTimeoutError(TimeoutError):
    """The lock was not granted within the timeout (another kubelite command holds it)."""


# (path, thread) -> [fd, shared, depth]: the flocks each thread holds, for re-entrance.
_HELD: dict[tuple[str, int], list[int | bool]] = {}


class EngineLock:
    """An flock on ``ROOT/locks/<name>.lock``; blocking, or with a timeout in seconds."""

    def __init__(self, root: str, name: str, *, shared: bool = False, timeout: float | None = None) -> None:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"bad lock name {name!r}")
        self.path = os.path.join(root, LOCK_DIR, f"{name}.lock")
        self.shared = shared
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        held = _HELD.get(self._key())
        if held is not None:
            if held[1] and not self.shared:
                raise RuntimeError(f"{self.path}: exclusive lock asked while this process holds it shared")
            held[2] = int(held[2]) + 1
            self._fd = int(held[0])
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        op = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        try:
            if self.timeout is None:
                fcntl.flock(fd, op)
            else:
                self._acquire_polling(fd, op)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD[self._key()] = [fd, self.shared, 1]

    def _acquire_polling(self, fd: int, op: int) -> None:
        # flock has no timeout of its own; poll non-blocking with a short, growing interval.
        deadline = time.monotonic() + (self.timeout or 0.0)
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, op | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(
                        f"timed out waiting for the {os.path.basename(self.path)} lock "
                        "(another kubelite command is running)") from None
                time.sleep(delay)  # waiting on another process's flock: there is no event to wait on
                delay = min(delay * 2, 0.1)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        held = _HELD.get(self._key())
        if held is not None and int(held[2]) > 1:
            held[2] = int(held[2]) - 1
            return
        _HELD.pop(self._key(), None)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def _key(self) -> tuple[str, int]:
        return self.path, threading.get_ident()

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> EngineLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

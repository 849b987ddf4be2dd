"""The local end of an interactive session: stdin as an async byte stream, raw mode for ``-t``, and
the terminal's size on SIGWINCH.

Why ``add_reader`` rather than a thread: a thread blocked in ``read`` on a terminal cannot be stopped,
and ``asyncio.run`` waits for it at exit, so the command would hang until the next key press. A regular
file (``< file``) cannot be polled; it never blocks either, so it is read directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import stat
import sys
import termios
import tty
from collections.abc import AsyncIterator, Iterator

CHUNK = 32 * 1024


async def read_stdin(fd: int | None = None) -> AsyncIterator[bytes]:
    """Chunks of standard input until end of file."""
    fd = sys.stdin.fileno() if fd is None else fd
    if stat.S_ISREG(os.fstat(fd).st_mode):
        while chunk := os.read(fd, CHUNK):
            yield chunk
        return
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    def readable() -> None:
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
        queue.put_nowait(data)

    loop.add_reader(fd, readable)
    try:
        while chunk := await queue.get():
            yield chunk
    finally:
        loop.remove_reader(fd)


def terminal_size(fd: int) -> tuple[int, int]:
    size = os.get_terminal_size(fd)
    return size.columns, size.lines


async def window_sizes(fd: int) -> AsyncIterator[tuple[int, int]]:
    """The terminal's size now, then again after each SIGWINCH."""
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()
    loop.add_signal_handler(signal.SIGWINCH, changed.set)
    try:
        while True:
            with contextlib.suppress(OSError):
                yield terminal_size(fd)
            await changed.wait()
            changed.clear()
    finally:
        loop.remove_signal_handler(signal.SIGWINCH)


@contextlib.contextmanager
def raw_mode(fd: int) -> Iterator[None]:
    """Keys go to the remote side as typed (Ctrl-C included); the terminal is restored on any exit."""
    saved = termios.tcgetattr(fd)
    tty.setraw(fd, termios.TCSANOW)  # TCSAFLUSH would drop keys typed before we started
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def is_terminal(fd: int) -> bool:
    return os.isatty(fd)

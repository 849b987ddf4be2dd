"""Attaching to a container through conmon's attach socket (the client side; I/O edge).

conmon listens on ``<bundle>/attach`` (SOCK_SEQPACKET). Each packet it sends is one byte naming the
stream (2 = stdout, 3 = stderr) followed by the data; what we send is written to the container's stdin
as is. Terminal size changes go to the ``ctl`` fifo as ``"1 <rows> <cols>\\n"``. The socket is closed by
conmon when the container's output ends, which is how a foreground ``run`` knows it is done.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import sys
from collections.abc import Callable, Iterator

STDOUT_PIPE = 2
STDERR_PIPE = 3
PACKET = 8192 + 1


def connect(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def send_resize(ctl_path: str, rows: int, cols: int) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(ctl_path, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, f"1 {rows} {cols}\n".encode())
        finally:
            os.close(fd)


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """Put a terminal in raw mode for the attach session (a no-op when ``fd`` is not a tty)."""
    if not os.isatty(fd):
        yield
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def relay(
    sock: socket.socket,
    *,
    stdin_fd: int | None,
    out: Callable[[int, bytes], None] | None = None,
    detach_keys: bytes = b"\x10\x11",
) -> str:
    """Copy between our stdio and the socket until conmon closes it. Returns "exited" or "detached"."""
    if out is None:

        def out(stream: int, data: bytes) -> None:
            target = sys.stderr.buffer if stream == STDERR_PIPE else sys.stdout.buffer
            target.write(data)
            target.flush()

    watch: list[int] = [sock.fileno()] + ([stdin_fd] if stdin_fd is not None else [])
    recent = b""
    while True:
        ready, _, _ = select.select(watch, [], [])
        if sock.fileno() in ready:
            data = sock.recv(PACKET)
            if not data:
                return "exited"
            if len(data) > 1:
                out(data[0], data[1:])
        if stdin_fd is not None and stdin_fd in ready:
            chunk = os.read(stdin_fd, 4096)
            if not chunk:
                watch.remove(stdin_fd)
                # End of our input: close the container's stdin as docker does (half-close).
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
                stdin_fd = None
                continue
            recent = (recent + chunk)[-len(detach_keys) :]
            if recent == detach_keys:
                return "detached"
            sock.sendall(chunk)

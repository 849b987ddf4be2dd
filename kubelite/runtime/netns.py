"""Sockets that belong to another network namespace (a pod sandbox's), made without a helper process.

A socket lives in the network namespace its creator was in when it called ``socket()``, whatever happens
to the creator afterwards. Network namespaces are per thread on Linux, so the calling thread enters the
sandbox's namespace with ``setns(2)``, creates the socket, and goes back to its own namespace at once;
the socket keeps pointing into the sandbox, so ``connect(("127.0.0.1", port))`` reaches the pod's
loopback. This is how the port-forward of the runtime reaches a pod (Docker's and containerd's CRI
shims instead run ``socat`` under ``nsenter``; one process per connection is what we avoid).

Python 3.11 has no ``os.setns``, so libc's is called through ctypes. The switch happens on a short-lived
thread of its own, never on the caller's (a pool thread that failed to switch back would carry a pod's
namespace into unrelated work); that thread returns to its namespace before it ends anyway.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import socket
import threading
from collections.abc import Iterator

from kubelite.runtime.container_errors import NotFound, RuntimeFailure

CLONE_NEWNET = 0x40000000
_libc: ctypes.CDLL | None = None


def _setns(fd: int) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def _entered(netns_path: str) -> Iterator[None]:
    try:
        target = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotFound(f"network namespace {netns_path} does not exist") from None
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            _setns(target)
        except OSError as err:
            raise RuntimeFailure(f"cannot enter network namespace {netns_path}: {err.strerror}") from None
        try:
            yield
        finally:
            try:
                _setns(own)
            except OSError as err:  # pragma: no cover - would need a kernel refusing our own namespace
                raise RuntimeFailure(f"cannot return to the agent's network namespace: {err.strerror}") from None
    finally:
        os.close(target)
        os.close(own)


def socket_in(netns_path: str, family: int = socket.AF_INET, kind: int = socket.SOCK_STREAM) -> socket.socket:
    """A new socket in the network namespace at ``netns_path`` (``""``: this process's own)."""
    if not netns_path:
        return socket.socket(family, kind)
    made: list[socket.socket] = []
    failed: list[BaseException] = []

    def make() -> None:
        try:
            with _entered(netns_path):
                made.append(socket.socket(family, kind))
        except BaseException as err:  # handed to the caller's thread below
            failed.append(err)

    worker = threading.Thread(target=make, name="netns-socket", daemon=True)
    worker.start()
    worker.join()
    if failed:
        if made:
            made[0].close()
        raise failed[0]
    return made[0]


def connect_in(netns_path: str, port: int, *, timeout: float = 10.0) -> socket.socket:
    """A TCP connection to ``127.0.0.1:port`` inside the namespace, in blocking mode. Refused or timed
    out: RuntimeFailure with the reason (what port-forward reports to the user)."""
    sock = socket_in(netns_path)
    try:
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
    except OSError as err:
        sock.close()
        reason = err.strerror or str(err) or "timed out"
        raise RuntimeFailure(f"dial tcp4 127.0.0.1:{port}: connect: {reason.lower()}") from None
    sock.settimeout(None)
    return sock

"""runtime/netns.py on the real kernel: a socket made for a named network namespace lives there (a server
bound in it is reachable only from it), and the calling thread's own namespace never changes."""

from __future__ import annotations

import fcntl
import os
import secrets
import socket
import subprocess
from collections.abc import Iterator

import pytest

from kubelite.runtime.container_errors import NotFound, RuntimeFailure
from kubelite.runtime.netns import connect_in, socket_in

pytestmark = pytest.mark.e2e
SIOCGSKNS = 0x894C


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"kl-test-{secrets.token_hex(4)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield f"/run/netns/{name}"
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


def _own_netns() -> int:
    return os.stat("/proc/thread-self/ns/net").st_ino


def _socket_netns(sock: socket.socket) -> int:
    fd = fcntl.ioctl(sock.fileno(), SIOCGSKNS)
    try:
        return os.fstat(fd).st_ino
    finally:
        os.close(fd)


def test_a_socket_made_for_a_namespace_lives_there(netns: str) -> None:
    before = _own_netns()
    server = socket_in(netns)
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert _own_netns() == before
        client = connect_in(netns, port)  # the namespace's loopback reaches it
        accepted, _ = server.accept()
        client.sendall(b"inside")
        assert accepted.recv(16) == b"inside"
        for s in (client, accepted):
            s.close()
        # The kernel says which namespace each socket belongs to (SIOCGSKNS gives a descriptor of it).
        assert _socket_netns(server) == os.stat(netns).st_ino != before
        host = socket_in("")
        assert _socket_netns(host) == before
        host.close()
    finally:
        server.close()
    assert _own_netns() == before


def test_a_missing_namespace_is_not_found_and_a_closed_port_refused(netns: str) -> None:
    with pytest.raises(NotFound):
        socket_in("/run/netns/kl-no-such-namespace")
    with pytest.raises(RuntimeFailure, match="connection refused"):  # a fresh namespace: nothing listens
        connect_in(netns, 80)

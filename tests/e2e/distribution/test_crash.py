"""``kill -9`` in the middle of an upload: no partial blob is ever visible, and the upload resumes."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.distribution.conftest import RegistryProcess

pytestmark = pytest.mark.e2e


def _request(method: str, url: str, data: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers)


def _blob_files(root: Path) -> list[Path]:
    return [p for p in (root / "blobs").rglob("*") if p.is_file()]


def test_kill_9_mid_upload_leaves_no_partial_blob(registry: RegistryProcess) -> None:
    data = os.urandom(8 * 1024 * 1024)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    base = f"http://{registry.host}"
    status, headers = _request("POST", f"{base}/v2/crash/test/blobs/uploads/")
    assert status == 202
    location = headers["Location"]
    upload_dir = registry.root / "uploads" / headers["Docker-Upload-UUID"]

    # The final PUT with the whole body, cut off a quarter of the way by a kill -9 of the server.
    sock = socket.create_connection(("127.0.0.1", registry.port))
    try:
        sock.sendall((f"PUT {location}?digest={digest} HTTP/1.1\r\nHost: {registry.host}\r\n"
                      f"Content-Length: {len(data)}\r\nContent-Type: application/octet-stream\r\n\r\n").encode())
        sock.sendall(data[: len(data) // 4])
        deadline = time.monotonic() + 20
        while (upload_dir / "data").stat().st_size == 0:  # wait until the server is writing
            assert time.monotonic() < deadline, "the server never wrote the upload"
            time.sleep(0.01)
        assert registry.proc is not None
        os.kill(registry.proc.pid, signal.SIGKILL)
        registry.proc.wait(timeout=10)
        registry.proc = None
    finally:
        sock.close()

    assert _blob_files(registry.root) == []  # nothing half-written is visible
    registry.start()
    status, _ = _request("HEAD", f"{base}/v2/crash/test/blobs/{digest}")
    assert status == 404
    # The upload survived: resume from the Range the registry reports.
    status, headers = _request("GET", f"{base}{location}")
    assert status == 204
    received = int(headers["Range"].split("-")[1]) + 1
    assert 0 < received <= len(data) // 4
    status, _ = _request("PUT", f"{base}{location}?digest={digest}", data=data[received:],
                         headers={"Content-Type": "application/octet-stream",
                                  "Content-Range": f"{received}-{len(data) - 1}"})
    assert status == 201
    with urllib.request.urlopen(f"{base}/v2/crash/test/blobs/{digest}", timeout=30) as r:
        assert hashlib.sha256(r.read()).hexdigest() == digest.split(":")[1]
    assert [p.name for p in _blob_files(registry.root)] == [digest.split(":")[1]]

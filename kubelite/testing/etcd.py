"""A real etcd for tests: Debian's ``etcd`` binary (package ``etcd-server``) on free loopback ports.

``EtcdCluster(size=1)`` or ``size=3`` starts members in a temporary directory, waits on each
member's ``/health`` with a deadline, and on :meth:`stop` kills them and removes the directory. The
API is synchronous (``subprocess``) so that session-scoped pytest fixtures can use it without an event
loop; :meth:`kill` / :meth:`restart` drive failure tests.

Layout::

    <tmp>/etcd-XXXX/
        m0/data/          member data dir (wal/, snap/)
        m0/etcd.log       the member's stderr and stdout
        m1/ ...

Elections are tuned for one shared machine (heartbeat 50 ms, election 500 ms): a lost leader is
replaced in about a second, and leases as short as one second work (etcd's minimum lease TTL is
1.5 election timeouts).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType


@dataclass(frozen=True)
class TLSFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_tls(directory: Path) -> TLSFiles:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (PEM files)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        return path

    def write_cert(cert: x509.Certificate, path: Path) -> Path:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("kubelite-test-etcd-ca")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))

    def leaf(cn: str, usage: x509.ObjectIdentifier) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                    critical=False)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        return cert, key

    server, server_key = leaf("etcd", ExtendedKeyUsageOID.SERVER_AUTH)
    client, client_key = leaf("kubelite", ExtendedKeyUsageOID.CLIENT_AUTH)
    return TLSFiles(write_cert(ca, directory / "ca.pem"),
                    write_cert(server, directory / "server.pem"),
                    write_key(server_key, directory / "server-key.pem"),
                    write_cert(client, directory / "client.pem"),
                    write_key(client_key, directory / "client-key.pem"))


# The parent-death signal follows the thread that forked, not the process: members are spawned from
# one thread that lives as long as the process, so starting a cluster from a short-lived worker
# thread (``asyncio.to_thread``) cannot get it killed when that thread goes away.
_SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="etcd-spawner")


class EtcdError(RuntimeError):
    """etcd could not be started or did not become healthy."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Member:
    name: str
    client_port: int
    peer_port: int
    dir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def log_path(self) -> Path:
        return self.dir / "etcd.log"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class EtcdCluster:
    def __init__(self, size: int = 1, *, binary: str = "etcd", base_dir: str | None = None,
                 tls: bool = False) -> None:
        if size < 1:
            raise ValueError("an etcd cluster needs at least one member")
        self.binary = binary
        self.tls_enabled = tls
        self.tls: TLSFiles | None = None
        self.size = size
        self._base_dir = base_dir
        self.dir: Path | None = None
        self.members: list[Member] = []
        self._token = f"kubelite-test-{uuid.uuid4().hex[:8]}"

    @property
    def endpoints(self) -> list[str]:
        return [m.endpoint for m in self.members]

    @property
    def url(self) -> str:
        """The datastore URL for :func:`kubelite.storage.open_storage`."""
        if self.tls is not None:
            t = self.tls
            return (f"etcds://{','.join(self.endpoints)}"
                    f"?cacert={t.ca}&cert={t.client_cert}&key={t.client_key}")
        return "etcd://" + ",".join(self.endpoints)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Start every member and wait until all are healthy.

        Free ports are picked by binding port 0 and letting go, so a parallel test run can take one
        before etcd binds it: a start that fails on "address already in use" is retried with new
        ports, twice.
        """
        path = shutil.which(self.binary)
        if path is None:
            raise EtcdError(f"{self.binary!r} not found on PATH: install Debian's etcd-server package")
        self.binary = path
        for attempt in range(3):
            try:
                self._start_once(timeout)
                return
            except EtcdError as e:
                if "address already in use" not in str(e) or attempt == 2:
                    raise

    def _start_once(self, timeout: float) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="etcd-", dir=self._base_dir))
        if self.tls_enabled:
            self.tls = make_tls(self.dir)
        self.members = [
            Member(f"m{i}", free_port(), free_port(), self.dir / f"m{i}") for i in range(self.size)
        ]
        try:
            for m in self.members:
                m.dir.mkdir()
                self._spawn(m, state="new")
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, m: Member, *, state: str) -> None:
        cluster = ",".join(f"{x.name}={x.peer_url}" for x in self.members)
        client_url = f"{'https' if self.tls else 'http'}://{m.endpoint}"
        args = [
            self.binary,
            "--name",
            m.name,
            "--data-dir",
            str(m.dir / "data"),
            "--listen-client-urls",
            client_url,
            "--advertise-client-urls",
            client_url,
            "--listen-peer-urls",
            m.peer_url,
            "--initial-advertise-peer-urls",
            m.peer_url,
            "--initial-cluster",
            cluster,
            "--initial-cluster-state",
            state,
            "--initial-cluster-token",
            self._token,
            "--heartbeat-interval",
            "50",
            "--election-timeout",
            "500",
            "--logger",
            "zap",
            "--log-level",
            "warn",
        ]
        # setpriv (util-linux) makes the kernel SIGKILL etcd when the spawning thread's process dies,
        # so a killed test run leaves no etcd behind on a shared machine.
        setpriv = shutil.which("setpriv")
        if setpriv is not None:
            args = [setpriv, "--pdeathsig", "KILL", "--", *args]
        if self.tls is not None:
            args += ["--cert-file", str(self.tls.server_cert), "--key-file", str(self.tls.server_key),
                     "--trusted-ca-file", str(self.tls.ca), "--client-cert-auth"]
        with open(m.log_path, "ab") as log:
            m.proc = _SPAWNER.submit(
                subprocess.Popen, args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            ).result()

    def _open(self, m: Member, path: str, data: bytes | None = None) -> bytes:
        scheme = "https" if self.tls else "http"
        req = urllib.request.Request(f"{scheme}://{m.endpoint}{path}", data=data,
                                     headers={"Content-Type": "application/json"})
        context = None
        if self.tls is not None:
            context = ssl.create_default_context(cafile=str(self.tls.ca))
            context.load_cert_chain(str(self.tls.client_cert), str(self.tls.client_key))
        with urllib.request.urlopen(req, timeout=2, context=context) as r:
            return bytes(r.read())

    def member_healthy(self, m: Member) -> bool:
        try:
            return bool(json.loads(self._open(m, "/health")).get("health") == "true")
        except (OSError, ValueError, urllib.error.URLError):
            return False

    def wait_healthy(self, timeout: float = 30.0, members: list[Member] | None = None) -> None:
        """Wait until every (given, else running) member reports healthy, or raise with its log."""
        deadline = time.monotonic() + timeout
        for m in members or [x for x in self.members if x.proc is not None]:
            while not self.member_healthy(m):
                if m.proc is not None and m.proc.poll() is not None:
                    raise EtcdError(f"etcd member {m.name} exited with {m.proc.returncode}:\n{m.log_tail()}")
                if time.monotonic() > deadline:
                    raise EtcdError(f"etcd member {m.name} not healthy after {timeout:g}s:\n{m.log_tail()}")
                time.sleep(0.05)

    def leader_index(self) -> int | None:
        """Which running member is the raft leader now (from each member's status), if any."""
        for i, m in enumerate(self.members):
            if not m.alive():
                continue
            try:
                status = json.loads(self._open(m, "/v3/maintenance/status", b"{}"))
            except (OSError, ValueError, urllib.error.URLError):
                continue
            if status.get("leader") and status.get("leader") == status.get("header", {}).get("member_id"):
                return i
        return None

    def kill(self, index: int) -> None:
        """SIGKILL one member and wait for it to exit (so its ports are free for a restart)."""
        m = self.members[index]
        if m.proc is not None and m.proc.poll() is None:
            os.killpg(m.proc.pid, signal.SIGKILL)
            m.proc.wait(timeout=30)
        m.proc = None

    def restart(self, index: int, timeout: float = 30.0) -> None:
        """Start a killed member again from its data dir and wait for it to be healthy."""
        m = self.members[index]
        if m.alive():
            raise EtcdError(f"member {m.name} is still running")
        self._spawn(m, state="existing")
        self.wait_healthy(timeout, [m])

    def stop(self) -> None:
        for i in range(len(self.members)):
            try:
                self.kill(i)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> EtcdCluster:
        self.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

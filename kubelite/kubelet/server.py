"""The kubelet's HTTPS endpoint: container logs and exec for the API server to proxy (``kubectl logs``,
``kubectl exec`` without a terminal).

Routes (the real kubelet's paths and query parameters)::

    GET /healthz                                           "ok"
    GET /containerLogs/{namespace}/{pod}/{container}       ?follow, tailLines, timestamps, previous,
                                                           sinceSeconds, sinceTime, limitBytes
    GET|POST /exec/{namespace}/{pod}/{container}           ?command=..., stdin, stdout, stderr: a
                                                           WebSocket, channel protocol v4/v5 (streaming.py)

The container is found through the runtime by the pod's labels (its latest attempt, or the one before
with ``previous=true``), and its CRI-format log file is rendered as plain lines (``timestamps=true``
prefixes each with its RFC 3339 time). ``follow`` streams new lines until the container exits.

Serving: TLS with a self-signed certificate kept in ``<root>/kubelet/pki`` (the API server does not
verify it, as with ``--kubelet-certificate-authority`` unset). Authentication: a bearer token from the
configured set (the agent passes the token of its own kubeconfig, an admin credential the API server
also holds), or a TLS client certificate signed by the cluster CA when one is configured. Anything else
is 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hmac
import ipaddress
import logging
import os
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

from kubelite.kubelet.attach import attach_handler
from kubelite.kubelet.portforward import handle_port_forward
from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.kubelet.spdyexec import SPDY, handle_spdy_attach, handle_spdy_exec
from kubelite.kubelet.streaming import handle_exec
from kubelite.runtime.cri import CONTAINER_RUNNING, ContainerStatus
from kubelite.runtime.monitor import LogLine, join_partials, parse_cri_line, read_log, render
from kubelite.webio.upgrade import wants_upgrade

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FOLLOW_POLL = 0.2  # seconds between looks at a followed log file (no inotify here)


@dataclass(frozen=True)
class ServerConfig:
    root: str
    address: str = "0.0.0.0"  # the API server reaches the kubelet from another host
    port: int = 10250
    tokens: tuple[str, ...] = ()
    client_ca: bytes | None = None
    sans: tuple[str, ...] = field(default_factory=tuple)


def ensure_serving_cert(directory: str, sans: Iterable[str]) -> tuple[str, str]:
    """A self-signed serving certificate (created once); returns (cert path, key path)."""
    cert_path, key_path = os.path.join(directory, "kubelet.crt"), os.path.join(directory, "kubelet.key")
    if os.path.exists(cert_path) and os.path.exists(key_path):
        return cert_path, key_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for san in sans:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(san)))
        except ValueError:
            names.append(x509.DNSName(san))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubelite-kubelet")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(key, hashes.SHA256()))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    with open(key_path, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _cutoff(since_seconds: int | None, since_time: str | None) -> datetime.datetime | None:
    """The oldest log time to show: ``sinceSeconds`` ago, or ``sinceTime`` (RFC 3339)."""
    if since_seconds:
        return datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=since_seconds)
    if since_time:
        stamp = datetime.datetime.fromisoformat(since_time.replace("Z", "+00:00"))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.UTC)
    return None


def _since_filter(lines: list[LogLine], cutoff: datetime.datetime | None) -> list[LogLine]:
    if cutoff is None:
        return lines
    out = []
    for line in lines:
        try:
            stamp = datetime.datetime.fromisoformat(line.time.replace("Z", "+00:00"))
        except ValueError:
            out.append(line)
            continue
        if stamp >= cutoff:
            out.append(line)
    return out


class KubeletServer:
    def __init__(self, config: ServerConfig, *, calls: RuntimeCalls) -> None:
        self.config = config
        self.calls = calls
        self.ready = asyncio.Event()
        self.port = config.port
        self._attach_websocket = attach_handler(calls)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", self._logs)
        app.router.add_route("*", "/exec/{namespace}/{pod}/{container}", self._exec)
        for prefix in ("/portforward", "/portForward"):  # the API server's spelling and the real kubelet's
            app.router.add_route("*", prefix + "/{namespace}/{pod}", self._port_forward)
        app.router.add_route("*", "/attach/{namespace}/{pod}/{container}", self._attach)
        return app

    def _ssl(self) -> ssl.SSLContext:
        cert, key = ensure_serving_cert(os.path.join(self.config.root, "kubelet", "pki"), self.config.sans)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        if self.config.client_ca:
            ctx.load_verify_locations(cadata=self.config.client_ca.decode())
            ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/healthz":
            return await handler(request)
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        ok = bool(token) and any(hmac.compare_digest(token, t) for t in self.config.tokens)
        if not ok and self.config.client_ca and request.transport is not None:
            ok = bool(request.transport.get_extra_info("peercert"))
        if not ok:
            raise web.HTTPUnauthorized(text="Unauthorized")
        return await handler(request)

    async def _exec(self, request: web.Request) -> web.StreamResponse:
        if wants_upgrade(request, SPDY):  # kubectl <= 1.29, or a newer one when its WebSocket failed
            return await handle_spdy_exec(request, self.calls)
        return await handle_exec(request, self.calls)

    async def _attach(self, request: web.Request) -> web.StreamResponse:
        if wants_upgrade(request, SPDY):
            return await handle_spdy_attach(request, self.calls)
        return await self._attach_websocket(request)

    async def _port_forward(self, request: web.Request) -> web.StreamResponse:
        return await handle_port_forward(request, self.calls)

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _find(self, namespace: str, pod: str, container: str, previous: bool) -> ContainerStatus:
        rt = self.calls.runtime
        sandboxes = await self.calls.call(rt.list_pod_sandboxes, {"io.kubernetes.pod.namespace": namespace,
                                                                  "io.kubernetes.pod.name": pod})
        if not sandboxes:
            raise web.HTTPNotFound(text=f'pod "{pod}" not found on this node')
        found: list[ContainerStatus] = []
        for sb in sandboxes:
            found += [c for c in await self.calls.call(rt.list_containers, sb.id, None) if c.name == container]
        found.sort(key=lambda c: int(c.labels.get("io.kubelite.attempt", "0") or 0), reverse=True)
        index = 1 if previous else 0
        if len(found) <= index:
            what = "previous terminated container" if previous else "container"
            raise web.HTTPBadRequest(text=f'{what} "{container}" in pod "{pod}" not found')
        return found[index]

    async def _logs(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        truthy = ("true", "1")
        follow, timestamps = q.get("follow") in truthy, q.get("timestamps") in truthy
        try:
            tail = int(q["tailLines"]) if "tailLines" in q else None
            since = int(q["sinceSeconds"]) if "sinceSeconds" in q else None
            limit = int(q["limitBytes"]) if "limitBytes" in q else None
        except ValueError:
            raise web.HTTPBadRequest(text="tailLines, sinceSeconds and limitBytes must be integers") from None
        try:
            cutoff = _cutoff(since, q.get("sinceTime"))
        except ValueError:
            raise web.HTTPBadRequest(text="sinceTime must be an RFC 3339 time") from None
        m = request.match_info
        ctr = await self._find(m["namespace"], m["pod"], m["container"], q.get("previous") in truthy)
        lines, offset = await asyncio.to_thread(read_log, ctr.log_path, tail=None)
        lines = _since_filter(lines, cutoff)
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await resp.prepare(request)
        sent = 0
        for chunk in (render(line, timestamps=timestamps) for line in lines):
            if limit is not None and sent + len(chunk) > limit:
                await resp.write(chunk[: limit - sent])
                return resp
            await resp.write(chunk)
            sent += len(chunk)
        if follow and ctr.state == CONTAINER_RUNNING:
            await self._follow(request, resp, ctr, offset, timestamps)
        with contextlib.suppress(ConnectionError):  # a follow also ends when its client went away
            await resp.write_eof()
        return resp

    async def _follow(self, request: web.Request, resp: web.StreamResponse, ctr: ContainerStatus, offset: int,
                      timestamps: bool) -> None:
        """Stream what the container appends until it stops running, or until the client (the API server
        relaying an abandoned ``kubectl logs -f``) has gone: a quiet log writes nothing that would fail."""
        done = False
        while request.transport is not None and not request.transport.is_closing():
            data = await asyncio.to_thread(_read_from, ctr.log_path, offset)
            end = data.rfind(b"\n") + 1
            if end:
                parsed = [p for p in (parse_cri_line(r) for r in data[:end].split(b"\n") if r) if p is not None]
                for line in join_partials(parsed):
                    await resp.write(render(line, timestamps=timestamps))
                offset += end
                continue
            if done:
                return
            status = await self.calls.call(self.calls.runtime.container_status, ctr.id)
            done = status.state != CONTAINER_RUNNING  # one last read catches what it wrote before exiting
            if not done:
                await asyncio.sleep(FOLLOW_POLL)

    async def run(self) -> None:
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.config.address, self.config.port, ssl_context=self._ssl())
        try:
            await site.start()
            server = site._server
            if server is not None and self.config.port == 0:
                sockets = getattr(server, "sockets", None) or []
                self.port = sockets[0].getsockname()[1]
            self.ready.set()
            log.info("kubelet serving", extra={"port": self.port})
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


def _read_from(path: str, offset: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read()
    except FileNotFoundError:
        return b""

"""The async REST transport: one aiohttp session per :class:`Client`, JSON via orjson, errors mapped
from ``Status`` (:mod:`kubelite.client.errors`), transient failures retried where that is safe.

Retry rules (what "safe" means, said explicitly):

- 429 TooManyRequests, or any 5xx carrying ``Retry-After``: the server declined the request without
  acting on it, so every verb is retried after the delay it asked for.
- The connection could not be established (refused, DNS): nothing was sent; every verb is retried.
- 503/504 without ``Retry-After``, or a connection that broke mid-request: the request may have been
  applied, so only reads (GET) are retried; writes raise and the caller (a reconciler) requeues.
- Everything else (4xx, 500, TLS verification failures) is permanent for this call and raised at once.

Delays come from the injected :class:`~kubelite.base.clock.Clock` (no bare ``asyncio.sleep``).

Usage::

    async with Client.from_kubeconfig(path) as c:
        pods = c.resource("v1", "pods")
        page = await pods.list(namespace="default", label_selector="app=x")
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from kubelite import __version__
from kubelite.base.backoff import Backoff
from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import (
    ApiError,
    ServerError,
    TooManyRequestsError,
    TransportError,
    UnauthorizedError,
    from_status,
)
from kubelite.client.kubeconfig import ClientConfig, default_client_config, load_kubeconfig

if TYPE_CHECKING:
    from kubelite.client.resource import ResourceClient

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Params = Mapping[str, str | int | bool | None]
SAFE_METHODS = frozenset({"GET", "HEAD"})
TOKEN_REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a request is tried in total, and the backoff between tries (when the server did
    not say how long to wait)."""

    attempts: int = 5
    initial: float = 0.1
    maximum: float = 5.0


def encode_params(params: Params | None) -> dict[str, str]:
    """Query parameters as Kubernetes expects them: booleans as ``true``/``false``, None dropped."""
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def decode_body(data: bytes) -> Any:
    """JSON when it parses, the text otherwise (some error pages are not JSON)."""
    if not data:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode("utf-8", "replace")


def ssl_context(config: ClientConfig) -> ssl.SSLContext | None:
    """The TLS context for ``config``: its CA (or the system's), client certificate, or no checks when
    ``insecure-skip-tls-verify`` is set. None for plain HTTP."""
    if not config.uses_tls:
        return None
    ctx = ssl.create_default_context(cadata=config.ca_data.decode() if config.ca_data else None)
    if config.insecure_skip_tls_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if config.client_cert_data and config.client_key_data:
        # ssl can only load a key pair from files: write them into a private directory just long enough.
        with tempfile.TemporaryDirectory(prefix="kubelite-client-") as tmp:
            cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(config.client_key_data)
            cert.write_bytes(config.client_cert_data)
            ctx.load_cert_chain(cert, key)
    return ctx


def is_retryable(method: str, err: Exception) -> bool:
    """The module docstring's retry rules."""
    if isinstance(err, TooManyRequestsError):
        return True
    if isinstance(err, ServerError):
        if err.retry_after is not None:
            return True
        return err.retryable and method in SAFE_METHODS
    if isinstance(err, TransportError):
        return not err.sent or method in SAFE_METHODS
    return False


class Client:
    """An API server connection: config in, nothing started until ``async with`` (or :meth:`open`)."""

    def __init__(self, config: ClientConfig, *, clock: Clock | None = None, retry: RetryPolicy | None = None,
                 user_agent: str = f"kubelite/{__version__}", timeout: float = 60.0,
                 max_concurrent_requests: int = 32) -> None:
        self.config = config
        self.clock: Clock = clock or RealClock()
        self.retry = retry or RetryPolicy()
        self.user_agent = user_agent
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | bool = True
        # HTTP/1.1 has no multiplexing: without a bound, a burst of 500 creates opens 500 TLS connections
        # (a handshake each). Bounding ordinary requests lets them queue for kept-alive connections;
        # streams (watch, log) hold a connection for minutes and are not counted, so they never starve.
        self._request_slots = asyncio.Semaphore(max_concurrent_requests)
        self._token = config.token
        self._token_read_at = self.clock.monotonic()

    @classmethod
    def from_kubeconfig(cls, path: str | Path, *, context: str | None = None, **kwargs: Any) -> Client:
        """A client for ``context`` (default: current-context) of the kubeconfig at ``path``."""
        return cls(load_kubeconfig(path).resolve(context), **kwargs)

    @classmethod
    def from_environment(cls, *, context: str | None = None, **kwargs: Any) -> Client:
        """A client found as kubectl finds one: ``$KUBECONFIG``, ``~/.kube/config``, then in-cluster."""
        return cls(default_client_config(os.environ, context=context), **kwargs)

    @property
    def namespace(self) -> str:
        """The default namespace of the kubeconfig context."""
        return self.config.namespace

    # ---------------------------------------------------------------------------------- lifecycle

    async def open(self) -> None:
        if self._session is not None:
            return
        ctx = ssl_context(self.config)
        self._ssl = ctx if ctx is not None else True
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        auth = None
        if self.config.username is not None and not self.config.token:
            auth = aiohttp.BasicAuth(self.config.username, self.config.password or "")
        self._session = aiohttp.ClientSession(
            base_url=None, headers=headers, auth=auth,
            connector=aiohttp.TCPConnector(limit=0, ssl=self._ssl),
            json_serialize=lambda o: orjson.dumps(o).decode(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Client:
        await self.open()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the client is not open: use `async with client` or `await client.open()`")
        return self._session

    def resource(self, api_version: str, plural: str, *, namespaced: bool | None = None) -> ResourceClient:
        """A handle for one resource, e.g. ``resource("apps/v1", "deployments")``."""
        from kubelite.client.resource import ResourceClient

        return ResourceClient(self, api_version, plural, namespaced=namespaced)

    # ----------------------------------------------------------------------------------- requests

    def _url(self, path: str) -> str:
        return f"{self.config.server}{path}"

    def _bearer(self, *, force: bool = False) -> str | None:
        """The bearer token, re-read from ``token_file`` once a minute (or at once after a 401), as
        client-go does for rotated ServiceAccount tokens."""
        path = self.config.token_file
        now = self.clock.monotonic()
        if path and (force or now - self._token_read_at > TOKEN_REFRESH_SECONDS):
            self._token_read_at = now
            try:
                self._token = Path(path).read_text().strip() or self._token
            except OSError as err:
                log.warning("token file unreadable; keeping the previous token",
                            extra={"path": path, "error": err.strerror})
        return self._token

    def _request_kwargs(self, headers: dict[str, str] | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        token = self._bearer()
        if token:
            headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
        if headers:
            kwargs["headers"] = headers
        if self.config.tls_server_name:
            kwargs["server_hostname"] = self.config.tls_server_name
        return kwargs

    async def request(self, method: str, path: str, *, params: Params | None = None, body: Any = None,
                      content_type: str = "application/json", request_timeout: float | None = None) -> Any:
        """One API call with the retry rules above; returns the decoded JSON answer."""
        data: bytes | None
        if body is None:
            data = None
        elif isinstance(body, bytes | bytearray):
            data = bytes(body)
        else:
            data = orjson.dumps(body)
        headers = {"Content-Type": content_type} if data is not None else None
        backoff = Backoff(initial=self.retry.initial, maximum=self.retry.maximum, jitter=0.2)
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            try:
                return await self._once(method, path, params=encode_params(params), data=data, headers=headers,
                                        request_timeout=request_timeout)
            except (ApiError, TransportError) as err:
                if isinstance(err, UnauthorizedError) and self.config.token_file and not refreshed:
                    refreshed = True  # the token may have been rotated since we last read it: once more
                    self._bearer(force=True)
                    continue
                if attempt >= self.retry.attempts or not is_retryable(method, err):
                    raise
                delay = err.retry_after if isinstance(err, ApiError) and err.retry_after else None
                delay = delay if delay is not None else backoff.next_delay()
                log.debug("retrying request", extra={"method": method, "path": path, "attempt": attempt,
                                                     "error": type(err).__name__, "delay": round(delay, 3)})
                await self.clock.sleep(delay)

    async def _once(self, method: str, path: str, *, params: dict[str, str], data: bytes | None,
                    headers: dict[str, str] | None, request_timeout: float | None) -> Any:
        try:
            async with self._request_slots, self.session.request(
                method, self._url(path), params=params, data=data,
                timeout=aiohttp.ClientTimeout(total=request_timeout or self.timeout),
                **self._request_kwargs(headers),
            ) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    raise from_status(resp.status, decode_body(raw), retry_after=resp.headers.get("Retry-After"))
                return decode_body(raw)
        except (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError):
            raise
        except aiohttp.ClientConnectorError as err:
            raise TransportError(f"{method} {path}: cannot connect: {err}", sent=False) from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise TransportError(f"{method} {path}: {type(err).__name__}: {err}", sent=True) from err

    @contextlib.asynccontextmanager
    async def stream(self, method: str, path: str, *, params: Params | None = None,
                     read_timeout: float | None = None) -> AsyncIterator[aiohttp.ClientResponse]:
        """Open a long-lived response (watch, log follow). Errors are mapped as for :meth:`request`, but
        nothing is retried: the caller's resume logic decides."""
        try:
            resp = await self.session.request(
                method, self._url(path), params=encode_params(params),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=read_timeout),
                **self._request_kwargs(None),
            )
        except (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError):
            raise
        except aiohttp.ClientConnectorError as err:
            raise TransportError(f"{method} {path}: cannot connect: {err}", sent=False) from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise TransportError(f"{method} {path}: {type(err).__name__}: {err}", sent=True) from err
        try:
            if resp.status >= 400:
                raw = await resp.read()
                raise from_status(resp.status, decode_body(raw), retry_after=resp.headers.get("Retry-After"))
            yield resp
        finally:
            resp.close()


async def iter_lines(resp: aiohttp.ClientResponse, *, skip_blank: bool = True) -> AsyncIterator[bytes]:
    """Newline-delimited chunks of a streaming body (without the newline), free of aiohttp's per-line
    size limit (a watch event carrying a large object is one long line). A final unterminated line is
    yielded too; blank lines are skipped unless ``skip_blank`` is False (logs keep them)."""
    buf = b""
    try:
        async for chunk in resp.content.iter_any():
            if b"\n" not in chunk:
                buf += chunk
                continue
            # One split per chunk: a busy watch delivers hundreds of events per chunk, and slicing the
            # remainder line by line would copy it once per event.
            lines = (buf + chunk).split(b"\n")
            buf = lines.pop()
            for line in lines:
                if line.strip() or not skip_blank:
                    yield line
    except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, asyncio.IncompleteReadError) as err:
        raise TransportError(f"stream broke: {type(err).__name__}: {err}", sent=True) from err
    if buf.strip():
        yield buf

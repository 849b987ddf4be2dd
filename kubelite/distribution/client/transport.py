"""HTTP to one registry: the scheme, the auth challenge flow, retries, and errors in one vocabulary.

Scheme: HTTPS always comes first; plain HTTP (and unverified TLS) only for registries the config
allows (loopback, the insecure list, ``--insecure``), as Docker does. Auth: requests go out with
whatever the last challenge for their scope earned; a 401 is answered once by fetching a token (or
sending Basic credentials) and retrying. Retries: connection failures and 429/502/503/504 are
transient and retried with backoff when the request can be replayed; everything else is permanent
and raised as a :class:`RegistryError` (the registry's own words) or :class:`TransportError`.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from typing import Any

import aiohttp
import yarl

from kubelite.base.backoff import Backoff
from kubelite.distribution.client.auth import Challenge, basic_header, parse_challenge
from kubelite.distribution.client.config import ClientConfig, Credentials
from kubelite.distribution.errors import Code, RegistryError, parse_error_body

log = logging.getLogger(__name__)

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
Body = bytes | Callable[[], AsyncIterator[bytes]] | None


class TransportError(Exception):
    """The registry could not be reached or answered outside the spec; the message is one line."""


class Transport:
    """Requests to one registry ``host`` (``name[:port]``); use as ``async with``."""

    def __init__(self, host: str, config: ClientConfig, creds: Credentials | None = None) -> None:
        self.host = host
        self.config = config
        self.creds = creds
        self._session: aiohttp.ClientSession | None = None
        self._base: str | None = None
        self._ssl: ssl.SSLContext | bool = True
        self._auth: dict[str, str] = {}  # scope -> Authorization header value
        self._basic = False
        self._base_lock = asyncio.Lock()

    async def __aenter__(self) -> Transport:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=self.config.timeout)
        self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False,
                                              connector=aiohttp.TCPConnector(limit=16))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("Transport used outside 'async with'")
        return self._session

    def absolute(self, location: str) -> str:
        """An upload ``Location`` (often relative) as an absolute URL on this registry."""
        if self._base is None:
            raise RuntimeError("absolute() before base_url()")
        return str(yarl.URL(self._base).join(yarl.URL(location)))

    def _secure_context(self) -> ssl.SSLContext | bool:
        ca = self.config.ca_for(self.host)
        if ca is not None:
            return ssl.create_default_context(cafile=str(ca))
        return True

    async def base_url(self) -> str:
        """``https://host`` or, where allowed, ``http://host``: the first that answers ``/v2/``."""
        async with self._base_lock:
            if self._base is not None:
                return self._base
            insecure = self.config.allows_insecure(self.host)
            candidates: list[tuple[str, ssl.SSLContext | bool]] = [
                (f"https://{self.host}", False if insecure else self._secure_context())]
            if insecure:
                candidates.append((f"http://{self.host}", True))
            errors = []
            for base, ctx in candidates:
                try:
                    async with self.session.get(f"{base}/v2/", ssl=ctx) as resp:
                        await resp.read()
                        if resp.status == 401:
                            challenge = parse_challenge(resp.headers.get("WWW-Authenticate", ""))
                            self._basic = challenge is not None and challenge.scheme == "basic"
                except (TimeoutError, aiohttp.ClientError, ssl.SSLError, OSError) as err:
                    errors.append(f"{base}: {err or type(err).__name__}")
                    continue
                self._base, self._ssl = base, ctx
                return base
            hint = "" if insecure else f" (for a plain-HTTP registry, pass --insecure or add {self.host} " \
                                       "to insecure-registries)"
            raise TransportError(f"cannot reach registry {self.host}: {'; '.join(errors)}{hint}")

    def _auth_header(self, scope: str) -> dict[str, str]:
        if scope in self._auth:
            return {"Authorization": self._auth[scope]}
        if self._basic and self.creds is not None:
            return {"Authorization": basic_header(self.creds)}
        return {}

    async def authenticate(self, challenge: Challenge | None, scope: str) -> None:
        """Answer a 401: remember Basic credentials, or fetch a bearer token for ``scope``."""
        if challenge is None:
            raise RegistryError(Code.UNAUTHORIZED, f"{self.host} refused the request and sent no challenge")
        if challenge.scheme == "basic":
            if self.creds is None:
                raise RegistryError(Code.UNAUTHORIZED,
                                    f"authentication required: run `kubelite login {self.host}`")
            if self._basic:
                raise RegistryError(Code.UNAUTHORIZED, f"{self.host} rejected the saved credentials")
            self._basic = True
            return
        if challenge.scheme != "bearer" or not challenge.realm:
            raise RegistryError(Code.UNAUTHORIZED, f"unsupported auth challenge from {self.host}: "
                                                   f"{challenge.scheme}")
        wanted = " ".join(filter(None, {challenge.params.get("scope", ""), scope}))
        params: list[tuple[str, str]] = [("scope", s) for s in wanted.split(" ") if s]
        if "service" in challenge.params:
            params.append(("service", challenge.params["service"]))
        headers = {"Authorization": basic_header(self.creds)} if self.creds else {}
        try:
            async with self.session.get(challenge.realm, params=params, headers=headers,
                                        ssl=self._ssl) as resp:
                if resp.status == 401:
                    raise RegistryError(Code.UNAUTHORIZED, f"invalid username or password for {self.host}")
                if resp.status != 200:
                    raise TransportError(f"token endpoint {challenge.realm} answered {resp.status}")
                doc = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as err:
            raise TransportError(f"cannot reach token endpoint {challenge.realm}: {err}") from None
        token = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(token, str):
            raise TransportError(f"token endpoint {challenge.realm} returned no token")
        self._auth[scope] = f"Bearer {token}"

    async def request(self, method: str, path: str, *, scope: str, expect: Collection[int],
                      headers: Mapping[str, str] | None = None, data: Body = None,
                      params: Mapping[str, str] | None = None, retry: bool = True) -> aiohttp.ClientResponse:
        """Send a request, handling auth and transient failures; the caller releases the response.

        ``path`` is relative to the registry (``/v2/...``) or an absolute URL (upload Locations).
        A body given as a factory is re-created for each attempt; a response whose status is not in
        ``expect`` is raised as the registry's error.
        """
        base = await self.base_url()
        url = path if path.startswith(("http://", "https://")) else base + path
        backoff = Backoff(initial=0.2, maximum=5.0, jitter=0.2)
        answered_challenge = False
        attempt = 0
        while True:
            attempt += 1
            body: Any = data() if callable(data) else data
            sent = {**(headers or {}), **self._auth_header(scope)}
            try:
                resp = await self.session.request(method, url, headers=sent, data=body, params=params,
                                                  ssl=self._ssl)
            except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as err:
                if not retry or attempt > self.config.retries:
                    raise TransportError(f"{method} {self.host}{path.split('?', maxsplit=1)[0]}: "
                                         f"{err or type(err).__name__}") from None
                log.debug("registry request failed, retrying", extra={"url": url, "error": str(err)})
                await asyncio.sleep(backoff.next_delay())
                continue
            if resp.status == 401 and not answered_challenge:
                challenge = parse_challenge(resp.headers.get("WWW-Authenticate", ""))
                resp.release()
                await self.authenticate(challenge, scope)
                answered_challenge = True
                continue
            if resp.status in TRANSIENT_STATUS and retry and attempt <= self.config.retries:
                resp.release()
                await asyncio.sleep(backoff.next_delay())
                continue
            if resp.status not in expect:
                raw = await resp.read()
                resp.release()
                spec_error = parse_error_body(resp.status, raw)
                if spec_error is not None:
                    raise spec_error
                raise TransportError(f"{method} {self.host}{path.split('?', maxsplit=1)[0]}: unexpected status "
                                     f"{resp.status}")
            return resp

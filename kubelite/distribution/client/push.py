"""Push: an image from the engine's stores to a registry, blobs first, manifest last.

Each blob is checked with HEAD and skipped when the registry has it; when the image also carries a
name in another repository of the same registry a cross-repository mount is tried before any
bytes move. Otherwise the blob is streamed in one PATCH; if the connection drops the upload's
status (GET on its Location) says how much arrived and the rest follows with a Content-Range, so
a retry never resends what the registry already holds. The final PUT names the digest, which the
registry verifies. The manifest's stored bytes are pushed verbatim, so the digest the registry
reports is the image's own (checked), and a pull by another client gets identical bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import BinaryIO

import yarl

from kubelite.base.backoff import Backoff
from kubelite.distribution.client.auth import CredentialStore
from kubelite.distribution.client.config import ClientConfig, api_host
from kubelite.distribution.client.progress import NullReporter, Reporter
from kubelite.distribution.client.tasks import run_all
from kubelite.distribution.client.transport import Transport, TransportError
from kubelite.distribution.errors import Code, RegistryError
from kubelite.oci.descriptor import Descriptor
from kubelite.oci.reference import parse_reference
from kubelite.runtime.content import ContentStore
from kubelite.runtime.images import ImageStore

CHUNK = 1 << 20


class PushError(Exception):
    """A push the registry accepted in a way we cannot trust (a different digest); one line."""


@dataclass(frozen=True)
class PushResult:
    reference: str
    digest: str
    size: int  # bytes of the manifest, as docker prints
    uploaded: int  # bytes sent
    skipped: int  # blobs the registry already had (or mounted)


def _file_body(path: str, offset: int, digest: str,
               reporter: Reporter) -> Callable[[], AsyncIterator[bytes]]:
    """A body factory: each call opens the blob afresh at ``offset`` (a retry resends from there)."""

    async def chunks(f: BinaryIO) -> AsyncIterator[bytes]:
        with f:
            while chunk := f.read(CHUNK):
                reporter.advance(digest, len(chunk))
                yield chunk

    def body() -> AsyncIterator[bytes]:
        f = open(path, "rb")  # noqa: SIM115 - closed by chunks()
        f.seek(offset)
        return chunks(f)

    return body


class _Uploader:
    def __init__(self, t: Transport, repo: str, content: ContentStore, reporter: Reporter,
                 mount_from: list[str]) -> None:
        self.t = t
        self.repo = repo
        self.scope = f"repository:{repo}:pull,push"
        self.content = content
        self.reporter = reporter
        self.mount_from = mount_from

    async def exists(self, desc: Descriptor) -> bool:
        resp = await self.t.request("HEAD", f"/v2/{self.repo}/blobs/{desc.digest}", scope=self.scope,
                                    expect={200, 404})
        resp.release()
        return resp.status == 200

    async def _start(self, desc: Descriptor) -> str | None:
        """A new upload's Location, or None when a cross-repository mount made the blob appear."""
        for source in self.mount_from:
            resp = await self.t.request("POST", f"/v2/{self.repo}/blobs/uploads/", scope=self.scope,
                                        expect={201, 202}, params={"mount": desc.digest, "from": source})
            resp.release()
            if resp.status == 201:
                return None
            return self._location(resp.headers.get("Location"))
        resp = await self.t.request("POST", f"/v2/{self.repo}/blobs/uploads/", scope=self.scope,
                                    expect={202})
        resp.release()
        return self._location(resp.headers.get("Location"))

    def _location(self, location: str | None) -> str:
        if not location:
            raise TransportError(f"{self.t.host} started an upload without a Location header")
        return self._absolute(location)

    def _absolute(self, location: str) -> str:
        return self.t.absolute(location)

    async def _received(self, location: str) -> int:
        resp = await self.t.request("GET", location, scope=self.scope, expect={204})
        resp.release()
        end = resp.headers.get("Range", "0-0").split("-")[-1]
        # "0-0" is both "nothing yet" and "one byte"; treat it as nothing and resend that byte.
        return int(end) + 1 if end.isdigit() and int(end) > 0 else 0

    async def upload(self, desc: Descriptor) -> int:
        """Send one blob unless the registry has it; the bytes sent."""
        if await self.exists(desc):
            self.reporter.done(desc.digest, "Layer already exists")
            return 0
        self.reporter.start(desc.digest, desc.size, "Pushing")
        location = await self._start(desc)
        if location is None:
            self.reporter.done(desc.digest, f"Mounted from {self.mount_from[0]}")
            return 0
        path = self.content.path(desc.digest)
        offset, failures, sent = 0, 0, 0
        backoff = Backoff(initial=0.2, maximum=5.0, jitter=0.2)
        while offset < desc.size:
            # A known length keeps aiohttp from chunk-encoding (and copying) every block.
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(desc.size - offset),
                       "Content-Range": f"{offset}-{desc.size - 1}"}
            try:
                resp = await self.t.request("PATCH", location, scope=self.scope, expect={202}, headers=headers,
                                            data=_file_body(path, offset, desc.digest, self.reporter),
                                            retry=False)
                resp.release()
                sent += desc.size - offset
                location = self._absolute(resp.headers.get("Location", location))
                offset = desc.size
            except (TransportError, RegistryError) as err:
                if isinstance(err, RegistryError) and err.code is Code.BLOB_UPLOAD_UNKNOWN:
                    raise
                failures += 1
                if failures > self.t.config.retries:
                    raise
                await asyncio.sleep(backoff.next_delay())
                offset = await self._received(location)
                self.reporter.reset(desc.digest, offset)
        url = str(yarl.URL(location).update_query(digest=desc.digest))
        resp = await self.t.request("PUT", url, scope=self.scope, expect={201},
                                    headers={"Content-Length": "0"})
        resp.release()
        self.reporter.done(desc.digest, "Pushed")
        return sent


async def push_image(ref: str, *, root: str, config: ClientConfig,
                     reporter: Reporter | None = None) -> PushResult:
    """Push the local image named ``ref`` to the registry its name points at."""
    parsed = parse_reference(ref)
    reporter = reporter or NullReporter()
    store = ImageStore(root)
    image = store.resolve(ref)
    body = store.content.read_bytes(image.digest)
    repo = parsed.path
    mount_from = sorted({p.path for n in image.names if (p := parse_reference(n)).domain == parsed.domain
                         and p.path != repo})[:1]
    creds = CredentialStore(config.auth_file).get(parsed.domain)
    async with Transport(api_host(parsed.domain), config, creds) as t:
        uploader = _Uploader(t, repo, store.content, reporter, mount_from)
        semaphore = asyncio.Semaphore(config.max_concurrent)

        async def one(desc: Descriptor) -> int:
            async with semaphore:
                return await uploader.upload(desc)

        blobs = [image.manifest.config, *image.layers]
        missing = [d.digest for d in blobs if not store.content.has(d.digest)]
        if missing:
            raise PushError(f"blob {missing[0]} of {ref} is missing from the content store")
        tasks = await run_all(one, blobs)
        target = parsed.tag or parsed.digest
        resp = await t.request("PUT", f"/v2/{repo}/manifests/{target}", scope=uploader.scope, expect={201},
                               headers={"Content-Type": image.manifest.media_type}, data=body)
        resp.release()
        returned = resp.headers.get("Docker-Content-Digest")
        if returned is not None and returned != image.digest:
            raise PushError(f"registry stored the manifest as {returned}, expected {image.digest}")
    sent = tasks
    return PushResult(parsed.familiar(), image.digest, len(body), sum(sent),
                      sum(1 for s, b in zip(sent, blobs, strict=True) if s == 0 and b.size > 0))

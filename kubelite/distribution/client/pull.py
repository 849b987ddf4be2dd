"""Pull: a registry's manifest, config and layers into the engine's content store, then register it.

Order of work, and why:

1. Fetch the manifest by tag or digest and verify its bytes against the digest asked for (or the
   ``Docker-Content-Digest`` the registry claims). An index picks this machine's platform.
2. Fetch config and layers, ``max_concurrent`` at a time, skipping blobs already in the content
   store. Each is hashed as it streams into a content-store writer and only committed when its
   digest and size match, so a corrupt or truncated blob is never stored. A dropped connection
   resumes with ``Range: bytes=<received>-``; a registry that ignores the Range starts the blob over.
3. Store the manifest bytes verbatim (its digest is over those bytes) and ``ImageStore.add`` it
   under its name, all inside ``ImageStore.ingest()`` so a concurrent ``rmi``/prune cannot collect
   blobs between download and registration.
"""

from __future__ import annotations

import asyncio
import hashlib
import platform as host_platform
from dataclasses import dataclass

import aiohttp

from kubelite.base.backoff import Backoff
from kubelite.distribution.client.auth import CredentialStore
from kubelite.distribution.client.config import ClientConfig, api_host
from kubelite.distribution.client.progress import NullReporter, Reporter
from kubelite.distribution.client.tasks import run_all
from kubelite.distribution.client.transport import Transport, TransportError
from kubelite.distribution.manifests import ACCEPT, INDEX_TYPES, MAX_MANIFEST_SIZE
from kubelite.oci.descriptor import Descriptor, Platform
from kubelite.oci.manifest import Index, parse_manifest, parse_manifest_or_index
from kubelite.oci.reference import Reference, parse_reference
from kubelite.runtime.content import BlobWriter, ContentStore, DigestMismatchError
from kubelite.runtime.images import ImageStore

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


def this_platform() -> Platform:
    machine = host_platform.machine()
    return Platform(os="linux", architecture=_ARCH.get(machine, machine))


class PullError(Exception):
    """A pull that cannot succeed as asked (bad digest, no platform match); one line for the user."""


@dataclass(frozen=True)
class PullResult:
    reference: str
    digest: str  # the image manifest registered
    index_digest: str | None
    image_id: str
    downloaded: int  # bytes fetched
    skipped: int  # blobs already present


@dataclass(frozen=True)
class FetchedManifest:
    body: bytes
    digest: str
    media_type: str


async def fetch_manifest(t: Transport, repo: str, reference: str, scope: str) -> FetchedManifest:
    """A manifest's exact bytes, verified against the digest asked for or the one the registry claims."""
    resp = await t.request("GET", f"/v2/{repo}/manifests/{reference}", scope=scope, expect={200},
                           headers={"Accept": ACCEPT})
    async with resp:
        body = await resp.content.read(MAX_MANIFEST_SIZE + 1)
        claimed = resp.headers.get("Docker-Content-Digest", "")
        media_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
    if len(body) > MAX_MANIFEST_SIZE:
        raise PullError(f"manifest {repo}:{reference} is larger than {MAX_MANIFEST_SIZE} bytes")
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    expected = reference if ":" in reference else (claimed if claimed.startswith("sha256:") else digest)
    if digest != expected:
        raise PullError(f"manifest {repo}@{expected} failed verification: its content hashes to {digest}")
    return FetchedManifest(body, digest, media_type)


async def fetch_blob(t: Transport, repo: str, desc: Descriptor, *, scope: str, content: ContentStore,
                     reporter: Reporter) -> int:
    """Download one blob into the content store, resuming after drops; the bytes fetched."""
    if content.has(desc.digest):
        reporter.done(desc.digest, "Already exists")
        return 0
    reporter.start(desc.digest, desc.size, "Downloading")
    writer: BlobWriter = content.writer(desc.digest, desc.size)
    backoff = Backoff(initial=0.2, maximum=5.0, jitter=0.2)
    fetched = 0
    failures = 0
    try:
        while writer.size < desc.size or fetched == 0:
            headers = {"Range": f"bytes={writer.size}-"} if writer.size else {}
            try:
                resp = await t.request("GET", f"/v2/{repo}/blobs/{desc.digest}", scope=scope,
                                       expect={200, 206}, headers=headers)
                async with resp:
                    if writer.size and not _resumes_at(resp.status, resp.headers.get("Content-Range"),
                                                       writer.size):
                        writer.abort()  # Range ignored (or answered from elsewhere): start over
                        writer = content.writer(desc.digest, desc.size)
                        reporter.reset(desc.digest, 0)
                    async for chunk in resp.content.iter_chunked(1 << 20):
                        # hashing and the disk write release the GIL: in a thread they overlap the
                        # socket reads of this and the other layers.
                        await asyncio.to_thread(writer.write, chunk)
                        fetched += len(chunk)
                        reporter.advance(desc.digest, len(chunk))
                        if writer.size > desc.size:
                            raise PullError(f"blob {desc.digest} is larger than its descriptor says")
                if writer.size == desc.size:
                    break
                raise TransportError(f"blob {desc.digest}: connection closed early")
            except (TimeoutError, TransportError, aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as err:
                failures += 1
                if failures > t.config.retries:
                    raise TransportError(f"blob {desc.digest}: {err}") from None
                reporter.reset(desc.digest, writer.size)
                await asyncio.sleep(backoff.next_delay())
        writer.commit()
    except DigestMismatchError as err:
        raise PullError(f"blob {desc.digest} failed verification: {err}") from None
    except BaseException:
        writer.abort()
        raise
    reporter.done(desc.digest, "Pull complete")
    return fetched


def _resumes_at(status: int, content_range: str | None, offset: int) -> bool:
    """Whether a response to ``Range: bytes=<offset>-`` really continues at ``offset``."""
    if status != 206 or not content_range:
        return False
    unit, _, spec = content_range.partition(" ")
    start = spec.split("-", 1)[0]
    return unit == "bytes" and start.isdigit() and int(start) == offset


def _names(ref: Reference) -> list[str]:
    return [str(Reference(ref.domain, ref.path, ref.tag))] if ref.tag else []


async def pull_image(ref: str, *, root: str, config: ClientConfig, reporter: Reporter | None = None,
                     platform: Platform | None = None) -> PullResult:
    """Pull ``ref`` (Docker's reference grammar) into the engine at ``root`` and register it.

    Raises ``kubelite.oci.InvalidReferenceError``, :class:`PullError`, ``RegistryError`` (the
    registry's error: MANIFEST_UNKNOWN, UNAUTHORIZED, ...) or ``TransportError``.
    """
    parsed = parse_reference(ref)
    reporter = reporter or NullReporter()
    host = api_host(parsed.domain)
    repo = parsed.path
    scope = f"repository:{repo}:pull"
    store = ImageStore(root)
    creds = CredentialStore(config.auth_file).get(parsed.domain)
    async with Transport(host, config, creds) as t:
        top = await fetch_manifest(t, repo, parsed.digest or parsed.tag, scope)
        index_digest = None
        fetched = top
        parsed_top = parse_manifest_or_index(top.body)
        if isinstance(parsed_top, Index) or top.media_type in INDEX_TYPES:
            assert isinstance(parsed_top, Index)
            wanted = platform or this_platform()
            try:
                choice = parsed_top.select(wanted)
            except ValueError as err:
                raise PullError(f"{parsed.familiar()}: {err}") from None
            index_digest = top.digest
            fetched = await fetch_manifest(t, repo, choice.digest, scope)
        manifest = parse_manifest(fetched.body)
        with store.ingest():
            semaphore = asyncio.Semaphore(config.max_concurrent)

            async def one(desc: Descriptor) -> int:
                async with semaphore:
                    return await fetch_blob(t, repo, desc, scope=scope, content=store.content, reporter=reporter)

            blobs = [manifest.config, *manifest.layers]
            already = sum(1 for b in blobs if store.content.has(b.digest))
            tasks = await run_all(one, blobs)
            store.content.write(fetched.body, fetched.digest)
            if index_digest is not None:
                store.content.write(top.body, index_digest)
            image = store.add(fetched.digest, _names(parsed))
    return PullResult(parsed.familiar(), fetched.digest, index_digest, image.id,
                      sum(tasks), already)

"""The API server: key material, watch caches, stores and the HTTPS listener, started in order.

Lifecycle: ``ApiServer(config, storage=..., clock=...)`` starts nothing. ``await run()`` generates or
loads the PKI, starts one watch cache per storage prefix, waits for them, creates the default namespaces,
listens, writes the kubeconfig, sets :attr:`ready` and serves until cancelled. Storage is started and
closed by the caller (the composition root owns it).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path

from aiohttp import web

from kubelite.api import events
from kubelite.api.resources import REGISTRY, Registry
from kubelite.apiserver import admission, bootstrap
from kubelite.apiserver.allocators import ServiceAllocator
from kubelite.apiserver.config import ApiServerConfig
from kubelite.apiserver.context import ApiContext
from kubelite.apiserver.http import build_app
from kubelite.apiserver.kubeconfig import write_kubeconfig
from kubelite.apiserver.pki import Pki, ensure_pki
from kubelite.apiserver.store import ConvertingStore, ResourceStore, decode_kv
from kubelite.apiserver.strategies.services import ServiceStrategy
from kubelite.apiserver.streamproxy import KubeletCredentials, KubeletProxy
from kubelite.apiserver.tokens import TokenSigner
from kubelite.apiserver.watchcache import CacheFeeder, WatchCache
from kubelite.base.clock import Clock, RealClock
from kubelite.base.tasks import Ready, Supervisor
from kubelite.storage.interface import Storage

log = logging.getLogger(__name__)


def _ssl_context(pki: Pki) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki.serving_cert, pki.serving_key)
    ctx.load_verify_locations(cafile=str(pki.ca_cert))
    ctx.verify_mode = ssl.CERT_OPTIONAL  # client certificates authenticate; tokens work without one
    ctx.set_alpn_protocols(["http/1.1"])  # kubectl offers h2; aiohttp speaks HTTP/1.1 only
    return ctx


class ApiServer:
    def __init__(self, config: ApiServerConfig, *, storage: Storage, clock: Clock | None = None,
                 registry: Registry = REGISTRY) -> None:
        self.config = config
        self.storage = storage
        self.clock = clock or RealClock()
        self.registry = registry
        self.ready = Ready("apiserver")
        self.ctx = ApiContext(registry=registry, storage=storage, clock=self.clock, limits=config.limits)
        self.port = config.port
        self.admin_token: str | None = None
        self.pki: Pki | None = None
        self._caches_ready = False

    @property
    def url(self) -> str:
        """The URL clients on this host use (a wildcard listen address is reached over loopback, which
        the serving certificate covers)."""
        scheme = "https" if self.config.tls else "http"
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.config.host, self.config.host)
        host = host if ":" not in host else f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @property
    def kubeconfig_path(self) -> Path:
        return self.config.data_dir / "kubeconfig"

    def _build_stores(self) -> CacheFeeder:
        feeder = CacheFeeder(self.storage)
        caches: dict[str, WatchCache] = {}
        ns_resource = self.registry.by_gvr("", "v1", "namespaces")
        assert ns_resource is not None
        admit = admission.make_admit(lambda: self.ctx.store(ns_resource))
        for resource in self.registry:
            prefix = resource.storage_prefix()
            cache = caches.get(prefix)
            if cache is None:
                cache = WatchCache(prefix, prepare=decode_kv, progress=feeder.progress,
                                   ring_size=self.config.limits.watch_ring_size, name=resource.qualified_name)
                caches[prefix] = cache
                feeder.add(cache)
            key = (resource.group, resource.version, resource.plural)
            if resource.storage_gvk is not None and resource.storage_gvk != resource.gvk:
                self.ctx.stores[key] = ConvertingStore(resource, self.storage, clock=self.clock, cache=cache,
                                                       admit=admit, to_api=events.to_events_v1,
                                                       to_storage=events.to_core)
            else:
                self.ctx.stores[key] = ResourceStore(resource, self.storage, clock=self.clock, cache=cache,
                                                     admit=admit)
        self.ctx.caches = caches
        return feeder

    async def run(self) -> None:
        data_dir = self.config.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.pki = pki = await asyncio.to_thread(ensure_pki, data_dir,
                                                 extra_sans=list(self.config.extra_sans))
        self.admin_token = pki.admin_token()
        self.ctx.signer = TokenSigner(pki.sa_key.read_bytes(), pki.sa_pub.read_bytes())
        proxy = self._plug_stream_proxy(pki)
        feeder = self._build_stores()
        async with Supervisor("apiserver") as sup:
            sup.start("watchcache", feeder.run)
            await feeder.ready.wait()
            self._caches_ready = True
            self._plug_service_allocator()
            await bootstrap.ensure_default_namespaces(self.ctx)
            runner = await self._listen()
            await bootstrap.ensure_kubernetes_service(self.ctx, self.config.advertise_address(), self.port)
            try:
                await asyncio.Event().wait()  # serve until cancelled; a cache failure ends this too
            finally:
                await runner.cleanup()
                if proxy is not None:
                    await proxy.close()

    def _plug_stream_proxy(self, pki: Pki) -> KubeletProxy | None:
        """logs/exec/attach/portforward go to the pod's kubelet, authenticated by the admin client
        certificate (and token); a proxy plugged in beforehand (tests) is kept."""
        if self.ctx.stream_proxy is not None:
            return None
        proxy = KubeletProxy(self.ctx, KubeletCredentials(cert_file=str(pki.admin_cert),
                                                          key_file=str(pki.admin_key), token=self.admin_token))
        self.ctx.stream_proxy = proxy
        return proxy

    def _plug_service_allocator(self) -> None:
        """Services get clusterIPs and nodePorts from one allocator, rebuilt from what is stored."""
        services = self.registry.by_gvr("", "v1", "services")
        assert services is not None
        strategy = self.ctx.store(services).strategy
        assert isinstance(strategy, ServiceStrategy)
        allocator = ServiceAllocator(self.config.service_cidr)
        cache = self.ctx.caches[services.storage_prefix()]
        stored, _ = cache.snapshot(services.storage_prefix())
        allocator.restore([c.obj for c in stored])
        strategy.allocator = allocator

    async def _listen(self) -> web.AppRunner:
        """Bind the listener (so a port in use fails ``run`` itself, with the OSError), write the
        kubeconfig and mark the server ready."""
        assert self.pki is not None
        app = build_app(self.ctx, admin_token=self.admin_token if self.config.tls else None,
                        ready=lambda: self._caches_ready,
                        server_address=f"{self.config.host}:{self.port}")
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await runner.setup()
        ssl_ctx = _ssl_context(self.pki) if self.config.tls else None
        site = web.TCPSite(runner, self.config.host, self.config.port, ssl_context=ssl_ctx, backlog=1024,
                           reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        server = site._server
        if server is not None and self.config.port == 0:
            sockets = getattr(server, "sockets", None) or []
            if sockets:
                self.port = int(sockets[0].getsockname()[1])
        if self.config.write_kubeconfig:
            write_kubeconfig(self.kubeconfig_path, self.url, self.admin_token or "unused",
                             ca_pem=self.pki.ca_cert.read_bytes() if self.config.tls else None)
        log.info("apiserver listening", extra={"url": self.url})
        self.ready.set()
        return runner

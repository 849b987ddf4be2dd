"""Cluster DNS as a component: Services and EndpointSlices from informers, a zone rebuilt on change.

Handlers only mark the zone stale; the next query (or the rebuild task, at most every
``min_interval``) rebuilds it from the caches, so a burst of changes costs one rebuild. The server
reads whatever zone is current, without a restart.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from kubelite.client.informer import Informer, InformerFactory
from kubelite.dns.records import Zone, build_zone
from kubelite.dns.server import DNSConfig, DNSServer

JsonDict = dict[str, Any]
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


class ClusterDNS:
    def __init__(self, config: DNSConfig, *, factory: InformerFactory, domain: str = "cluster.local",
                 min_interval: float = 0.1) -> None:
        self.domain = domain
        self.min_interval = min_interval
        self.services: Informer = factory.informer("v1", "services")
        self.slices: Informer = factory.informer("discovery.k8s.io/v1", "endpointslices")
        for inf in (self.services, self.slices):
            inf.add_event_handler(self._stale, lambda _o, _n: self._stale(None), self._stale)
        self._zone = Zone(domain)
        self._dirty = asyncio.Event()
        self.server = DNSServer(config, self.zone)
        self.started = asyncio.Event()  # set once the server listens (its port is then known)
        self.rebuilds = 0

    def _stale(self, _obj: Any) -> None:
        self._dirty.set()

    def zone(self) -> Zone:
        return self._zone

    def rebuild(self) -> None:
        slices: dict[str, list[JsonDict]] = defaultdict(list)
        for sl in self.slices.store.list():
            meta = sl.get("metadata") or {}
            name = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
            if name:
                slices[f"{meta.get('namespace', '')}/{name}"].append(sl)
        self._zone = build_zone(self.services.store.list(), slices, self.domain)
        self.rebuilds += 1

    async def run(self) -> None:
        await self.services.wait_synced()
        await self.slices.wait_synced()
        self.rebuild()
        await self.server.start()
        self.started.set()
        try:
            while True:
                await self._dirty.wait()
                self._dirty.clear()
                self.rebuild()
                await asyncio.sleep(self.min_interval)
        finally:
            await self.server.close()

"""The proxy's loop: Services and EndpointSlices in, kernel rules out.

Informer events only mark the table dirty and wake the syncer; the syncer recomputes the whole table
(a pure function, cheap) and hands it to the backend, which sends only the difference. A burst of
changes costs one sync, and at least ``min_interval`` passes between syncs, as kube-proxy's
``minSyncPeriod`` does. A failed sync is retried with backoff; live connections never see a flush.
Every ``resync`` seconds without a change the backend checks the kernel still holds our table (a
cheap listing of table names), and a table deleted by hand is put back whole.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

from kubelite.base.backoff import Backoff
from kubelite.base.clock import Clock, RealClock
from kubelite.client.informer import Informer, InformerFactory
from kubelite.proxy.model import ServicePort, service_ports
from kubelite.proxy.rules import ProxyConfig, compute

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


class Backend(Protocol):
    async def sync(self, table: Any) -> bool:
        """Make the kernel (or the process) match what ``render`` computed; whether anything changed."""

    async def verify(self) -> bool:
        """Whether the kernel lost what was applied (then the next sync replaces it all)."""

    async def cleanup(self) -> None: ...


class ServiceProxy:
    def __init__(self, config: ProxyConfig, *, factory: InformerFactory, backend: Backend,
                 clock: Clock | None = None, min_interval: float = 0.1, resync: float = 30.0,
                 render: Callable[[list[ServicePort], ProxyConfig], Any] = compute) -> None:
        """``render`` turns the service ports into what ``backend.sync`` takes: the nft table by default,
        the ports themselves for the userspace backend."""
        self.config = config
        self.render = render
        self.backend = backend
        self.clock = clock or RealClock()
        self.min_interval = min_interval
        self.resync = resync  # with no change for this long, check the kernel still has our rules
        self.services: Informer = factory.informer("v1", "services")
        self.slices: Informer = factory.informer("discovery.k8s.io/v1", "endpointslices")
        for inf in (self.services, self.slices):
            inf.add_event_handler(self._dirty, lambda _old, _new: self._dirty(None), self._dirty)
        self._wake = asyncio.Event()
        self.syncs = 0

    def _dirty(self, _obj: Any) -> None:
        self._wake.set()

    def desired(self) -> Any:
        return self.render(self.ports(), self.config)

    def ports(self) -> list[ServicePort]:
        by_service: dict[str, list[JsonDict]] = defaultdict(list)
        for sl in self.slices.store.list():
            meta = sl.get("metadata") or {}
            name = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
            if name:
                by_service[f"{meta.get('namespace', '')}/{name}"].append(sl)
        ports = []
        for svc in self.services.store.list():
            meta = svc.get("metadata") or {}
            ports += service_ports(svc, by_service.get(f"{meta.get('namespace', '')}/{meta.get('name', '')}", []))
        return ports

    async def run(self) -> None:
        await self.services.wait_synced()
        await self.slices.wait_synced()
        backoff = Backoff(initial=0.5, maximum=30.0)
        self._wake.set()
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.resync)
            except TimeoutError:
                try:
                    lost = await self.backend.verify()
                except Exception as err:  # cannot tell now; the next period asks again
                    log.warning("proxy could not check its rules: %s", err)
                    continue
                if not lost:
                    continue  # nothing changed and the kernel still has it: no recomputation
                # someone deleted our table: the sync below puts it back
            self._wake.clear()
            try:
                await self.backend.sync(self.desired())
                self.syncs += 1
                backoff.reset()
            except Exception as err:  # the kernel refused: retry the whole table later
                delay = backoff.next_delay()
                log.warning("proxy sync failed, retrying in %.1fs: %s", delay, err)
                self._wake.set()
                await self.clock.sleep(delay)
                continue
            await self.clock.sleep(self.min_interval)

"""Assigns each ``type: LoadBalancer`` Service an ingress IP from a pool reachable on this machine.

The default pool, 127.0.0.240-127.0.0.254, is local on every Linux host (all of 127.0.0.0/8 is), so
``kubectl get svc`` shows an EXTERNAL-IP that a browser on this machine can open; the proxy routes
ingress IPs like external IPs. A pool of addresses on a real interface works the same way for other
machines. An IP asked for in ``spec.loadBalancerIP`` is honoured when free. When the pool is exhausted
the Service stays ``<pending>`` and an event says why, as a cloud load balancer would.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import ConflictError, NotFoundError
from kubelite.client.events import EventRecorder
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.reconciler import Reconciler
from kubelite.client.rest import Client

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
DEFAULT_POOL = "127.0.0.240-127.0.0.254"


def parse_pool(text: str) -> list[str]:
    """``a.b.c.d-a.b.c.e`` or a CIDR into the addresses it holds, in order."""
    if "-" in text:
        first, last = (ipaddress.IPv4Address(p.strip()) for p in text.split("-", 1))
        return [str(ipaddress.IPv4Address(i)) for i in range(int(first), int(last) + 1)]
    return [str(ip) for ip in ipaddress.ip_network(text).hosts()]


def ingress_ips(service: JsonDict) -> list[str]:
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return [i["ip"] for i in ingress if i.get("ip")]


def choose(service: JsonDict, pool: list[str], taken: set[str]) -> str | None:
    """The IP for ``service``: its own already, the requested one if free, else the first free one."""
    own = ingress_ips(service)
    if own:
        return own[0]
    wanted = (service.get("spec") or {}).get("loadBalancerIP")
    if wanted:
        return wanted if wanted in pool and wanted not in taken else None
    return next((ip for ip in pool if ip not in taken), None)


class ServiceLB:
    def __init__(self, client: Client, factory: InformerFactory, *, pool: str = DEFAULT_POOL,
                 clock: Clock | None = None) -> None:
        self.pool = parse_pool(pool)
        self.services: Informer = factory.informer("v1", "services")
        self.api = client.resource("v1", "services")
        self.recorder = EventRecorder(client, "service-lb-controller")
        self.reconciler = Reconciler("service-lb", self.sync, workers=1, clock=clock or RealClock())
        self.reconciler.watch(self.services)

    async def run(self) -> None:
        await self.reconciler.run([self.services])

    async def sync(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        service = self.services.get(name, namespace)
        if service is None:
            return
        is_lb = (service.get("spec") or {}).get("type") == "LoadBalancer"
        current = ingress_ips(service)
        if not is_lb:
            if current and any(ip in self.pool for ip in current):
                await self._write(service, [])  # no longer a load balancer: give the IP back
            return
        if current:
            return
        taken = {ip for s in self.services.store.list() if s is not service for ip in ingress_ips(s)}
        ip = choose(service, self.pool, taken)
        if ip is None:
            await self.recorder.warning(service, "AllocationFailed",
                                        f"no free address in the load-balancer pool ({len(self.pool)} addresses)")
            return
        await self._write(service, [{"ip": ip, "ipMode": "VIP"}])
        await self.recorder.normal(service, "EnsuredLoadBalancer", f"Ensured load balancer with IP {ip}")

    async def _write(self, service: JsonDict, ingress: list[JsonDict]) -> None:
        body = {**service, "status": {"loadBalancer": {"ingress": ingress} if ingress else {}}}
        try:
            await self.api.update_status(body)
        except (NotFoundError, ConflictError):
            self.reconciler.enqueue(service)

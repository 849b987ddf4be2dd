"""The pod garbage collector: every ``period`` seconds, apply :func:`~.compute.pods_to_collect`.

Kubernetes runs it on a timer (every 20 s) rather than on events, because what it looks for (a node
that is gone, a pile of finished pods) is a slow condition, not a change.
"""

from __future__ import annotations

import logging

from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import ConflictError, NotFoundError
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.rest import Client
from kubelite.controllers.podgc.compute import DEFAULT_THRESHOLD, pods_to_collect

log = logging.getLogger(__name__)


class PodGC:
    def __init__(self, client: Client, factory: InformerFactory, *, period: float = 20.0,
                 threshold: int = DEFAULT_THRESHOLD, clock: Clock | None = None) -> None:
        self.clock = clock or RealClock()
        self.period = period
        self.threshold = threshold
        self.pods: Informer = factory.informer("v1", "pods")
        self.nodes: Informer = factory.informer("v1", "nodes")
        self.pods_api = client.resource("v1", "pods")

    async def run(self) -> None:
        await self.pods.wait_synced()
        await self.nodes.wait_synced()
        while True:
            await self.collect()
            await self.clock.sleep(self.period)

    async def collect(self) -> int:
        nodes = {(n.get("metadata") or {}).get("name", "") for n in self.nodes.store.list()}
        delete, force = pods_to_collect(self.pods.store.list(), nodes, self.threshold)
        done = 0
        for key, grace in [*((k, None) for k in delete), *((k, 0) for k in force)]:
            namespace, _, name = key.partition("/")
            try:
                await self.pods_api.delete(name, namespace, grace_period_seconds=grace)
                done += 1
            except (NotFoundError, ConflictError):
                continue
        if done:
            log.info("collected pods", extra={"count": done})
        return done

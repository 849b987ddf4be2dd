"""What every verb handler needs, gathered once: resources, their stores and caches, and settings.

Built by :class:`kubelite.apiserver.server.ApiServer`; handlers receive it with the parsed request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelite.api.resources import Registry, Resource
from kubelite.apiserver.store import ResourceStore
from kubelite.apiserver.tokens import TokenSigner
from kubelite.apiserver.watchcache import WatchCache
from kubelite.base.clock import Clock
from kubelite.storage.interface import Storage


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int = 3 * 1024 * 1024
    max_in_flight: int = 400
    max_watch_seconds: int = 1800
    bookmark_interval: float = 60.0
    watch_ring_size: int = 4096  # recent events per resource a watch can resume from


@dataclass
class ApiContext:
    registry: Registry
    storage: Storage
    clock: Clock
    limits: Limits
    stores: dict[tuple[str, str, str], ResourceStore] = field(default_factory=dict)
    caches: dict[str, WatchCache] = field(default_factory=dict)  # by storage prefix
    signer: TokenSigner | None = None
    # The kubelet proxy for log/exec/attach/portforward (streamproxy.KubeletProxy), plugged in by
    # ApiServer.run unless a test set its own; None answers those with a 503.
    stream_proxy: Any = None

    def store(self, resource: Resource) -> ResourceStore:
        return self.stores[(resource.group, resource.version, resource.plural)]

"""Services: the allocation hook for clusterIP and nodePort (issue 6 owns the allocators).

:attr:`ServiceStrategy.allocator` is plugged in by the server (:mod:`kubelite.apiserver.allocators`, restored
from the stored Services at start-up); ``allocate(service, old)`` runs on create and update and
``release(service)`` once a Service is deleted. Allocation also records ipFamilies/ipFamilyPolicy.
"""

from __future__ import annotations

from typing import Protocol

from kubelite.api import defaults
from kubelite.apiserver.strategies.base import Obj, Strategy


class ServiceAllocator(Protocol):
    def allocate(self, service: Obj, old: Obj | None) -> None:
        """Fill spec.clusterIP(s) and nodePorts in place; raise ApiError (422) when impossible."""
        ...

    def release(self, service: Obj) -> None: ...


class ServiceStrategy(Strategy):
    allocator: ServiceAllocator | None = None

    def prepare_for_create(self, obj: Obj) -> Obj:
        out = super().prepare_for_create(obj)
        if self.allocator is not None:
            self.allocator.allocate(out, None)
            out = defaults.default_service_ip_families(out)
        return out

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        super().prepare_for_update(new, old)
        spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
        # clusterIP is immutable once set; a client that omits it keeps the allocated one.
        for field in ("clusterIP", "clusterIPs"):
            if field in old_spec and not spec.get(field):
                spec[field] = old_spec[field]
        if self.allocator is not None:
            self.allocator.allocate(new, old)
            families = defaults.default_service_ip_families(new)
            new["spec"] = families.get("spec", new.get("spec"))

    def on_deleted(self, obj: Obj) -> None:
        if self.allocator is not None:
            self.allocator.release(obj)

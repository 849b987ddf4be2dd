"""Services: the allocation hook for clusterIP and nodePort (issue 6 owns the allocators).

:attr:`ServiceStrategy.allocator` is ``None`` until the networking part plugs one in; the store calls
``allocate(service)`` on create and ``release(service)`` on delete when it is set.
"""

from __future__ import annotations

from typing import Protocol

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

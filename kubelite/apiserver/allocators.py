"""ClusterIP and NodePort allocation for Services, as kube-apiserver does it at create time.

Each range is split as Kubernetes splits it: a small lower *static* band that random allocation
avoids while the upper band has room, so that addresses chosen on purpose (``10.96.0.1`` for the
``kubernetes`` service, ``10.96.0.10`` for ``kube-dns``) stay free. Explicit requests must be in range
and free. Allocation on update is all-or-nothing: new addresses are taken before old ones are given
back, and a failure rolls back what this call took.

State lives in memory and is rebuilt from the stored Services when the server starts
(:meth:`ServiceAllocator.restore`), the job kube's repair controllers do; a single API server owns it.
"""

from __future__ import annotations

import ipaddress
import random
import threading
from typing import Any, NoReturn

from kubelite.api.status import FieldError, invalid, invalid_value

JsonDict = dict[str, Any]
NEEDS_PORTS = ("NodePort", "LoadBalancer")


class RangeFullError(Exception):
    pass


class _Band:
    """Free/used offsets in [0, size); random allocation prefers offsets >= ``static``."""

    def __init__(self, size: int, static: int, rng: random.Random) -> None:
        self.size, self.static, self.rng = size, min(static, size), rng
        self.used: set[int] = set()

    def take(self, offset: int) -> bool:
        if offset in self.used:
            return False
        self.used.add(offset)
        return True

    def take_any(self) -> int:
        for low, high in ((self.static, self.size), (0, self.static)):
            span = high - low
            if span <= 0 or sum(1 for o in self.used if low <= o < high) >= span:
                continue
            start = self.rng.randrange(span)
            for i in range(span):
                offset = low + (start + i) % span
                if offset not in self.used:
                    self.used.add(offset)
                    return offset
        raise RangeFullError

    def free(self, offset: int) -> None:
        self.used.discard(offset)


class ServiceAllocator:
    """The API server's ``ServiceAllocator`` hook (see :mod:`kubelite.apiserver.strategies.services`)."""

    def __init__(self, service_cidr: str = "10.96.0.0/12", node_ports: tuple[int, int] = (30000, 32767),
                 rng: random.Random | None = None) -> None:
        self.network = ipaddress.ip_network(service_cidr)
        rng = rng or random.Random()
        ip_size = self.network.num_addresses - 2  # no network or broadcast address
        self._ips = _Band(ip_size, min(max(16, ip_size // 16), 256), rng)
        self.port_range = node_ports
        port_size = node_ports[1] - node_ports[0] + 1
        self._ports = _Band(port_size, min(max(16, port_size // 32), 128), rng)
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- the hook

    def allocate(self, service: JsonDict, old: JsonDict | None) -> None:
        with self._lock:
            taken_ips: list[int] = []
            taken_ports: list[int] = []
            try:
                self._allocate_ip(service, old, taken_ips)
                self._allocate_ports(service, old, taken_ports)
            except Exception:
                for o in taken_ips:
                    self._ips.free(o)
                for o in taken_ports:
                    self._ports.free(o)
                raise
            if old is not None:
                self._release_unused(old, service)

    def release(self, service: JsonDict) -> None:
        with self._lock:
            self._release_unused(service, None)

    def restore(self, services: list[JsonDict]) -> None:
        """Mark what stored services hold (at start-up, before serving)."""
        with self._lock:
            for svc in services:
                for ip in self._ips_of(svc):
                    offset = self._ip_offset(ip)
                    if offset is not None:
                        self._ips.take(offset)
                for port in self._ports_of(svc):
                    if self.port_range[0] <= port <= self.port_range[1]:
                        self._ports.take(port - self.port_range[0])

    # ---------------------------------------------------------------- cluster IPs

    def _ip_offset(self, ip: str) -> int | None:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return None
        if addr not in self.network or addr in (self.network.network_address, self.network.broadcast_address):
            return None
        return int(addr) - int(self.network.network_address) - 1

    def _ip_at(self, offset: int) -> str:
        return str(self.network.network_address + offset + 1)

    @staticmethod
    def _ips_of(svc: JsonDict | None) -> list[str]:
        spec = (svc or {}).get("spec") or {}
        ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
        return [ip for ip in ips if ip and ip != "None"]

    def _allocate_ip(self, service: JsonDict, old: JsonDict | None, taken: list[int]) -> None:
        spec = service.setdefault("spec", {})
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
            return
        wanted = self._ips_of(service)
        if old is not None and wanted and wanted == self._ips_of(old):
            return  # unchanged: already ours
        name = (service.get("metadata") or {}).get("name", "")
        if wanted:
            ip = wanted[0]
            offset = self._ip_offset(ip)
            if offset is None:
                self._fail(name, "spec.clusterIPs", wanted,
                           f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. "
                           f"The range of valid IPs is {self.network}")
            elif not self._ips.take(offset):
                self._fail(name, "spec.clusterIPs", wanted,
                           f"failed to allocate IP {ip}: provided IP is already allocated")
            else:
                taken.append(offset)
            return
        try:
            picked = self._ips.take_any()
        except RangeFullError:
            self._fail(name, "spec.clusterIPs", [], "failed to allocate a serviceIP: range is full")
        taken.append(picked)
        ip = self._ip_at(picked)
        spec["clusterIP"], spec["clusterIPs"] = ip, [ip]

    # ---------------------------------------------------------------- node ports

    @staticmethod
    def _ports_of(svc: JsonDict | None) -> set[int]:
        spec = (svc or {}).get("spec") or {}
        return {int(p["nodePort"]) for p in spec.get("ports") or [] if p.get("nodePort")}

    def _allocate_ports(self, service: JsonDict, old: JsonDict | None, taken: list[int]) -> None:
        spec = service.setdefault("spec", {})
        ports = spec.get("ports") or []
        wants = spec.get("type") in NEEDS_PORTS and not (
            spec.get("type") == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False)
        if not wants:
            for p in ports:
                p.pop("nodePort", None)  # ClusterIP services have none, as Kubernetes clears them
            return
        held = self._ports_of(old)
        name = (service.get("metadata") or {}).get("name", "")
        errors: list[FieldError] = []
        mine: dict[int, int] = {}  # port number -> first index: TCP and UDP may share one node port
        for i, p in enumerate(ports):
            requested = p.get("nodePort")
            if not requested:
                continue
            port = int(requested)
            if port in held or port in mine:
                mine.setdefault(port, i)
                continue
            low, high = self.port_range
            if not low <= port <= high:
                errors.append(invalid_value(f"spec.ports[{i}].nodePort", port,
                                            f"provided port is not in the valid range. "
                                            f"The range of valid ports is {low}-{high}"))
            elif not self._ports.take(port - low):
                errors.append(invalid_value(f"spec.ports[{i}].nodePort", port, "provided port is already allocated"))
            else:
                taken.append(port - low)
                mine[port] = i
        if errors:
            raise invalid("Service", name, errors)
        for i, p in enumerate(ports):
            if p.get("nodePort"):
                continue
            try:
                offset = self._ports.take_any()
            except RangeFullError:
                raise invalid("Service", name, [invalid_value(f"spec.ports[{i}].nodePort", 0,
                                                              "failed to allocate a nodePort: range is full")]
                              ) from None
            taken.append(offset)
            p["nodePort"] = self.port_range[0] + offset

    # ---------------------------------------------------------------- release

    def _release_unused(self, old: JsonDict, new: JsonDict | None) -> None:
        keep_ips = set(self._ips_of(new))
        for ip in self._ips_of(old):
            offset = self._ip_offset(ip)
            if offset is not None and ip not in keep_ips:
                self._ips.free(offset)
        keep_ports = self._ports_of(new)
        for port in self._ports_of(old) - keep_ports:
            if self.port_range[0] <= port <= self.port_range[1]:
                self._ports.free(port - self.port_range[0])

    @staticmethod
    def _fail(name: str, field: str, value: Any, detail: str) -> NoReturn:
        raise invalid("Service", name, [invalid_value(field, value, detail)])


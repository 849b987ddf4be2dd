"""The API server's typed configuration, parsed once at the edge (CLI or test fixture)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kubelite.apiserver.context import Limits


@dataclass(frozen=True, slots=True)
class ApiServerConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 6443  # 0 picks a free port (tests)
    tls: bool = True
    extra_sans: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    write_kubeconfig: bool = True
    service_cidr: str = "10.96.0.0/12"

    def advertise_address(self) -> str:
        """The address in the ``kubernetes`` Service's endpoints: the listen address unless it is a
        wildcard or loopback, else the host's first non-loopback address (pods cannot reach
        loopback)."""
        import ipaddress

        from kubelite.apiserver.pki import host_addresses

        try:
            ip = ipaddress.ip_address(self.host)
            if not ip.is_loopback and not ip.is_unspecified:
                return self.host
        except ValueError:
            pass
        for address in host_addresses():
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                continue
            if ip.version == 4 and not ip.is_loopback:
                return address
        return "127.0.0.1"

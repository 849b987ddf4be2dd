"""Client settings, parsed once at the edge: which registries may be plain HTTP, where credentials
live, how many layers move at once, how often a transfer is retried."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path

# Docker Hub's API is not served at the name images use.
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"


@dataclass(frozen=True)
class ClientConfig:
    auth_file: Path
    insecure_registries: frozenset[str] = frozenset()
    insecure: bool = False  # --insecure: allow plain HTTP / unverified TLS for any registry
    max_concurrent: int = 3  # as dockerd: three layers at once
    retries: int = 5
    timeout: float = 300.0
    ca_file: Path | None = None
    # Docker's per-registry trust: <certs_dir>/<host[:port]>/ca.crt is trusted for that registry.
    certs_dir: Path | None = None

    def ca_for(self, host: str) -> Path | None:
        if self.certs_dir is not None:
            candidate = self.certs_dir / host / "ca.crt"
            if candidate.is_file():
                return candidate
        return self.ca_file

    def allows_insecure(self, host: str) -> bool:
        """Plain HTTP is allowed for loopback (as Docker does), named registries, or with --insecure."""
        if self.insecure or host in self.insecure_registries:
            return True
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 or host.startswith("[") else host
        name = name.strip("[]")
        if name == "localhost":
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False


def api_host(domain: str) -> str:
    return DOCKER_HUB_API if domain == DOCKER_HUB else domain


def load_config(root: str | Path, *, insecure: bool = False, extra_insecure: tuple[str, ...] = (),
                auth_file: Path | None = None) -> ClientConfig:
    """Settings from ``<root>/registries.json`` (``{"insecure-registries": [...]}``, Docker's key);
    credentials in ``<root>/auth.json``; CA certificates in ``<root>/certs.d/<host>/ca.crt``."""
    root = Path(root)
    registries: set[str] = set(extra_insecure)
    settings = root / "registries.json"
    if settings.is_file():
        try:
            doc = json.loads(settings.read_text())
        except ValueError as err:
            raise ValueError(f"{settings} is not valid JSON: {err}") from None
        registries.update(str(r) for r in doc.get("insecure-registries", []))
    return ClientConfig(auth_file=auth_file or root / "auth.json", insecure_registries=frozenset(registries),
                        insecure=insecure, certs_dir=root / "certs.d")


@dataclass
class Credentials:
    username: str
    password: str = field(repr=False)

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
    """Settings from ``<root>/registries.json`` (``{"insecure-registries": [...]}``, Docker's key)."""
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
                        insecure=insecure)


@dataclass
class Credentials:
    username: str
    password: str = field(repr=False)

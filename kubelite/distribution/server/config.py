"""The registry's typed configuration, parsed once at the edge (the CLI) and handed to ``build_app``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kubelite.distribution.manifests import MAX_MANIFEST_SIZE


@dataclass(frozen=True)
class ServerConfig:
    root: Path
    host: str = "127.0.0.1"
    port: int = 5000
    tls_cert: Path | None = None
    tls_key: Path | None = None
    htpasswd: Path | None = None
    # Set to enable the bearer-token flow; the registry serves the token endpoint at /token itself,
    # so the realm is usually http(s)://<this address>/token.
    token_realm: str | None = None
    token_service: str = "kubelite-registry"
    max_manifest_size: int = MAX_MANIFEST_SIZE
    delete_enabled: bool = True
    # Open upload sessions beyond this get TOOMANYREQUESTS rather than filling the disk.
    max_uploads: int = 1000

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

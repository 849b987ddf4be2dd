"""The dashboard's configuration, parsed once by the CLI."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field


def new_token() -> str:
    """The login token printed with the URL: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class DashboardConfig:
    """Where the dashboard listens and the token a browser must present once to log in.

    ``port`` 0 lets the kernel pick a free port (the URL printed says which)."""

    address: str = "127.0.0.1"
    port: int = 0
    token: str = field(default_factory=new_token)

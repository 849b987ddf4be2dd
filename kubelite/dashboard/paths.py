"""Which API paths the browser may name: collections and objects under ``/api`` and ``/apis``, never the
streaming subresources (logs and exec have their own endpoints) nor anything outside the API."""

from __future__ import annotations

import re

API_PATH = re.compile(r"^/(api|apis)(/[A-Za-z0-9][A-Za-z0-9._:-]*)+$")
STREAMING = frozenset({"log", "exec", "attach", "portforward", "proxy"})
NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def api_path(path: str) -> str | None:
    """``path`` when it is a plain API path the dashboard proxies, else None."""
    if not API_PATH.match(path) or ".." in path:
        return None
    if path.rsplit("/", 1)[-1] in STREAMING:
        return None
    return path


def valid_name(value: str) -> bool:
    """A DNS subdomain-like object name or namespace: safe to put into a path."""
    return bool(NAME.match(value)) and len(value) <= 253

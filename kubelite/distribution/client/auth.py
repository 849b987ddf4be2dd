"""Challenges, tokens and saved credentials.

A registry that wants auth answers 401 with ``WWW-Authenticate``: ``Basic realm=...`` (send the
saved user and password) or ``Bearer realm=...,service=...,scope=...`` (fetch a token from the realm,
with the saved credentials when there are any, then send ``Authorization: Bearer``). Credentials are
kept as Docker keeps them, ``{"auths": {"host": {"auth": base64("user:password")}}}`` in a 0600
file, so the same file works with ``skopeo --authfile``. Secrets never reach a log line.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from kubelite.distribution.client.config import Credentials

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "basic" or "bearer", lowercased
    params: dict[str, str]

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


def parse_challenge(header: str) -> Challenge | None:
    """The challenge in a ``WWW-Authenticate`` header (the first one, if several)."""
    header = header.strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    params = {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
              for m in _PARAM.finditer(rest)}
    return Challenge(scheme.lower(), params)


def basic_header(creds: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()


def _entry_credentials(entry: dict[str, object]) -> Credentials | None:
    user, password = entry.get("username"), entry.get("password")
    if isinstance(user, str) and isinstance(password, str) and user:
        return Credentials(user, password)
    auth = entry.get("auth")
    if not isinstance(auth, str):
        return None
    try:
        user, sep, password = base64.b64decode(auth).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return Credentials(user, password) if sep else None


class CredentialStore:
    """Saved logins per registry host, in Docker's ``config.json`` shape."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, object]:
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError as err:
            raise ValueError(f"credentials file {self.path} is not valid JSON: {err}") from None
        return doc if isinstance(doc, dict) else {}

    def get(self, host: str) -> Credentials | None:
        """The login for ``host``; keys may carry a scheme or path (``https://host/v1/``), Docker Hub
        may be saved under its legacy names, and an entry may hold ``auth`` or ``username`` and
        ``password`` (both shapes occur in Kubernetes ``dockerconfigjson`` pull secrets)."""
        auths = self._read().get("auths")
        if not isinstance(auths, dict):
            return None
        wanted = {host}
        if host in ("docker.io", "registry-1.docker.io", "index.docker.io"):
            wanted |= {"docker.io", "registry-1.docker.io", "index.docker.io"}
        for key, entry in auths.items():
            name = str(key).removeprefix("https://").removeprefix("http://").split("/", 1)[0]
            if name in wanted and isinstance(entry, dict):
                creds = _entry_credentials(entry)
                if creds is not None:
                    return creds
        return None

    def save(self, host: str, creds: Credentials) -> None:
        doc = self._read()
        auths = doc.setdefault("auths", {})
        assert isinstance(auths, dict)
        auths[host] = {"auth": base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()}
        self._write(doc)

    def remove(self, host: str) -> bool:
        doc = self._read()
        auths = doc.get("auths")
        if not isinstance(auths, dict) or host not in auths:
            return False
        del auths[host]
        self._write(doc)
        return True

    def _write(self, doc: dict[str, object]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=2)
        os.replace(tmp, self.path)

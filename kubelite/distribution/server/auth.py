"""Who may do what: htpasswd users, signed bearer tokens, and the scope a request needs.

Three modes, chosen by the serve flags: no auth (the loopback default); Basic auth against an
htpasswd file; and the bearer-token flow public registries use, where a 401 names a token
``realm`` and the ``scope`` wanted, the client fetches a token there (with Basic credentials when
an htpasswd file is set), and retries with ``Authorization: Bearer``. Tokens are compact JWTs
signed with HMAC-SHA256 by a key only this server knows, carrying the granted access list.

Only bcrypt hashes (``htpasswd -B``) are accepted: MD5-crypt, SHA1 and crypt(3) entries are
rejected when the file is loaded, with the user named, rather than silently never matching.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACTIONS = ("pull", "push", "delete")


class HtpasswdError(ValueError):
    """The htpasswd file cannot be used as it is (unsupported hash format, malformed line)."""


@dataclass(frozen=True)
class Scope:
    """One access request: ``repository:<name>:<actions>`` (or ``registry:catalog:*``)."""

    type: str
    name: str
    actions: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(self.actions)}"

    @classmethod
    def parse(cls, text: str) -> Scope | None:
        # Names never contain ':' but the type may carry a "(plugin)" suffix we ignore; split from
        # both ends so a name with a port-like part cannot confuse the parse.
        first, sep, rest = text.partition(":")
        name, sep2, actions = rest.rpartition(":")
        if not sep or not sep2 or not name:
            return None
        return cls(first, name, tuple(a for a in actions.split(",") if a))


def load_htpasswd(path: Path) -> dict[str, bytes]:
    """``{user: bcrypt hash}`` from an htpasswd file; HtpasswdError names a bad line's user."""
    users: dict[str, bytes] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep or not user:
            raise HtpasswdError(f"{path}:{number}: expected user:hash")
        if not hashed.startswith(("$2y$", "$2a$", "$2b$")):
            kind = "MD5-crypt" if hashed.startswith("$apr1$") else (
                "SHA1" if hashed.startswith("{SHA}") else "crypt or plain text")
            raise HtpasswdError(f"{path}:{number}: user {user!r} has a {kind} hash; only bcrypt is "
                                "supported (create it with `htpasswd -B`)")
        users[user] = hashed.encode()
    return users


@dataclass
class Htpasswd:
    """Checks Basic credentials; bcrypt is deliberately slow, so a verified pair is remembered
    (by a salted hash of the pair, never the password itself) for the life of the process."""

    users: dict[str, bytes]
    _verified: set[bytes] = field(default_factory=set)
    _salt: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    def check(self, user: str, password: str) -> bool:
        import bcrypt

        hashed = self.users.get(user)
        if hashed is None:
            return False
        key = hashlib.sha256(self._salt + user.encode() + b"\0" + password.encode() + hashed).digest()
        if key in self._verified:
            return True
        # htpasswd writes $2y$, which the bcrypt package reads as the equivalent $2b$.
        normalised = b"$2b$" + hashed[4:] if hashed.startswith(b"$2y$") else hashed
        try:
            ok = bcrypt.checkpw(password.encode(), normalised)
        except ValueError:
            return False
        if ok:
            self._verified.add(key)
        return ok


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic`` header, or None."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class TokenIssuer:
    """Signs and verifies bearer tokens for one ``service``."""

    service: str
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    lifetime: int = 300

    def issue(self, subject: str, granted: list[Scope], now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {"iss": "kubelite-registry", "sub": subject, "aud": self.service, "iat": issued,
                  "nbf": issued - 1, "exp": issued + self.lifetime,
                  "access": [{"type": s.type, "name": s.name, "actions": list(s.actions)} for s in granted]}
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = hmac.new(self.key, signing.encode(), hashlib.sha256).digest()
        return f"{signing}.{_b64(signature)}"

    def verify(self, token: str, now: float | None = None) -> dict[str, Any] | None:
        """The claims of a token we signed that is still valid for this service, else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                return None
            claims: dict[str, Any] = json.loads(_unb64(parts[1]))
        except (ValueError, binascii.Error):
            return None
        moment = now if now is not None else time.time()
        if claims.get("aud") != self.service or not claims.get("nbf", 0) <= moment < claims.get("exp", 0):
            return None
        return claims


def allows(claims: dict[str, Any], needed: Scope) -> bool:
    """Whether a token's access list covers every action ``needed`` asks for."""
    for entry in claims.get("access", []):
        if entry.get("type") == needed.type and entry.get("name") == needed.name:
            granted = set(entry.get("actions", []))
            if "*" in granted or set(needed.actions) <= granted:
                return True
    return False


def grant(requested: list[Scope], *, authenticated: bool, anonymous_allowed: bool) -> list[Scope]:
    """What the token endpoint hands out: everything asked to a known user (or to anyone when no
    user list is configured), nothing to an anonymous caller when users are configured."""
    if not (authenticated or anonymous_allowed):
        return []
    out = []
    for s in requested:
        if s.type == "repository":
            actions = tuple(a for a in s.actions if a in ACTIONS or a == "*")
            out.append(Scope(s.type, s.name, actions))
        elif s.type == "registry" and s.name == "catalog":
            out.append(Scope(s.type, s.name, ("*",)))
    return out

"""ServiceAccount tokens: RS256 JWTs signed with the server's key, verifiable by anyone holding sa.pub.

The claims follow Kubernetes' bound tokens (``iss``, ``sub=system:serviceaccount:<ns>:<name>``, ``aud``,
``iat``/``nbf``/``exp`` and the ``kubernetes.io`` block), so in-cluster clients that decode them see what
they expect. Written with ``cryptography`` directly: a JWT is three base64url parts and one signature.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ISSUER = "https://kubernetes.default.svc.cluster.local"


class TokenError(Exception):
    """The token is malformed, badly signed, or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class ServiceAccountRef:
    namespace: str
    name: str
    uid: str = ""

    @property
    def username(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.name}"


class TokenSigner:
    """Signs and verifies ServiceAccount JWTs with one RSA key pair."""

    def __init__(self, private_pem: bytes | None, public_pem: bytes, *, issuer: str = ISSUER) -> None:
        key = serialization.load_pem_private_key(private_pem, None) if private_pem else None
        if key is not None and not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("ServiceAccount signing key must be RSA")
        pub = serialization.load_pem_public_key(public_pem)
        if not isinstance(pub, rsa.RSAPublicKey):
            raise ValueError("ServiceAccount public key must be RSA")
        self._key = key
        self._pub = pub
        self.issuer = issuer

    def sign(self, sa: ServiceAccountRef, *, audiences: list[str] | None = None,
             expires_in: int = 3600, now: float | None = None) -> str:
        if self._key is None:
            raise TokenError("no signing key")
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sa.username,
            "aud": audiences or [self.issuer],
            "iat": issued,
            "nbf": issued,
            "exp": issued + expires_in,
            "kubernetes.io": {"namespace": sa.namespace, "serviceaccount": {"name": sa.name, "uid": sa.uid}},
        }
        header = _b64(orjson.dumps({"alg": "RS256", "typ": "JWT"}))
        payload = _b64(orjson.dumps(claims))
        signing_input = f"{header}.{payload}".encode()
        signature = self._key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{_b64(signature)}"

    def verify(self, token: str, *, now: float | None = None) -> dict[str, Any]:
        """The claims of a valid token; :class:`TokenError` otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenError("not a JWT")
        try:
            header = orjson.loads(_unb64(parts[0]))
            claims = orjson.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except (ValueError, orjson.JSONDecodeError) as err:
            raise TokenError(f"malformed token: {err}") from None
        if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
            raise TokenError("unsupported token")
        try:
            self._pub.verify(signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(),
                             hashes.SHA256())
        except InvalidSignature:
            raise TokenError("bad signature") from None
        current = now if now is not None else time.time()
        exp = claims.get("exp")
        if isinstance(exp, int | float) and current > exp:
            raise TokenError("token expired")
        if claims.get("iss") != self.issuer:
            raise TokenError("wrong issuer")
        return claims

"""The API server's key material, generated once into the data directory and reused after.

HTTPS is the default, as in Kubernetes, so a first start must produce everything a client needs without
an operator: a CA, a serving certificate whose SANs cover every name the server is reached by (loopback,
the host's addresses and the in-cluster ``kubernetes`` Service names), an admin client certificate, an
admin bearer token (kubectl prompts for a username when a kubeconfig holds no credential) and the RSA key
that signs ServiceAccount tokens.

On-disk layout (all PEM; keys and the token are mode 0600)::

    DATA_DIR/pki/
      ca.crt  ca.key              self-signed CA, 10 years
      apiserver.crt  apiserver.key  serving certificate signed by the CA
      admin.crt  admin.key        client certificate, CN=admin, O=system:masters
      sa.key  sa.pub              ServiceAccount token signing key pair (RS256)
      admin.token                 the admin bearer token (random, urlsafe)

Files already present are kept, so restarts keep the same identity and clients stay valid.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVICE_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)
DEFAULT_SERVICE_IP = "10.96.0.1"


@dataclass(frozen=True, slots=True)
class Pki:
    """Paths of the generated material (see the module docstring for the layout)."""

    dir: Path

    @property
    def ca_cert(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.dir / "ca.key"

    @property
    def serving_cert(self) -> Path:
        return self.dir / "apiserver.crt"

    @property
    def serving_key(self) -> Path:
        return self.dir / "apiserver.key"

    @property
    def admin_cert(self) -> Path:
        return self.dir / "admin.crt"

    @property
    def admin_key(self) -> Path:
        return self.dir / "admin.key"

    @property
    def sa_key(self) -> Path:
        return self.dir / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.dir / "sa.pub"

    @property
    def admin_token_file(self) -> Path:
        return self.dir / "admin.token"

    def admin_token(self) -> str:
        return self.admin_token_file.read_text().strip()


def host_addresses() -> list[str]:
    """The host's own IP addresses, best effort (for the serving certificate's SANs)."""
    found = {"127.0.0.1", "::1"}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(str(info[4][0]))
    except OSError:
        pass
    return sorted(found)


def _write(path: Path, data: bytes, *, private: bool) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
             days: int) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _san(extra: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVICE_NAMES]
    hostname = socket.gethostname()
    if hostname and hostname not in SERVICE_NAMES:
        names.append(x509.DNSName(hostname))
    seen: set[str] = set()
    for value in [*host_addresses(), DEFAULT_SERVICE_IP, *extra]:
        if value in seen:
            continue
        seen.add(value)
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(value)))
        except ValueError:
            names.append(x509.DNSName(value))
    return x509.SubjectAlternativeName(names)


def ensure_pki(data_dir: Path, *, extra_sans: list[str] | None = None) -> Pki:
    """Create whatever of the layout is missing under ``data_dir/pki`` and return its paths."""
    pki = Pki(data_dir / "pki")
    pki.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not pki.ca_cert.exists() or not pki.ca_key.exists():
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("kubelite-ca")
        ca_cert = (
            _builder(ca_name, ca_name, ca_key.public_key(), 3650)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        _write(pki.ca_key, _key_pem(ca_key), private=True)
        _write(pki.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), private=False)
        for stale in (pki.serving_cert, pki.admin_cert):
            stale.unlink(missing_ok=True)
    ca_key_loaded = serialization.load_pem_private_key(pki.ca_key.read_bytes(), None)
    assert isinstance(ca_key_loaded, ec.EllipticCurvePrivateKey)
    ca_cert_loaded = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    if not pki.serving_cert.exists() or not pki.serving_key.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(_name("kube-apiserver"), ca_cert_loaded.subject, key.public_key(), 3650)
            .add_extension(_san(extra_sans or []), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key_loaded, hashes.SHA256())
        )
        _write(pki.serving_key, _key_pem(key), private=True)
        _write(pki.serving_cert, cert.public_bytes(serialization.Encoding.PEM), private=False)
    if not pki.admin_cert.exists() or not pki.admin_key.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(_name("admin", "system:masters"), ca_cert_loaded.subject, key.public_key(), 3650)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key_loaded, hashes.SHA256())
        )
        _write(pki.admin_key, _key_pem(key), private=True)
        _write(pki.admin_cert, cert.public_bytes(serialization.Encoding.PEM), private=False)
    if not pki.sa_key.exists() or not pki.sa_pub.exists():
        sa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write(pki.sa_key, _key_pem(sa), private=True)
        pub = sa.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        _write(pki.sa_pub, pub, private=False)
    if not pki.admin_token_file.exists():
        _write(pki.admin_token_file, secrets.token_urlsafe(32).encode() + b"\n", private=True)
    return pki

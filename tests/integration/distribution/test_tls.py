"""The registry over TLS (``--tls-cert/--tls-key``) and the client's HTTPS-first scheme choice."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kubelite.distribution.client.config import ClientConfig
from kubelite.distribution.client.transport import Transport, TransportError
from kubelite.distribution.server.app import serve
from kubelite.distribution.server.config import ServerConfig

pytestmark = pytest.mark.integration


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_tls_registry_and_https_first(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    port = _port()
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(ServerConfig(root=tmp_path / "reg", port=port, tls_cert=cert, tls_key=key),
                                     ready=ready, stop=stop))
    await asyncio.wait_for(ready.wait(), 10)
    try:
        # a client that trusts the CA (Docker's certs.d layout) verifies and speaks HTTPS
        certs = tmp_path / "certs.d" / f"localhost:{port}"
        certs.mkdir(parents=True)
        (certs / "ca.crt").write_bytes(cert.read_bytes())
        import ssl

        ctx = ssl.create_default_context(cafile=str(cert))
        async with aiohttp.ClientSession() as http, http.get(f"https://localhost:{port}/v2/", ssl=ctx) as r:
            assert r.status == 200
        config = ClientConfig(auth_file=tmp_path / "auth.json", certs_dir=tmp_path / "certs.d")
        async with Transport(f"localhost:{port}", config) as t:
            assert await t.base_url() == f"https://localhost:{port}"
        # plain HTTP to a TLS port fails with one clear line, naming the registry
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/v2/") as r:
                    await r.read()
    finally:
        stop.set()
        await task


async def test_unreachable_registry_is_one_line(tmp_path: Path) -> None:
    config = ClientConfig(auth_file=tmp_path / "auth.json", retries=0)
    async with Transport("registry.invalid:5000", config) as t:
        with pytest.raises(TransportError) as info:
            await t.base_url()
    message = str(info.value)
    assert message.startswith("cannot reach registry registry.invalid:5000") and "\n" not in message
    assert "--insecure" in message  # not loopback: HTTPS only, and the hint says how to allow HTTP

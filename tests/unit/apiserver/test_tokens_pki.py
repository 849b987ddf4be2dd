from pathlib import Path

import pytest
from cryptography import x509

from kubelite.apiserver.kubeconfig import kubeconfig_text
from kubelite.apiserver.pki import ensure_pki
from kubelite.apiserver.tokens import ServiceAccountRef, TokenError, TokenSigner

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    ensure_pki(d)
    return d


def test_pki_is_generated_once_and_kept(pki_dir: Path) -> None:
    pki = ensure_pki(pki_dir)
    before = pki.serving_cert.read_bytes(), pki.admin_token()
    again = ensure_pki(pki_dir)
    assert (again.serving_cert.read_bytes(), again.admin_token()) == before
    assert oct(pki.serving_key.stat().st_mode & 0o777) == "0o600"


def test_serving_certificate_sans(pki_dir: Path) -> None:
    cert = x509.load_pem_x509_certificate((pki_dir / "pki" / "apiserver.crt").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = set(san.get_values_for_type(x509.DNSName))
    ips = {str(i) for i in san.get_values_for_type(x509.IPAddress)}
    assert {"localhost", "kubernetes", "kubernetes.default.svc"} <= dns
    assert "kubernetes.default.svc.cluster.local" in dns
    assert {"127.0.0.1", "10.96.0.1"} <= ips


def test_service_account_token_round_trip(pki_dir: Path) -> None:
    pki = ensure_pki(pki_dir)
    signer = TokenSigner(pki.sa_key.read_bytes(), pki.sa_pub.read_bytes())
    token = signer.sign(ServiceAccountRef("default", "builder", "u1"), now=1000.0, expires_in=600)
    claims = signer.verify(token, now=1100.0)
    assert claims["sub"] == "system:serviceaccount:default:builder"
    assert claims["kubernetes.io"]["serviceaccount"]["uid"] == "u1"
    verifier = TokenSigner(None, pki.sa_pub.read_bytes())
    assert verifier.verify(token, now=1100.0)["exp"] == 1600
    with pytest.raises(TokenError, match="expired"):
        signer.verify(token, now=2000.0)
    head, body, sig = token.split(".")
    with pytest.raises(TokenError):
        signer.verify(f"{head}.{body}x.{sig}", now=1100.0)
    with pytest.raises(TokenError):
        signer.verify("not-a-jwt")


def test_kubeconfig_has_a_token() -> None:
    text = kubeconfig_text("https://127.0.0.1:6443", "tok", ca_pem=b"pem")
    assert "token: tok" in text and "certificate-authority-data" in text

"""The client's pure parts: challenges, saved credentials, which registries may be plain HTTP."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

from kubelite.distribution.client.auth import CredentialStore, basic_header, parse_challenge
from kubelite.distribution.client.config import ClientConfig, Credentials, api_host, load_config

pytestmark = pytest.mark.unit


def test_parse_bearer_challenge() -> None:
    c = parse_challenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                        'scope="repository:library/busybox:pull,push"')
    assert c is not None and c.scheme == "bearer"
    assert c.realm == "https://auth.docker.io/token"
    assert c.params["service"] == "registry.docker.io"
    assert c.params["scope"] == "repository:library/busybox:pull,push"  # the comma inside quotes stays


def test_parse_basic_and_odd_challenges() -> None:
    c = parse_challenge('Basic realm="Registry Realm"')
    assert c is not None and c.scheme == "basic" and c.realm == "Registry Realm"
    c = parse_challenge("Bearer realm=http://x/token, error=invalid_token")
    assert c is not None and c.realm == "http://x/token" and c.params["error"] == "invalid_token"
    assert parse_challenge("") is None


def test_basic_header() -> None:
    assert basic_header(Credentials("u", "p:w")) == "Basic " + base64.b64encode(b"u:p:w").decode()


def test_credential_store(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "sub" / "auth.json")
    assert store.get("r.example") is None
    store.save("r.example", Credentials("alice", "pw"))
    store.save("localhost:5000", Credentials("bob", "x"))
    assert store.get("r.example") == Credentials("alice", "pw")
    doc = json.loads((tmp_path / "sub" / "auth.json").read_text())
    assert set(doc["auths"]) == {"r.example", "localhost:5000"}
    assert (tmp_path / "sub" / "auth.json").stat().st_mode & 0o777 == 0o600
    assert store.remove("r.example") and not store.remove("r.example")
    assert store.get("r.example") is None and store.get("localhost:5000") is not None
    # Docker writes Docker Hub as https://index.docker.io/v1/; pull secrets may use username/password
    hub = base64.b64encode(b"hubuser:hubpw").decode()
    (tmp_path / "d.json").write_text(json.dumps({"auths": {
        "https://index.docker.io/v1/": {"auth": hub},
        "http://reg.lan:5000": {"username": "u", "password": "p", "auth": "ignored"},
        "empty.example": {}}, "credsStore": "x"}))
    docker = CredentialStore(tmp_path / "d.json")
    assert docker.get("docker.io") == Credentials("hubuser", "hubpw")
    assert docker.get("reg.lan:5000") == Credentials("u", "p")
    assert docker.get("empty.example") is None and docker.get("reg.lan") is None
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        CredentialStore(tmp_path / "bad.json").get("x")


@pytest.mark.parametrize("host,allowed", [("localhost:5000", True), ("127.0.0.1:5000", True),
                                          ("127.5.5.5", True), ("[::1]:5000", True), ("::1", True),
                                          ("registry.example:5000", False), ("10.0.0.1:5000", False),
                                          ("docker.io", False)])
def test_insecure_defaults(tmp_path: Path, host: str, allowed: bool) -> None:
    assert ClientConfig(auth_file=tmp_path / "a").allows_insecure(host) is allowed


def test_insecure_settings(tmp_path: Path) -> None:
    (tmp_path / "registries.json").write_text(json.dumps({"insecure-registries": ["reg.lan:5000"]}))
    config = load_config(tmp_path)
    assert config.allows_insecure("reg.lan:5000") and not config.allows_insecure("reg.lan:5001")
    assert config.auth_file == tmp_path / "auth.json"
    assert load_config(tmp_path, insecure=True).allows_insecure("anything.example")
    (tmp_path / "registries.json").write_text("nope")
    with pytest.raises(ValueError, match=r"registries\.json"):
        load_config(tmp_path)


def test_certs_dir(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.ca_for("reg:5000") is None
    (tmp_path / "certs.d" / "reg:5000").mkdir(parents=True)
    (tmp_path / "certs.d" / "reg:5000" / "ca.crt").write_text("pem")
    assert config.ca_for("reg:5000") == tmp_path / "certs.d" / "reg:5000" / "ca.crt"


def test_api_host() -> None:
    assert api_host("docker.io") == "registry-1.docker.io"
    assert api_host("localhost:5000") == "localhost:5000"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_reporters() -> None:
    from kubelite.distribution.client.progress import LineReporter, NullReporter, RichReporter, reporter_for

    digest = "sha256:" + "ab" * 32
    plain = io.StringIO()
    assert isinstance(reporter_for(plain), LineReporter)
    assert isinstance(reporter_for(plain, quiet=True), NullReporter)
    line = reporter_for(plain)
    line.start(digest, 10, "Downloading")
    line.done(digest, "Pull complete")
    assert plain.getvalue() == "abababababab: Pull complete\n"
    term = _Terminal()
    bars = reporter_for(term)
    assert isinstance(bars, RichReporter)
    bars.start(digest, 1000, "Downloading")
    bars.advance(digest, 500)
    bars.done(digest, "Pull complete")
    bars.close()
    assert "abababababab" in term.getvalue() and "Pull complete" in term.getvalue()


def test_resume_accepts_only_a_matching_content_range() -> None:
    from kubelite.distribution.client.pull import _resumes_at

    assert _resumes_at(206, "bytes 100-199/200", 100)
    assert not _resumes_at(206, "bytes 0-199/200", 100)
    assert not _resumes_at(200, None, 100)
    assert not _resumes_at(206, None, 100)
    assert not _resumes_at(206, "items 100-199/200", 100)

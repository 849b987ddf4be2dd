"""htpasswd loading and checking, bearer tokens, scopes and grants."""

from __future__ import annotations

import base64
from pathlib import Path

import bcrypt
import pytest

from kubelite.distribution.server.auth import (
    Htpasswd,
    HtpasswdError,
    Scope,
    TokenIssuer,
    allows,
    grant,
    load_htpasswd,
    parse_basic,
)

pytestmark = pytest.mark.unit


def _hash(password: str) -> str:
    # htpasswd -B writes $2y$; write it that way to prove we read it.
    return "$2y$" + bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()[4:]


def test_htpasswd_bcrypt(tmp_path: Path) -> None:
    f = tmp_path / "htpasswd"
    f.write_text(f"# users\nalice:{_hash('s3cret')}\n\nbob:{_hash('pw')}\n")
    users = Htpasswd(load_htpasswd(f))
    assert users.check("alice", "s3cret")
    assert users.check("alice", "s3cret")  # the remembered path
    assert not users.check("alice", "wrong")
    assert not users.check("carol", "s3cret")
    assert users.check("bob", "pw")


@pytest.mark.parametrize("line,kind", [("u:$apr1$abc$def", "MD5-crypt"), ("u:{SHA}abc=", "SHA1"),
                                       ("u:plaintext", "crypt or plain text")])
def test_htpasswd_rejects_other_formats(tmp_path: Path, line: str, kind: str) -> None:
    f = tmp_path / "htpasswd"
    f.write_text(line + "\n")
    with pytest.raises(HtpasswdError, match=kind):
        load_htpasswd(f)


def test_htpasswd_malformed(tmp_path: Path) -> None:
    f = tmp_path / "htpasswd"
    f.write_text("no-colon\n")
    with pytest.raises(HtpasswdError, match="user:hash"):
        load_htpasswd(f)


def test_parse_basic() -> None:
    assert parse_basic("Basic " + base64.b64encode(b"u:p:q").decode()) == ("u", "p:q")
    assert parse_basic("basic " + base64.b64encode(b"nocolon").decode()) is None
    assert parse_basic("Basic !!!") is None
    assert parse_basic("Bearer x") is None
    assert parse_basic(None) is None


def test_scope_parse() -> None:
    assert Scope.parse("repository:a/b:pull,push") == Scope("repository", "a/b", ("pull", "push"))
    assert Scope.parse("registry:catalog:*") == Scope("registry", "catalog", ("*",))
    assert Scope.parse("nonsense") is None
    assert str(Scope("repository", "x", ("pull",))) == "repository:x:pull"


def test_tokens() -> None:
    issuer = TokenIssuer("svc", lifetime=60)
    token = issuer.issue("alice", [Scope("repository", "a", ("pull", "push"))], now=1000)
    claims = issuer.verify(token, now=1010)
    assert claims is not None and claims["sub"] == "alice"
    assert allows(claims, Scope("repository", "a", ("pull",)))
    assert allows(claims, Scope("repository", "a", ("pull", "push")))
    assert not allows(claims, Scope("repository", "a", ("delete",)))
    assert not allows(claims, Scope("repository", "b", ("pull",)))
    assert issuer.verify(token, now=1061) is None  # expired
    assert TokenIssuer("svc").verify(token, now=1010) is None  # another key
    assert TokenIssuer("other", key=issuer.key).verify(token, now=1010) is None  # another audience
    head, body, sig = token.split(".")
    assert issuer.verify(f"{head}.{body}x.{sig}", now=1010) is None  # tampered
    assert issuer.verify("garbage", now=1010) is None


def test_grant() -> None:
    asked = [Scope("repository", "a", ("pull", "push", "bogus")), Scope("registry", "catalog", ("*",)),
             Scope("weird", "x", ("pull",))]
    assert grant(asked, authenticated=True, anonymous_allowed=False) == [
        Scope("repository", "a", ("pull", "push")), Scope("registry", "catalog", ("*",))]
    assert grant(asked, authenticated=False, anonymous_allowed=False) == []
    assert len(grant(asked, authenticated=False, anonymous_allowed=True)) == 2

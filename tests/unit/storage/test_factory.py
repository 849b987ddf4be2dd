"""open_storage(url): each scheme, and a clear error for everything else (no I/O: construction only)."""

from __future__ import annotations

import pytest

from kubelite.storage import InvalidDatastoreURLError, open_storage
from kubelite.storage.etcd import EtcdStorage
from kubelite.storage.memory import MemoryStorage
from kubelite.storage.sqlite import SQLiteStorage

pytestmark = pytest.mark.unit


def test_memory_and_sqlite() -> None:
    assert isinstance(open_storage("memory://"), MemoryStorage)
    s = open_storage("sqlite:///var/lib/kubelite/state.db")
    assert isinstance(s, SQLiteStorage)
    assert s._config.path == "/var/lib/kubelite/state.db"
    four = open_storage("sqlite:////var/lib/kubelite/state.db")
    assert isinstance(four, SQLiteStorage) and four._config.path == "/var/lib/kubelite/state.db"


def test_etcd_endpoints_and_tls() -> None:
    s = open_storage("etcd://127.0.0.1:2379,127.0.0.1:22379")
    assert isinstance(s, EtcdStorage)
    assert s._config.endpoints == ("127.0.0.1:2379", "127.0.0.1:22379")
    assert s._config.tls is False
    t = open_storage("etcds://10.0.0.1:2379?cacert=/ca.pem&cert=/c.pem&key=/k.pem")
    assert isinstance(t, EtcdStorage)
    assert t._config.tls is True
    assert (t._config.ca_file, t._config.cert_file, t._config.key_file) == ("/ca.pem", "/c.pem", "/k.pem")


@pytest.mark.parametrize(("url", "message"), [
    ("state.db", "expected sqlite:///abs/path.db"),
    ("sqlite://relative.db", "absolute file path"),
    ("sqlite:///var/lib/", "absolute file path"),
    ("etcd://", "no endpoints"),
    ("etcd://127.0.0.1", "need host:port"),
    ("etcd://127.0.0.1:notaport", "need host:port"),
    ("etcd://127.0.0.1:99999", "need host:port"),
    ("postgres://db:5432/k8s", "unknown datastore scheme 'postgres'"),
])
def test_bad_urls_are_clear_errors(url: str, message: str) -> None:
    with pytest.raises(InvalidDatastoreURLError, match=message):
        open_storage(url)

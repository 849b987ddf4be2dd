"""``open_storage(url)``: the one place a datastore URL becomes a backend (constructed, not started).

Accepted URLs, as ``kubelite server --datastore-endpoint`` takes them:

- ``sqlite:///abs/path/state.db`` (the default; the path must be absolute)
- ``etcd://host:port[,host:port...]``, or ``etcds://...`` for TLS, with optional query parameters
  ``cacert``, ``cert``, ``key`` (file paths) for TLS
- ``memory://`` (tests; nothing is durable)
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from kubelite.base.clock import Clock
from kubelite.storage.interface import Storage, StorageError


class InvalidDatastoreURLError(StorageError):
    """The datastore URL is malformed or names an unknown scheme."""


def open_storage(url: str, *, clock: Clock | None = None) -> Storage:
    """A backend for ``url``; call ``await storage.start()`` before use."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise InvalidDatastoreURLError(
            f"invalid datastore URL {url!r}: expected sqlite:///abs/path.db, etcd://host:port[,...] "
            "or memory://")
    scheme = scheme.lower()
    if scheme == "memory":
        from kubelite.storage.memory import MemoryStorage

        return MemoryStorage(clock=clock)
    if scheme == "sqlite":
        from kubelite.storage.sqlite import SQLiteConfig, SQLiteStorage

        path = rest.split("?", 1)[0]
        if path.startswith("/"):  # sqlite:///abs and SQLAlchemy's sqlite:////abs mean the same file
            path = "/" + path.lstrip("/")
        if not path.startswith("/") or path.endswith("/"):
            raise InvalidDatastoreURLError(
                f"invalid sqlite URL {url!r}: need an absolute file path, as in sqlite:///var/lib/kubelite/state.db")
        return SQLiteStorage(SQLiteConfig(path), clock=clock)
    if scheme in ("etcd", "etcds", "http", "https"):
        from kubelite.storage.etcd import EtcdConfig, EtcdStorage

        parts = urlsplit(f"{scheme}://{rest}")
        endpoints = [e.strip() for e in parts.netloc.split(",") if e.strip()]
        if not endpoints:
            raise InvalidDatastoreURLError(f"invalid etcd URL {url!r}: no endpoints")
        for ep in endpoints:
            host, _, port = ep.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise InvalidDatastoreURLError(f"invalid etcd endpoint {ep!r} in {url!r}: need host:port")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        tls = scheme in ("etcds", "https") or "cacert" in query
        return EtcdStorage(EtcdConfig(endpoints=tuple(endpoints), tls=tls, ca_file=query.get("cacert"),
                                      cert_file=query.get("cert"), key_file=query.get("key")))
    raise InvalidDatastoreURLError(
        f"unknown datastore scheme {scheme!r} in {url!r}: use sqlite://, etcd:// or memory://")

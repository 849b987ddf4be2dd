"""The gRPC side of the etcd backend: a channel aetcd would not build, and errors in our vocabulary.

aetcd 1.0 connects to one ``host:port``, without TLS and with gRPC's 4 MiB receive limit (a list of
10,000 pods is ~22 MB). :class:`EtcdClient` keeps aetcd's client (its stubs and helpers) but overrides
``connect`` to open one channel over every endpoint (``round_robin``, so losing a member only fails
the calls in flight on it), with optional TLS and raised message limits.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import aetcd
import grpc
from aetcd import rpc

from kubelite.storage.compactor import CompactionConfig
from kubelite.storage.interface import (
    CompactedError,
    FutureRevisionError,
    StorageError,
    TooLargeError,
    UnavailableError,
)

MAX_MESSAGE = 512 * 1024 * 1024


@dataclass(frozen=True)
class EtcdConfig:
    endpoints: tuple[str, ...] = ("127.0.0.1:2379",)  # host:port of each member
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None  # client certificate, for etcd's --client-cert-auth
    key_file: str | None = None
    timeout: float = 10.0  # seconds per call
    watch_resume_for: float = 30.0  # seconds a broken watch keeps trying to resume before failing
    watch_buffer: int = 10_000  # events a watcher may lag before it re-reads (ring, else its own stream)
    compaction: CompactionConfig = field(default_factory=CompactionConfig)


def channel_target(endpoints: tuple[str, ...]) -> str:
    """One gRPC target for all endpoints: an address list when they are IPs, else DNS of the first."""
    hosts = []
    for ep in endpoints:
        host, _, port = ep.rpartition(":")
        host = host.strip("[]")
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            if len(endpoints) == 1:
                return f"dns:///{ep}"
            raise StorageError(f"several etcd endpoints must be IP addresses, got {ep!r}") from None
        hosts.append((ip, port))
    if all(ip.version == 4 for ip, _ in hosts):
        return "ipv4:" + ",".join(f"{ip}:{port}" for ip, port in hosts)
    return "ipv6:" + ",".join(f"[{ip}]:{port}" for ip, port in hosts)


def _read(path: str | None) -> bytes | None:
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


class EtcdClient(aetcd.Client):  # type: ignore[misc]
    def __init__(self, config: EtcdConfig) -> None:
        super().__init__(timeout=config.timeout)
        self.config = config
        self.watchstub: Any = None

    async def connect(self) -> None:
        if self._connected.is_set():
            return
        cfg = self.config
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.lb_policy_name", "round_robin"),
            ("grpc.keepalive_time_ms", 10_000),
            ("grpc.keepalive_timeout_ms", 5_000),
        ]
        target = channel_target(cfg.endpoints)
        if cfg.tls:
            creds = grpc.ssl_channel_credentials(root_certificates=_read(cfg.ca_file),
                                                 private_key=_read(cfg.key_file),
                                                 certificate_chain=_read(cfg.cert_file))
            self.channel = rpc.secure_channel(target, creds, options=options)
        else:
            self.channel = rpc.insecure_channel(target, options=options)
        self.kvstub = rpc.KVStub(self.channel)
        self.clusterstub = rpc.ClusterStub(self.channel)
        self.leasestub = rpc.LeaseStub(self.channel)
        self.maintenancestub = rpc.MaintenanceStub(self.channel)
        self.watchstub = rpc.WatchStub(self.channel)
        self._connected.set()

    async def close(self) -> None:
        if self.channel is not None:
            await self.channel.close()
            self._init_channel_attrs()
        self._connected.clear()


_TRANSIENT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
              grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED}


def is_transient(error: grpc.aio.AioRpcError) -> bool:
    details = error.details() or ""
    return error.code() in _TRANSIENT or "leader" in details or "timed out" in details


def translate(error: grpc.aio.AioRpcError, *, requested: int = 0, compacted: int = 0) -> StorageError:
    """etcd's gRPC error as one of ours (transient ones as :class:`UnavailableError`)."""
    details = error.details() or ""
    if "required revision has been compacted" in details:
        return CompactedError(requested, max(compacted, requested + 1))
    if "future revision" in details:
        return FutureRevisionError(f"revision {requested} is newer than etcd's: {details}")
    if "request is too large" in details or "larger than max" in details:
        return TooLargeError(f"etcd rejected the request: {details}")
    if is_transient(error):
        return UnavailableError(f"etcd unavailable: {error.code().name}: {details}")
    return StorageError(f"etcd error {error.code().name}: {details}")

"""etcd-specific behaviour: TLS with client certificates, several endpoints, errors in our vocabulary."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kubelite.storage import open_storage
from kubelite.storage.etcd import EtcdConfig, EtcdStorage
from kubelite.storage.interface import CompactedError, TooLargeError, UnavailableError
from kubelite.testing.etcd import EtcdCluster

pytestmark = pytest.mark.integration


async def test_tls_with_client_certificates() -> None:
    cluster = EtcdCluster(1, tls=True)
    await asyncio.to_thread(cluster.start)
    try:
        store = open_storage(cluster.url)
        await store.start()
        try:
            kv = await store.create("/tls/a", b"secret")
            got = await store.get("/tls/a")
            assert got is not None and got.mod_revision == kv.mod_revision
        finally:
            await store.close()
        # Without the client certificate the server refuses us: a clear, transient-looking error.
        assert cluster.tls is not None
        plain = EtcdStorage(EtcdConfig(endpoints=tuple(cluster.endpoints), tls=True, ca_file=str(cluster.tls.ca),
                                       timeout=1.0))
        with pytest.raises(UnavailableError, match="cannot reach etcd"):
            await plain.start()
    finally:
        await asyncio.to_thread(cluster.stop)


async def test_unreachable_etcd_is_a_clear_error() -> None:
    from kubelite.testing.etcd import free_port

    store = EtcdStorage(EtcdConfig(endpoints=(f"127.0.0.1:{free_port()}",), timeout=1.0))
    with pytest.raises(UnavailableError, match=r"cannot reach etcd at 127\.0\.0\.1"):
        await store.start()


@pytest.fixture(scope="module")
def etcd() -> object:
    with EtcdCluster(1) as cluster:
        yield cluster


async def test_errors_map_to_the_vocabulary(etcd: EtcdCluster) -> None:
    store = EtcdStorage(EtcdConfig(endpoints=tuple(etcd.endpoints)))
    await store.start()
    p = f"/err-{uuid.uuid4().hex[:6]}/"
    try:
        with pytest.raises(TooLargeError):
            await store.create(p + "big", b"x" * (2 * 1024 * 1024))  # etcd's default limit is 1.5 MiB
        kv = await store.create(p + "a", b"1")
        kv = await store.update(p + "a", b"2", expected_revision=kv.mod_revision)
        await store.compact(kv.mod_revision)
        with pytest.raises(CompactedError) as err:
            await store.get(p + "a", revision=kv.mod_revision - 1)
        assert err.value.compacted == kv.mod_revision == await store.compacted_revision()
        # A list far bigger than gRPC's default 4 MiB receive limit.
        value = b"v" * 100_000
        await asyncio.gather(*(store.create(f"{p}big/{i:03}", value) for i in range(60)))
        assert len((await store.list(p + "big/")).items) == 60
    finally:
        await store.close()


async def test_stale_endpoint_in_the_list_is_tolerated(etcd: EtcdCluster) -> None:
    from kubelite.testing.etcd import free_port

    store = EtcdStorage(EtcdConfig(endpoints=(f"127.0.0.1:{free_port()}", *etcd.endpoints)))
    await store.start()
    try:
        for i in range(20):  # round-robin skips the dead address
            await store.create(f"/rr-{uuid.uuid4().hex[:6]}/{i}", b"x")
    finally:
        await store.close()


async def test_a_new_client_finds_the_compacted_revision(etcd: EtcdCluster) -> None:
    first = EtcdStorage(EtcdConfig(endpoints=tuple(etcd.endpoints)))
    await first.start()
    p = f"/cmp-{uuid.uuid4().hex[:6]}/"
    try:
        kv = await first.create(p + "a", b"0")
        for i in range(5):
            kv = await first.update(p + "a", str(i).encode(), expected_revision=kv.mod_revision)
        await first.compact(kv.mod_revision - 2)
    finally:
        await first.close()
    fresh = EtcdStorage(EtcdConfig(endpoints=tuple(etcd.endpoints)))
    await fresh.start()
    try:
        assert await fresh.compacted_revision() == kv.mod_revision - 2
        with pytest.raises(CompactedError) as err:
            await fresh.get(p + "a", revision=kv.mod_revision - 3)
        assert err.value.compacted == kv.mod_revision - 2
    finally:
        await fresh.close()


def test_fixture_retries_when_a_port_is_taken_before_etcd_binds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    import kubelite.testing.etcd as fixture

    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    taken = squatter.getsockname()[1]
    real = fixture.free_port
    calls = iter([taken])
    monkeypatch.setattr(fixture, "free_port", lambda: next(calls, None) or real())
    try:
        with EtcdCluster(1) as cluster:
            assert cluster.members[0].client_port != taken
            assert cluster.member_healthy(cluster.members[0])
    finally:
        squatter.close()

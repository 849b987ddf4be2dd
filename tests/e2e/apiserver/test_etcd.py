"""The same server on real etcd (Debian's etcd binary via kubelite.testing.etcd): kubectl works, kill -9
of the server under write load loses nothing acknowledged, and a 3-member cluster losing a member keeps
serving with nothing lost."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from kubelite.testing.etcd import EtcdCluster
from tests.e2e.apiserver.conftest import Kubectl, start_server
from tests.e2e.apiserver.test_durability import kill_9_scenario

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("etcd") is None, reason="etcd (etcd-server package) missing")]


@pytest.fixture
def etcd() -> Iterator[EtcdCluster]:
    with EtcdCluster(size=1) as cluster:
        yield cluster


def test_kubectl_on_etcd(etcd: EtcdCluster, tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", "--datastore-endpoint", etcd.url)
    try:
        k = Kubectl(server, tmp_path / "cache")
        assert "namespace/default" in k.run("get", "ns", "-o", "name").stdout
        k.run("create", "configmap", "on-etcd", "--from-literal=a=b")
        assert k.run("get", "cm", "on-etcd", "-o", "jsonpath={.data.a}").stdout == "b"
    finally:
        server.stop()


async def test_kill_9_on_etcd(etcd: EtcdCluster, tmp_path: Path) -> None:
    await kill_9_scenario(tmp_path / "data", "--datastore-endpoint", etcd.url)


async def test_three_member_cluster_survives_losing_one(tmp_path: Path) -> None:
    with EtcdCluster(size=3) as cluster:
        server = start_server(tmp_path / "data", "--datastore-endpoint", cluster.url)
        try:
            token = (tmp_path / "data" / "pki" / "admin.token").read_text().strip()
            ctx = ssl.create_default_context(cafile=str(tmp_path / "data" / "pki" / "ca.crt"))
            url = f"{server.url}/api/v1/namespaces/default/configmaps"
            acked: list[str] = []
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
                async def create(name: str) -> None:
                    async with asyncio.timeout(30):
                        while True:  # a write during re-election may fail; retry until acknowledged
                            async with session.post(url, ssl=ctx, json={"metadata": {"name": name}}) as resp:
                                if resp.status in (201, 409):
                                    acked.append(name)
                                    return
                            await asyncio.sleep(0.1)

                for i in range(20):
                    await create(f"before-{i}")
                victim = cluster.leader_index()
                cluster.kill(victim if victim is not None else 0)
                for i in range(20):
                    await create(f"after-{i}")
                async with session.get(url, ssl=ctx) as resp:
                    body = await resp.json()
            stored = {item["metadata"]["name"] for item in body["items"]}
            assert set(acked) <= stored
            assert len(acked) == 40
        finally:
            server.stop()

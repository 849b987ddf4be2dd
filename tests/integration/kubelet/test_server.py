"""The kubelet's HTTPS endpoint: container logs (tail, timestamps, previous) for the API server, with
authentication; over real TLS on loopback, pods run by the pod workers on the verified fake runtime."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.kubelet.podworker import KubeletConfig, PodWorkers
from kubelite.kubelet.server import KubeletServer, ServerConfig
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.fake_runtime import FakeRuntime
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def test_container_logs(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    runtime = FakeRuntime({"busybox": {"Cmd": ["sh"]}}, log_dir=str(tmp_path / "logs"))
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        factory = InformerFactory(client)
        workers = PodWorkers(KubeletConfig(node_name="n1", root=str(tmp_path), resync=0.2), client=client,
                             informers=factory, runtime=runtime)
        server = KubeletServer(ServerConfig(root=str(tmp_path), address="127.0.0.1", port=0, tokens=("s3cret",)),
                               calls=workers.calls)
        async with asyncio.TaskGroup() as tg:
            tasks = [*factory.start(tg), tg.create_task(workers.run()), tg.create_task(server.run())]
            try:
                await server.ready.wait()
                await client.resource("v1", "pods").create({
                    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker"},
                    "spec": {"nodeName": "n1", "containers": [
                        {"name": "c", "image": "busybox", "command": ["sh", "-c", "echo one; echo two; exit 1"]}]}},
                    "default")

                async def restarted() -> bool:
                    pod = await client.resource("v1", "pods").get("talker", "default")
                    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
                    return int(statuses[0].get("restartCount", 0)) >= 1

                await eventually(restarted, "the container restarted once")
                base = f"https://127.0.0.1:{server.port}/containerLogs/default/talker/c"
                auth = {"Authorization": "Bearer s3cret"}
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http:
                    async with http.get(base) as resp:
                        assert resp.status == 401
                    async with http.get(base, headers={"Authorization": "Bearer wrong"}) as resp:
                        assert resp.status == 401
                    async with http.get(base, headers=auth) as resp:
                        assert resp.status == 200
                        assert await resp.text() == "one\ntwo\n"
                    async with http.get(base + "?tailLines=1&timestamps=true", headers=auth) as resp:
                        text = await resp.text()
                        assert text.endswith(" two\n") and text[:4].isdigit()
                    async with http.get(base + "?previous=true", headers=auth) as resp:
                        assert await resp.text() == "one\ntwo\n"
                    async with http.get(base.removesuffix("/c") + "/nope", headers=auth) as resp:
                        assert resp.status == 400
                    async with http.get(f"https://127.0.0.1:{server.port}/containerLogs/default/ghost/c",
                                        headers=auth) as resp:
                        assert resp.status == 404
            finally:
                workers.queue.shut_down()
                for t in tasks:
                    t.cancel()

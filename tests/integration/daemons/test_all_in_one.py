"""``kubelite server`` as one process: the API server, then the controllers and the scheduler started on
its readiness; an RC's pods come up on simulated nodes, and stopping closes everything."""

import asyncio
import contextlib
from pathlib import Path

import pytest

from kubelite.apiserver.config import ApiServerConfig
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.daemons.apiserver import ServerConfig
from kubelite.daemons.server import AllInOneConfig, run_server
from kubelite.sim.nodes import SimConfig, SimulatedNodes
from kubelite.testing.components import running
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration


async def test_control_plane_in_one_process_runs_an_rc(tmp_path: Path) -> None:
    config = AllInOneConfig(ServerConfig(ApiServerConfig(data_dir=tmp_path, port=0),
                                         datastore=f"sqlite:///{tmp_path}/state.db"))
    started = asyncio.Event()
    server = asyncio.create_task(run_server(config, started=started))
    try:
        await eventually(lambda: started.is_set() or server.done(), "the server started", within=30)
        assert not server.done(), server.exception() if server.done() else ""
        async with Client.from_kubeconfig(tmp_path / "kubeconfig") as client:
            factory = InformerFactory(client)
            nodes = SimulatedNodes(SimConfig(count=2), client=client, informers=factory)
            async with running(factory, nodes):
                await client.resource("v1", "replicationcontrollers").create({
                    "apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "kubia"},
                    "spec": {"replicas": 3, "selector": {"app": "kubia"},
                             "template": {"metadata": {"labels": {"app": "kubia"}},
                                          "spec": {"containers": [{"name": "kubia", "image": "kubia"}]}}}},
                    "default")

                async def three_running() -> bool:
                    items = (await client.resource("v1", "pods").list("default"))["items"]
                    return sum(1 for p in items if (p.get("status") or {}).get("phase") == "Running") == 3

                await eventually(three_running, "three pods running", within=30)
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server

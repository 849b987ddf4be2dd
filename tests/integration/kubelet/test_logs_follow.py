"""A followed log whose client went away stops being followed: a quiet container writes nothing that
would fail, so without a look at the connection the kubelet would poll the runtime for it forever (each
abandoned ``kubectl logs -f`` through the API server would leave one such poller behind)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.kubelet.server import KubeletServer, ServerConfig
from kubelite.runtime.cri import ContainerConfig, ContainerStatus, SandboxConfig
from kubelite.testing.fake_runtime import FakeRuntime

pytestmark = pytest.mark.integration
TOKEN = "s3cret"
WITHIN = 60.0


class WatchedServer(KubeletServer):
    """The real server, telling when a follow ends."""

    follow_ended: asyncio.Event

    async def _follow(self, request: web.Request, resp: web.StreamResponse, ctr: ContainerStatus, offset: int,
                      timestamps: bool) -> None:
        try:
            await super()._follow(request, resp, ctr, offset, timestamps)
        finally:
            self.follow_ended.set()


async def test_an_abandoned_follow_ends(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    runtime = FakeRuntime({"busybox": {"Cmd": ["sh"]}}, log_dir=str(tmp_path / "logs"))
    sid = runtime.run_pod_sandbox(SandboxConfig(name="quiet", namespace="default", uid="u1"))
    cid = runtime.create_container(sid, ContainerConfig(name="c", image="busybox", command=["sleep", "1000"]))
    runtime.start_container(cid)
    calls = RuntimeCalls(runtime)
    server = WatchedServer(ServerConfig(root=str(tmp_path), address="127.0.0.1", port=0, tokens=(TOKEN,)),
                           calls=calls)
    server.follow_ended = asyncio.Event()
    task = asyncio.create_task(server.run())
    try:
        await asyncio.wait_for(server.ready.wait(), WITHIN)
        url = f"https://127.0.0.1:{server.port}/containerLogs/default/quiet/c?follow=true"
        async with aiohttp.ClientSession() as http:
            resp = await http.get(url, ssl=False, headers={"Authorization": f"Bearer {TOKEN}"})
            assert resp.status == 200
            assert not server.follow_ended.is_set()  # following a log that stays quiet
            resp.close()  # the client goes away
        await asyncio.wait_for(server.follow_ended.wait(), WITHIN)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        calls.close()

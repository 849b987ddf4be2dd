"""Real kubectl drives the RC controller on a SQLite-backed API server: scale and heal."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from .conftest import Cluster, eventually, rc_body

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed"),
]


async def kubectl(c: Cluster, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "kubectl", f"--kubeconfig={c.kubeconfig}", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_kubectl_scale_rc_and_delete_pod(sqlite_cluster: Cluster) -> None:
    c = sqlite_cluster
    pods = c.client.resource("v1", "pods")
    await c.client.resource("v1", "replicationcontrollers").create(rc_body("kc", 2))

    async def live(n: int) -> bool:
        items = (await pods.list("default", label_selector="app=kc"))["items"]
        return len([p for p in items if not p["metadata"].get("deletionTimestamp")]) == n

    await eventually(lambda: live(2), what="2 pods")
    assert "scaled" in await kubectl(c, "scale", "rc", "kc", "--replicas=4")
    await eventually(lambda: live(4), what="4 pods after kubectl scale")
    assert "scaled" in await kubectl(c, "scale", "rc", "kc", "--replicas=1")
    await eventually(lambda: live(1), what="1 pod after kubectl scale")
    name = (await pods.list("default", label_selector="app=kc"))["items"][0]["metadata"]["name"]
    await kubectl(c, "delete", "pod", name, "--wait=false")

    async def replaced() -> bool:
        items = (await pods.list("default", label_selector="app=kc"))["items"]
        return [p["metadata"]["name"] != name for p in items] == [True]

    await eventually(replaced, what="the deleted pod to be replaced")

    async def status_shown() -> bool:
        out = await kubectl(c, "get", "rc", "kc", "-o", "jsonpath={.status.replicas}/{.status.observedGeneration}")
        return out == "1/3"

    await eventually(status_shown, what="kubectl to show the status")

    async def described() -> bool:
        out = await kubectl(c, "describe", "rc", "kc")
        return "SuccessfulCreate" in out and "SuccessfulDelete" in out

    await eventually(described, what="kubectl describe to show the events")

"""Pod workers against a real in-process API server and the verified fake runtime: pods run and report
status, failures become waiting reasons, deletion is graceful and final, a restart adopts containers."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubelite.client.errors import NotFoundError
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.kubelet.podworker import KubeletConfig, PodWorkers
from kubelite.runtime.cri import CONTAINER_RUNNING
from kubelite.testing.apiserver import running_apiserver
from kubelite.testing.fake_runtime import FakeRuntime
from kubelite.testing.wait import eventually

pytestmark = pytest.mark.integration
NODE = "node-a"


@dataclass
class Harness:
    client: Client
    runtime: FakeRuntime
    tmp: Path

    async def pod(self, name: str, **spec: Any) -> dict[str, Any]:
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, **spec}}
        created: dict[str, Any] = await self.client.resource("v1", "pods").create(body, "default")
        return created

    async def status(self, name: str) -> dict[str, Any]:
        pod = await self.client.resource("v1", "pods").get(name, "default")
        return pod.get("status") or {}


@contextlib.asynccontextmanager
async def kubelet(client: Client, runtime: FakeRuntime, tmp: Path) -> AsyncIterator[PodWorkers]:
    factory = InformerFactory(client)
    workers = PodWorkers(KubeletConfig(node_name=NODE, root=str(tmp), host_ip="192.0.2.10", resync=0.2),
                         client=client, informers=factory, runtime=runtime)
    async with asyncio.TaskGroup() as tg:
        tasks = factory.start(tg)
        tasks.append(tg.create_task(workers.run()))
        try:
            yield workers
        finally:
            workers.queue.shut_down()
            for t in tasks:
                t.cancel()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_apiserver(tmp_path) as api, Client.from_kubeconfig(api.kubeconfig) as client:
        (tmp_path / "logs").mkdir()
        runtime = FakeRuntime({"busybox": {"Cmd": ["sh"]}}, log_dir=str(tmp_path / "logs"))
        yield Harness(client, runtime, tmp_path)


def waiting_reason(status: dict[str, Any], index: int = 0) -> str:
    statuses = status.get("containerStatuses") or []
    if len(statuses) <= index:
        return ""
    return str(((statuses[index].get("state") or {}).get("waiting") or {}).get("reason", ""))


async def test_pod_runs_is_deleted_and_adopted_after_restart(harness: Harness) -> None:
    async with kubelet(harness.client, harness.runtime, harness.tmp):
        await harness.pod("web", containers=[{"name": "a", "image": "busybox", "command": ["sleep", "1000"]},
                                             {"name": "b", "image": "busybox", "args": ["sleep", "9"]}])

        async def running() -> bool:
            s = await harness.status("web")
            return s.get("phase") == "Running" and all(c["ready"] for c in s.get("containerStatuses") or [{}])

        await eventually(running, "the pod running and ready")
        status = await harness.status("web")
        assert status["podIP"].startswith("10.88.") and status["hostIP"] == "192.0.2.10"
        assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
        first = status["containerStatuses"][0]
        assert first["containerID"].startswith("kubelite://") and first["imageID"].startswith("sha256:")
        assert first["restartCount"] == 0 and "running" in first["state"]
        assert status["startTime"]
    ids = {c.status.id for c in harness.runtime.containers.values()}

    # A new agent on the same runtime adopts: same containers, nothing duplicated.
    async with kubelet(harness.client, harness.runtime, harness.tmp) as workers:
        # The new agent acts on what runs: a container that exits is restarted once, "a" is untouched.
        await eventually(lambda: len(workers.pods.store.list()) == 1, "the informer synced")
        b = next(c for c in harness.runtime.containers.values() if c.status.name == "b")
        harness.runtime.stop_container(b.status.id, 0)

        async def restarted() -> bool:
            s = await harness.status("web")
            return [c["restartCount"] for c in s["containerStatuses"]] == [0, 1] and s["phase"] == "Running"

        await eventually(restarted, "b restarted by the adopting agent")
        now = {c.status.id for c in harness.runtime.containers.values()}
        assert ids < now and len(now) == 3
        live = [c for c in harness.runtime.containers.values() if c.status.state == CONTAINER_RUNNING]
        assert sorted(c.status.name for c in live) == ["a", "b"]

        await harness.client.resource("v1", "pods").delete("web", "default")

        async def gone() -> bool:
            try:
                await harness.client.resource("v1", "pods").get("web", "default")
            except NotFoundError:
                return True
            return False

        await eventually(gone, "the pod deleted for good")
        assert not harness.runtime.sandboxes
        assert all(c.status.state != CONTAINER_RUNNING for c in harness.runtime.containers.values())


async def test_failures_become_waiting_reasons(harness: Harness) -> None:
    async with kubelet(harness.client, harness.runtime, harness.tmp):
        await harness.pod("noimage", containers=[{"name": "c", "image": "nosuch:1.0"}])
        await harness.pod("nocfg", containers=[{"name": "c", "image": "busybox", "command": ["sleep", "1"],
                                                "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {
                                                    "name": "missing", "key": "k"}}}]}])
        await harness.pod("badcmd", restartPolicy="Never",
                          containers=[{"name": "c", "image": "busybox", "command": ["/no/such/binary"]}])
        await harness.pod("crash", containers=[{"name": "c", "image": "busybox", "command": ["sh", "-c", "exit 3"]}])

        async def reason(name: str, *wanted: str) -> bool:
            return waiting_reason(await harness.status(name)) in wanted

        await eventually(lambda: reason("noimage", "ErrImagePull", "ImagePullBackOff"), "ErrImagePull")
        await eventually(lambda: reason("nocfg", "CreateContainerConfigError"), "CreateContainerConfigError")

        async def start_error() -> bool:
            s = await harness.status("badcmd")
            state = (s.get("containerStatuses") or [{}])[0].get("state") or {}
            return s.get("phase") == "Failed" and (state.get("terminated") or {}).get("reason") == "StartError"

        await eventually(start_error, "the Never pod failed with StartError")

        async def crash_loop() -> bool:
            s = await harness.status("crash")
            cs = (s.get("containerStatuses") or [{}])[0]
            return waiting_reason(s) == "CrashLoopBackOff" and cs.get("restartCount", 0) >= 1 \
                and cs["lastState"]["terminated"]["exitCode"] == 3

        await eventually(crash_loop, "CrashLoopBackOff after a restart")

        async def reported() -> bool:
            # Events are posted in the background: wait for them rather than catch them mid-flight.
            events = await harness.client.resource("v1", "events").list("default")
            return {"Failed", "Created", "Started", "BackOff", "Pulled"} <= {e["reason"] for e in events["items"]}

        await eventually(reported, "the pods' events")


async def test_a_missing_volume_source_is_failed_mount_naming_the_volume(harness: Harness) -> None:
    async with kubelet(harness.client, harness.runtime, harness.tmp):
        await harness.pod("nomount", volumes=[{"name": "settings", "configMap": {"name": "absent"}}],
                          containers=[{"name": "c", "image": "busybox", "command": ["sleep", "1"],
                                       "volumeMounts": [{"name": "settings", "mountPath": "/etc/s"}]}])

        async def failed_mount() -> bool:
            events = await harness.client.resource("v1", "events").list("default")
            return any(e["reason"] == "FailedMount" and e["message"] == (
                'MountVolume.SetUp failed for volume "settings" : configmap "absent" not found')
                for e in events["items"])

        await eventually(failed_mount, "the FailedMount event")
        assert waiting_reason(await harness.status("nomount")) == "ContainerCreating"


async def test_probes_drive_readiness_and_restarts(harness: Harness) -> None:
    fast = {"periodSeconds": 1, "failureThreshold": 1}
    async with kubelet(harness.client, harness.runtime, harness.tmp):
        await harness.pod("probed", containers=[
            {"name": "unready", "image": "busybox", "command": ["sleep", "1000"],
             "readinessProbe": {"exec": {"command": ["false"]}, **fast}},
            {"name": "ready", "image": "busybox", "command": ["sleep", "1000"],
             "readinessProbe": {"exec": {"command": ["true"]}, **fast}},
            {"name": "dying", "image": "busybox", "command": ["sleep", "1000"],
             "livenessProbe": {"exec": {"command": ["false"]}, **fast}}])

        async def settled() -> bool:
            s = await harness.status("probed")
            by_name = {c["name"]: c for c in s.get("containerStatuses") or []}
            return s.get("phase") == "Running" and not by_name["unready"]["ready"] and by_name["ready"]["ready"] \
                and by_name["dying"]["restartCount"] >= 1

        await eventually(settled, "readiness reported and the liveness failure restarted")
        status = await harness.status("probed")
        assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "False"
        events = await harness.client.resource("v1", "events").list("default")
        messages = {e["reason"]: e["message"] for e in events["items"]}
        assert "Unhealthy" in messages and "failed liveness probe" in messages.get("Killing", "")


async def test_service_links_config_env_and_volumes(harness: Harness) -> None:
    await harness.client.resource("v1", "services").create({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "redis-master"},
        "spec": {"ports": [{"port": 6379}], "selector": {"app": "redis"}}}, "default")
    await harness.client.resource("v1", "configmaps").create({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"greeting": "hi"}}, "default")
    async with kubelet(harness.client, harness.runtime, harness.tmp) as workers:
        await eventually(lambda: workers.services.get("redis-master", "default") is not None, "service cached")
        pod = await harness.pod("envy", volumes=[{"name": "c", "configMap": {"name": "cfg"}}, {"name": "e",
                                                                                               "emptyDir": {}}],
                                containers=[{"name": "c", "image": "busybox",
                                             "command": ["sh", "-c", "echo $REDIS_MASTER_SERVICE_HOST $GREETING"],
                                             "env": [{"name": "GREETING", "valueFrom": {"configMapKeyRef": {
                                                 "name": "cfg", "key": "greeting"}}}],
                                             "volumeMounts": [{"name": "c", "mountPath": "/etc/cfg"},
                                                              {"name": "e", "mountPath": "/scratch"}]}],
                                restartPolicy="Never")

        async def done() -> bool:
            return (await harness.status("envy")).get("phase") == "Succeeded"

        await eventually(done, "the pod Succeeded")
    svc = await harness.client.resource("v1", "services").get("redis-master", "default")
    (ctr,) = [c for c in harness.runtime.containers.values() if c.status.name == "c"]
    logs = harness.runtime.read_logs(ctr.status.id)
    assert [text for _, _, text in logs] == [f"{svc['spec']['clusterIP']} hi".encode()]
    volume = harness.tmp / "kubelet" / "pods" / pod["metadata"]["uid"] / "volumes" / "configmap" / "c" / "greeting"
    assert volume.read_text() == "hi"


async def test_first_start_sees_its_own_pod_and_host_ip(harness: Harness) -> None:
    """The downward API's status.podIP/hostIP come from the sandbox and the node at the first start, before
    any status carrying them has been written back to the API (the multinode e2e once saw an empty one)."""
    async with kubelet(harness.client, harness.runtime, harness.tmp):
        await harness.pod("whoami", restartPolicy="Never", containers=[{
            "name": "c", "image": "busybox", "command": ["sh", "-c", "echo $POD_IP $HOST_IP"],
            "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                    {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}]}])

        async def done() -> bool:
            return (await harness.status("whoami")).get("phase") == "Succeeded"

        await eventually(done, "the pod Succeeded")
    (sandbox,) = harness.runtime.sandboxes.values()
    (ctr,) = [c for c in harness.runtime.containers.values() if c.status.name == "c"]
    logs = harness.runtime.read_logs(ctr.status.id)
    assert [text for _, _, text in logs] == [f"{sandbox.status.ip} 192.0.2.10".encode()]


async def test_config_map_volume_follows_updates(harness: Harness) -> None:
    cms = harness.client.resource("v1", "configmaps")
    await cms.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "live"}, "data": {"k": "v1"}},
                     "default")
    async with kubelet(harness.client, harness.runtime, harness.tmp):
        pod = await harness.pod("reader", volumes=[{"name": "cfg", "configMap": {"name": "live"}}],
                                containers=[{"name": "c", "image": "busybox", "command": ["sleep", "1000"],
                                             "volumeMounts": [{"name": "cfg", "mountPath": "/cfg"}]}])
        path = harness.tmp / "kubelet" / "pods" / pod["metadata"]["uid"] / "volumes" / "configmap" / "cfg" / "k"
        await eventually(lambda: path.exists() and path.read_text() == "v1", "the volume written")
        cm = await cms.get("live", "default")
        cm["data"] = {"k": "v2"}
        await cms.update(cm, "default")
        await eventually(lambda: path.read_text() == "v2", "the update reaches the volume")


async def test_lifecycle_hooks(harness: Harness) -> None:
    async with kubelet(harness.client, harness.runtime, harness.tmp):
        await harness.pod("hooked", containers=[
            {"name": "bad-start", "image": "busybox", "command": ["sleep", "1000"],
             "lifecycle": {"postStart": {"exec": {"command": ["false"]}}}},
            {"name": "bad-stop", "image": "busybox", "command": ["sleep", "1000"],
             "lifecycle": {"preStop": {"exec": {"command": ["false"]}}}}])
        events = harness.client.resource("v1", "events")

        async def reasons() -> set[str]:
            return {e["reason"] for e in (await events.list("default"))["items"]}

        async def post_start_failed() -> bool:
            s = await harness.status("hooked")
            by_name = {c["name"]: c for c in s.get("containerStatuses") or []}
            return "FailedPostStartHook" in await reasons() and by_name.get("bad-start", {}).get("restartCount", 0) >= 1

        await eventually(post_start_failed, "the postStart failure restarted the container")
        await harness.client.resource("v1", "pods").delete("hooked", "default")

        async def pre_stop_failed() -> bool:
            return "FailedPreStopHook" in await reasons()

        await eventually(pre_stop_failed, "the preStop hook ran on deletion")


async def test_projected_and_downward_api_volumes(harness: Harness) -> None:
    from kubelite.client.errors import AlreadyExistsError

    with contextlib.suppress(AlreadyExistsError):
        await harness.client.resource("v1", "serviceaccounts").create(
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}, "default")
    await harness.client.resource("v1", "configmaps").create({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "root-ca"}, "data": {"ca.crt": "PEM"}},
        "default")
    async with kubelet(harness.client, harness.runtime, harness.tmp):
        pod = await harness.pod("projected", volumes=[
            {"name": "api", "projected": {"sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                {"configMap": {"name": "root-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace",
                                            "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}},
            {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                                                       {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}}],
            containers=[{"name": "c", "image": "busybox", "command": ["sleep", "1000"],
                         "volumeMounts": [{"name": "api", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"},
                                          {"name": "info", "mountPath": "/etc/podinfo"}]}])

        async def running() -> bool:
            return (await harness.status("projected")).get("phase") == "Running"

        await eventually(running, "the pod running with its volumes")
    base = harness.tmp / "kubelet" / "pods" / pod["metadata"]["uid"] / "volumes"
    api = base / "projected" / "api"
    assert (api / "token").read_text().count(".") == 2  # a JWT
    assert (api / "ca.crt").read_text() == "PEM" and (api / "namespace").read_text() == "default"
    assert (base / "downward-api" / "info" / "name").read_text() == "projected"
    assert (base / "downward-api" / "info" / "labels").read_text() == ""


async def test_image_pull_secrets_reach_the_pull(harness: Harness) -> None:
    runtime = harness.runtime
    runtime.puller = lambda ref: runtime.add_image(ref, {"Cmd": ["sh"]})
    config = base64.b64encode(json.dumps({"auths": {"reg.example": {"auth": "YTpi"}}}).encode()).decode()
    await harness.client.resource("v1", "secrets").create(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "regcred"},
         "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": config}}, "default")
    async with kubelet(harness.client, runtime, harness.tmp):
        await harness.pod("private", imagePullSecrets=[{"name": "regcred"}, {"name": "absent"}],
                          containers=[{"name": "c", "image": "reg.example/team/app:1", "command": ["sleep", "9"]}])

        async def running() -> bool:
            return (await harness.status("private")).get("phase") == "Running"

        await eventually(running, "the private pod running")
        assert json.loads(runtime.pull_auths["reg.example/team/app:1"]) == {
            "auths": {"reg.example": {"auth": "YTpi"}}}

        async def warned() -> bool:
            events = await harness.client.resource("v1", "events").list("default")
            return any(e["reason"] == "FailedToRetrieveImagePullSecret" and "(absent)" in e["message"]
                       for e in events["items"])

        await eventually(warned, "the unusable secret named in an event")

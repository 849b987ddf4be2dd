"""Issue 7 with real processes: ``kubelite server``, ``scheduler``, ``controller-manager`` and ``kubelite
agent`` on a private engine root (busybox bootstrapped, its own bridge/subnet/nft table); real kubectl.
Pods become real runc containers that are Running and Ready with a pod IP, deletion removes them, an RC
pod deleted with kubectl comes back as a running container, and two containers of one pod reach each
other on localhost and share an emptyDir filled by an init container; a failing liveness probe restarts
into CrashLoopBackOff; a killed agent's successor adopts what runs."""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kubelite.client.kubeconfig import load_kubeconfig
from kubelite.runtime.cri import EngineRuntime
from tests.e2e.apiserver.conftest import free_port
from tests.e2e.kubelet.conftest import Cluster, get_pod, ready, wait_for

pytestmark = pytest.mark.e2e


def engine_containers(cluster: Cluster, pod: str) -> list[Any]:
    rt = EngineRuntime.open(cluster.root)
    return [c for c in rt.list_containers() if c.name and c.labels.get("io.kubernetes.pod.uid")
            and any(s.name == pod for s in rt.list_pod_sandboxes() if s.id == c.sandbox_id)]


WEB = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: httpd
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www"]
"""


def test_pod_runs_ready_with_an_ip_and_deletion_removes_it(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=WEB)
    pod = wait_for(cluster, "the web pod Running and Ready", lambda: ready(cluster, "web"))
    assert pod["spec"]["nodeName"] == cluster.node
    status = pod["status"]["containerStatuses"][0]
    assert status["ready"] and status["containerID"].startswith("kubelite://") and status["imageID"]
    body = wait_for(cluster, "httpd answering on the pod IP",
                    lambda: _fetch(f"http://{pod['status']['podIP']}:8080/index.html"), within=30)
    assert body.strip() == "hello-from-pod"
    assert [c.state for c in engine_containers(cluster, "web")] == ["CONTAINER_RUNNING"]
    assert pod["status"]["qosClass"] == "BestEffort" and pod["status"]["hostIP"]

    # The kubelet endpoint the API server will proxy `kubectl logs` to, with the cluster's admin token.
    node = json.loads(cluster.kubectl.run("get", "node", cluster.node, "-o", "json").stdout)
    assert node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == cluster.kubelet_port
    token = load_kubeconfig(cluster.server.kubeconfig).resolve().token or ""
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    req = urllib.request.Request(f"https://127.0.0.1:{cluster.kubelet_port}/containerLogs/default/web/httpd",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
        assert resp.status == 200  # httpd -f logs nothing: an empty, successful answer
    # Exec without a terminal over the WebSocket channel protocol, stdin included.
    out, status = asyncio.run(_exec(cluster.kubelet_port, token, "web/httpd", ["sh", "-c", "cat; exit 3"], b"ping"))
    assert out == b"ping" and status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]
    out, status = asyncio.run(_exec(cluster.kubelet_port, token, "web/httpd", ["cat", "/www/index.html"], None))
    assert out == b"hello-from-pod\n" and status["status"] == "Success"
    out, status = asyncio.run(_exec(cluster.kubelet_port, token, "web/httpd",
                                    ["sh", "-c", "test -t 0 && echo is-a-tty"], None, tty=True))
    assert b"is-a-tty" in out and status["status"] == "Success"

    cluster.kubectl.run("delete", "pod", "web", "--wait=false")
    wait_for(cluster, "the pod gone", lambda: get_pod(cluster, "web") is None)
    assert engine_containers(cluster, "web") == []


async def _exec(port: int, token: str, target: str, command: list[str], stdin: bytes | None, *,
                tty: bool = False) -> tuple[bytes, Any]:
    query = "&".join(f"command={urllib.parse.quote(c)}" for c in command) + "&stdout=1&stderr=1"
    query += "&stdin=1" if stdin is not None else ""
    query += "&tty=1" if tty else ""
    out, status = b"", None
    async with aiohttp.ClientSession() as http, http.ws_connect(
            f"https://127.0.0.1:{port}/exec/default/{target}?{query}", ssl=False,
            protocols=("v5.channel.k8s.io",), headers={"Authorization": f"Bearer {token}"}) as ws:
        if stdin is not None:
            await ws.send_bytes(b"\x00" + stdin)
            await ws.send_bytes(b"\xff\x00")  # v5: close stdin
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.BINARY:
                break
            if msg.data[0] == 1:
                out += msg.data[1:]
            elif msg.data[0] == 3:
                status = json.loads(msg.data[1:])
    return out, status


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return str(resp.read().decode())
    except OSError:
        return ""


PAIR = """
apiVersion: v1
kind: Pod
metadata: {name: pair}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: shared, emptyDir: {}}]
  initContainers:
  - name: init
    image: busybox
    command: ["sh", "-c", "echo from-init > /data/init.txt"]
    volumeMounts: [{name: shared, mountPath: /data}]
  containers:
  - name: server
    image: busybox
    command: ["sh", "-c", "echo from-server > /data/index.html && exec httpd -f -p 8081 -h /data"]
    volumeMounts: [{name: shared, mountPath: /data}]
  - name: client
    image: busybox
    command: ["sh", "-c", "until wget -q -O /tmp/got http://127.0.0.1:8081/index.html; do sleep 0.3; done;
              cat /tmp/got > /shared/fetched; exec sleep 3600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
"""


def test_two_containers_share_localhost_and_an_empty_dir(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=PAIR)
    pod = wait_for(cluster, "the pair pod Ready", lambda: ready(cluster, "pair"))
    uid = pod["metadata"]["uid"]
    fetched = Path(cluster.root, "kubelet", "pods", uid, "volumes", "empty-dir", "shared", "fetched")
    wait_for(cluster, "the client fetched over localhost", fetched.exists, within=30)
    assert fetched.read_text().strip() == "from-server"
    assert fetched.with_name("init.txt").read_text().strip() == "from-init"
    (init,) = pod["status"]["initContainerStatuses"]
    assert init["state"]["terminated"]["reason"] == "Completed" and init["ready"]
    cluster.kubectl.run("delete", "pod", "pair", "--wait=false")
    wait_for(cluster, "the pair pod gone", lambda: get_pod(cluster, "pair") is None)


RC = """
apiVersion: v1
kind: ReplicationController
metadata: {name: sleeper}
spec:
  replicas: 1
  selector: {app: sleeper}
  template:
    metadata: {labels: {app: sleeper}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: ["sleep", "3600"]
"""


def _rc_ready(cluster: Cluster) -> list[str]:
    out = json.loads(cluster.kubectl.run("get", "pods", "-l", "app=sleeper", "-o", "json").stdout)
    return [p["metadata"]["name"] for p in out["items"]
            if not p["metadata"].get("deletionTimestamp") and ready(cluster, p["metadata"]["name"])]


def test_rc_pod_deleted_comes_back_as_a_running_container(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=RC)
    (first,) = wait_for(cluster, "the RC's pod running", lambda: _rc_ready(cluster))
    cluster.kubectl.run("delete", "pod", first)
    assert get_pod(cluster, first) is None  # kubectl waited for the kubelet's final delete
    (second,) = wait_for(cluster, "a replacement pod running", lambda: [n for n in _rc_ready(cluster) if n != first])
    assert [c.state for c in engine_containers(cluster, second)] == ["CONTAINER_RUNNING"]
    assert engine_containers(cluster, first) == []
    cluster.kubectl.run("delete", "rc", "sleeper", "--wait=false")


PROBED = """
apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /w && echo ok > /w/ok && exec httpd -f -p 8082 -h /w"]
    readinessProbe: {httpGet: {path: /ok, port: 8082}, periodSeconds: 1}
    livenessProbe: {exec: {command: ["cat", "/w/alive"]}, periodSeconds: 1, failureThreshold: 2}
"""


def test_failing_liveness_restarts_into_crash_loop_backoff(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=PROBED)

    def looping() -> bool:
        pod = get_pod(cluster, "probed") or {}
        cs = (pod.get("status", {}).get("containerStatuses") or [{}])[0]
        return bool(cs.get("restartCount", 0) >= 1
                    and cs.get("state", {}).get("waiting", {}).get("reason") == "CrashLoopBackOff")

    wait_for(cluster, "liveness restarts and CrashLoopBackOff", looping, within=60)
    events = json.loads(cluster.kubectl.run("get", "events", "-o", "json",
                                            "--field-selector", "involvedObject.name=probed").stdout)
    reasons = {e["reason"] for e in events["items"]}
    assert {"Unhealthy", "Killing", "Started"} <= reasons
    cluster.kubectl.run("delete", "pod", "probed", "--wait=false")


def test_restarted_agent_adopts_running_containers(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=WEB.replace("name: web", "name: kept"))
    pod = wait_for(cluster, "the kept pod Ready", lambda: ready(cluster, "kept"))
    before = [c.id for c in engine_containers(cluster, "kept")]
    cluster.procs["agent"].kill()  # no cleanup of any kind: a crash
    cluster.procs["agent"].wait()
    cluster.start_agent()
    # The new agent re-registers and keeps the pod as it is: same container, same IP, still Ready.
    wait_for(cluster, "the node Ready again", lambda: "True" in cluster.kubectl.run(
        "get", "node", cluster.node, "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}").stdout)
    cluster.kubectl.run("label", "pod", "kept", "touched=yes")  # an update the new agent must sync
    wait_for(cluster, "the kept pod still Ready", lambda: ready(cluster, "kept"))
    assert [c.id for c in engine_containers(cluster, "kept")] == before
    assert (ready(cluster, "kept") or {})["status"]["podIP"] == pod["status"]["podIP"]
    cluster.kubectl.run("delete", "pod", "kept")  # completed by the new agent, after it synced the pod
    assert engine_containers(cluster, "kept") == []
    log = (cluster.server.data_dir / "agent.log").read_text()
    assert log.count("pod sandbox created pod=default/kept ") == 1, log


BROKEN = """
apiVersion: v1
kind: Pod
metadata: {name: badcmd}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox, command: ["/no/such/binary"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: noimage}
spec:
  containers: [{name: c, image: "nosuch-kubelite-image:1.0"}]
"""


def _container_state(cluster: Cluster, name: str) -> dict[str, Any]:
    pod = get_pod(cluster, name) or {}
    return dict((pod.get("status", {}).get("containerStatuses") or [{}])[0].get("state") or {})


def test_bad_command_and_missing_image_are_container_states(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=BROKEN)
    wait_for(cluster, "the bad command reported", lambda: (get_pod(cluster, "badcmd") or {}).get(
        "status", {}).get("phase") == "Failed")
    state = _container_state(cluster, "badcmd")
    assert state.get("terminated", {}).get("exitCode", 0) != 0, state
    wait_for(cluster, "ErrImagePull", lambda: _container_state(cluster, "noimage").get("waiting", {}).get(
        "reason") in ("ErrImagePull", "ImagePullBackOff"))
    cluster.kubectl.run("delete", "pod", "badcmd", "noimage")
    # The agent is still healthy: the node stays Ready and other pods keep working (checked by the others).
    assert cluster.procs["agent"].poll() is None


def test_host_network_pod_uses_the_node_address(cluster: Cluster) -> None:
    port = free_port()
    cluster.kubectl.run("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Pod
metadata: {{name: hostnet}}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /h && echo on-host > /h/i && exec httpd -f -p 127.0.0.1:{port} -h /h"]
""")
    pod = wait_for(cluster, "the host-network pod Ready", lambda: ready(cluster, "hostnet"))
    assert pod["status"]["podIP"] == pod["status"]["hostIP"]
    body = wait_for(cluster, "httpd on the host's loopback", lambda: _fetch(f"http://127.0.0.1:{port}/i"), within=30)
    assert body.strip() == "on-host"
    cluster.kubectl.run("delete", "pod", "hostnet")


SECRET_POD = """
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2}
---
apiVersion: v1
kind: Pod
metadata: {name: secretive}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: creds, secret: {secretName: creds}}
  - {name: fast, emptyDir: {medium: Memory}}
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts: [{name: creds, mountPath: /etc/creds, readOnly: true}, {name: fast, mountPath: /fast}]
"""


def test_secret_and_memory_volumes_are_tmpfs(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=SECRET_POD)
    pod = wait_for(cluster, "the secretive pod Ready", lambda: ready(cluster, "secretive"))
    token = load_kubeconfig(cluster.server.kubeconfig).resolve().token or ""
    out, status = asyncio.run(_exec(cluster.kubelet_port, token, "secretive/c",
                                    ["sh", "-c", "cat /etc/creds/password; echo; grep -E ' /(etc/creds|fast) ' "
                                     "/proc/mounts | cut -d' ' -f2,3"], None))
    assert status["status"] == "Success", status
    lines = out.decode().split("\n")
    assert lines[0] == "hunter2"
    assert sorted(line for line in lines[1:] if line) == ["/etc/creds tmpfs", "/fast tmpfs"]
    uid = pod["metadata"]["uid"]
    cluster.kubectl.run("delete", "pod", "secretive")
    pod_dir = Path(cluster.root, "kubelet", "pods", uid)
    assert not pod_dir.exists()
    with open("/proc/self/mounts") as fh:
        assert str(pod_dir) not in fh.read()
    cluster.kubectl.run("delete", "secret", "creds")

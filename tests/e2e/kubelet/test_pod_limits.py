"""Issue 7's kernel-visible container settings on the real engine, through real kubectl: a memory limit
exceeded ends as ``OOMKilled`` (cgroup v1 here), cpu requests become cgroup shares and limits a CFS
quota, securityContext (readOnlyRootFilesystem, capabilities add/drop, privileged,
allowPrivilegeEscalation) is what the process gets, runAsNonRoot refuses a root image as
CreateContainerConfigError, a hostPort a host process already holds keeps the pod in ContainerCreating
with the FailedCreatePodSandBox event until it is free, and a pod's containers share the network, IPC
and UTS namespaces and /dev/shm, with the pod's name as hostname.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from tests.e2e.apiserver.conftest import free_port
from tests.e2e.kubelet.conftest import Cluster, get_pod, ready, wait_for

pytestmark = pytest.mark.e2e


def _status(cluster: Cluster, name: str) -> dict[str, Any]:
    pod = get_pod(cluster, name) or {}
    return dict((pod.get("status", {}).get("containerStatuses") or [{}])[0])


def _exec(cluster: Cluster, pod: str, *cmd: str, container: str = "") -> Any:
    return cluster.kubectl.run("exec", pod, *(["-c", container] if container else []), "--", *cmd, check=False)


def _delete(cluster: Cluster, *pods: str) -> None:
    cluster.kubectl.run("delete", "pod", *pods, "--wait=false", "--ignore-not-found")


def _events(cluster: Cluster, pod: str) -> list[dict[str, Any]]:
    out = cluster.kubectl.run("get", "events", "-o", "json", "--field-selector", f"involvedObject.name={pod}")
    return list(json.loads(out.stdout)["items"])


OOM = """
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: busybox
    # dd fills a 256 MiB block buffer: far beyond the 32 MiB limit.
    command: ["dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"]
    resources: {limits: {memory: 32Mi}}
"""


def test_memory_limit_exceeded_is_oom_killed(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=OOM)
    wait_for(cluster, "the hog terminated", lambda: "terminated" in _status(cluster, "hog").get("state", {}))
    term = _status(cluster, "hog")["state"]["terminated"]
    assert term["reason"] == "OOMKilled" and term["exitCode"] == 137, term
    assert (get_pod(cluster, "hog") or {})["status"]["phase"] == "Failed"
    assert (get_pod(cluster, "hog") or {})["status"]["qosClass"] == "Burstable"
    _delete(cluster, "hog")


SECURE = """
apiVersion: v1
kind: Pod
metadata: {name: locked}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: scratch, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    resources: {requests: {cpu: 250m}, limits: {cpu: 500m}}
    volumeMounts: [{name: scratch, mountPath: /scratch}]
    securityContext:
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
---
apiVersion: v1
kind: Pod
metadata: {name: netadmin}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    securityContext: {capabilities: {add: [NET_ADMIN], drop: [CHOWN]}}
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: busybox, command: ["sleep", "3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: mighty}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: busybox, command: ["sleep", "3600"], securityContext: {privileged: true}}
"""


def _caps(cluster: Cluster, pod: str) -> dict[str, str]:
    out = _exec(cluster, pod, "grep", "-E", "^(CapEff|NoNewPrivs)", "/proc/self/status")
    assert out.returncode == 0, out.stderr
    return {k: v.strip() for k, _, v in (line.partition(":") for line in out.stdout.splitlines())}


def _host_bounding_set() -> int:
    with open("/proc/self/status") as fh:
        return int(next(x for x in fh if x.startswith("CapBnd:")).split(":")[1], 16)


def test_security_context_and_cpu_shares_reach_the_process(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=SECURE)
    for name in ("locked", "netadmin", "plain", "mighty"):
        wait_for(cluster, f"{name} Ready", lambda name=name: ready(cluster, name))

    # readOnlyRootFilesystem: the root is read-only, volumes are not.
    denied = _exec(cluster, "locked", "touch", "/x")
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr, denied
    assert _exec(cluster, "locked", "touch", "/scratch/x").returncode == 0
    # drop ALL + add NET_BIND_SERVICE (bit 10) and no_new_privs.
    assert _caps(cluster, "locked") == {"CapEff": f"{1 << 10:016x}", "NoNewPrivs": "1"}
    # cpu request 250m -> 256 shares (cgroup v1: the container sees its own cpu cgroup).
    shares = _exec(cluster, "locked", "cat", "/sys/fs/cgroup/cpu/cpu.shares")
    assert shares.stdout.strip() == "256", shares
    # cpu limit 500m -> a CFS quota of half the period.
    quota = _exec(cluster, "locked", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
                  "/sys/fs/cgroup/cpu/cpu.cfs_period_us")
    q, period = (int(x) for x in quota.stdout.split())
    assert q * 2 == period, quota.stdout

    # add NET_ADMIN: changing an interface works; the default set cannot; drop CHOWN: chown fails.
    assert _exec(cluster, "netadmin", "ip", "link", "set", "lo", "mtu", "1400").returncode == 0
    refused = _exec(cluster, "plain", "ip", "link", "set", "lo", "mtu", "1400")
    assert refused.returncode != 0, refused
    assert _exec(cluster, "netadmin", "chown", "1:1", "/tmp").returncode != 0
    assert _exec(cluster, "plain", "chown", "1:1", "/tmp").returncode == 0
    assert _caps(cluster, "plain")["NoNewPrivs"] == "0"

    # privileged: every capability the engine itself holds, /proc/sys writable.
    assert int(_caps(cluster, "mighty")["CapEff"], 16) == _host_bounding_set()
    assert _exec(cluster, "mighty", "sh", "-c", "grep -q ' /sys sysfs rw' /proc/mounts").returncode == 0
    assert _exec(cluster, "plain", "sh", "-c", "grep -q ' /sys sysfs rw' /proc/mounts").returncode != 0
    _delete(cluster, "locked", "netadmin", "plain", "mighty")


NON_ROOT = """
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: refused, image: busybox, command: ["sleep", "3600"]}
  - {name: allowed, image: busybox, command: ["sleep", "3600"], securityContext: {runAsUser: 65534}}
"""


def test_run_as_non_root_refuses_a_root_image(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=NON_ROOT)

    def states() -> dict[str, Any]:
        pod = get_pod(cluster, "nonroot") or {}
        return {c["name"]: c["state"] for c in pod.get("status", {}).get("containerStatuses") or []}

    def refused() -> bool:
        s = states()
        return bool(s.get("refused", {}).get("waiting", {}).get("reason") == "CreateContainerConfigError"
                    and "running" in s.get("allowed", {}))

    wait_for(cluster, "the root container refused, the other running", refused)
    pod = get_pod(cluster, "nonroot") or {}
    message = states()["refused"]["waiting"]["message"]
    assert message == ('container has runAsNonRoot and image will run as root (pod: '
                       f'"nonroot_default({pod["metadata"]["uid"]})", container: refused)')
    assert any(e["reason"] == "Failed" and message in e["message"] for e in _events(cluster, "nonroot"))
    assert _exec(cluster, "nonroot", "id", "-u", container="allowed").stdout.strip() == "65534"
    assert cluster.procs["agent"].poll() is None
    _delete(cluster, "nonroot")


def test_host_port_held_by_a_host_process(cluster: Cluster) -> None:
    port = free_port()
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("0.0.0.0", port))
    holder.listen()
    try:
        cluster.kubectl.run("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Pod
metadata: {{name: porty}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    ports: [{{containerPort: 80, hostPort: {port}}}]
""")

        def blocked() -> bool:
            waiting = _status(cluster, "porty").get("state", {}).get("waiting", {})
            return waiting.get("reason") == "ContainerCreating" and any(
                e["reason"] == "FailedCreatePodSandBox" for e in _events(cluster, "porty"))

        wait_for(cluster, "ContainerCreating with FailedCreatePodSandBox", blocked)
        event = next(e for e in _events(cluster, "porty") if e["reason"] == "FailedCreatePodSandBox")
        assert event["type"] == "Warning" and f":{port} failed: port is already allocated" in event["message"]
        assert (get_pod(cluster, "porty") or {})["status"]["phase"] == "Pending"
    finally:
        holder.close()
    # Freed: the retried sandbox gets the port.
    wait_for(cluster, "porty running once the port is free", lambda: ready(cluster, "porty"), within=120)
    _delete(cluster, "porty")


SHARED = """
apiVersion: v1
kind: Pod
metadata: {name: sharing}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: a, image: busybox, command: ["sleep", "3600"]}
  - {name: b, image: busybox, command: ["sleep", "3600"]}
"""


def test_containers_of_a_pod_share_network_ipc_and_uts_and_the_hostname_is_the_pod_name(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=SHARED)
    wait_for(cluster, "sharing Ready", lambda: ready(cluster, "sharing"))
    script = "for n in net ipc uts mnt; do readlink /proc/self/ns/$n; done; hostname"
    a = _exec(cluster, "sharing", "sh", "-c", script, container="a").stdout.split()
    b = _exec(cluster, "sharing", "sh", "-c", script, container="b").stdout.split()
    assert len(a) == 5 and a[:3] == b[:3], (a, b)  # net, ipc and uts shared
    assert a[3] != b[3]  # each container has its own mount namespace (its own root)
    assert a[4] == b[4] == "sharing"
    # One /dev/shm for the pod (POSIX shared memory follows the shared IPC namespace).
    assert _exec(cluster, "sharing", "sh", "-c", "echo from-a > /dev/shm/x", container="a").returncode == 0
    assert _exec(cluster, "sharing", "cat", "/dev/shm/x", container="b").stdout == "from-a\n"
    _delete(cluster, "sharing")


MOUNTS = """
apiVersion: v1
kind: Pod
metadata: {name: mounts}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo in-sub > /sub/file && exec sleep 3600"]
    volumeMounts:
    - {name: data, mountPath: /whole, readOnly: true}
    - {name: data, mountPath: /sub, subPath: part}
"""


def test_sub_path_and_read_only_mounts(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=MOUNTS)
    wait_for(cluster, "mounts Ready", lambda: ready(cluster, "mounts"))
    # The subPath is a directory of the volume (made for the container), seen whole through the other mount.
    assert _exec(cluster, "mounts", "cat", "/whole/part/file").stdout == "in-sub\n"
    denied = _exec(cluster, "mounts", "touch", "/whole/x")
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr, denied
    assert _exec(cluster, "mounts", "touch", "/sub/y").returncode == 0
    _delete(cluster, "mounts")

"""Image pulls by the agent from our registry (a real ``kubelite registry serve``), through real kubectl:
a pod whose image is only in the registry is pulled (Pulling/Pulled events) and runs; an image the
registry does not have is ErrImagePull then ImagePullBackOff with a Failed event, and the agent carries on;
``imagePullPolicy: Never`` for a missing image is ErrImageNeverPull; a private image is refused without
credentials and pulled with the pod's imagePullSecrets, while the node itself holds none."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from tests.e2e.distribution.conftest import RegistryProcess, free_port
from tests.e2e.kubelet.conftest import Cluster, get_pod, ready, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RegistryProcess]:
    reg = RegistryProcess(tmp_path / "registry", free_port(), tmp_path / "registry.log")
    reg.start()
    try:
        yield reg
    finally:
        reg.stop()


def _engine(cluster: Cluster, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "kubelite", "--root", cluster.root, *args], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, f"kubelite {' '.join(args)}: {done.stderr}"


def _waiting(cluster: Cluster, name: str) -> dict[str, Any]:
    pod = get_pod(cluster, name) or {}
    status = (pod.get("status", {}).get("containerStatuses") or [{}])[0]
    return dict(status.get("state", {}).get("waiting") or {})


def _events(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    out = cluster.kubectl.run("get", "events", "-o", "json", "--field-selector", f"involvedObject.name={name}")
    return list(json.loads(out.stdout)["items"])


def test_pull_from_the_registry_and_pull_failures(cluster: Cluster, registry: RegistryProcess) -> None:
    ref = f"{registry.host}/lib/busybox:pulled"
    _engine(cluster, "tag", "busybox", ref)
    _engine(cluster, "push", ref)
    _engine(cluster, "rmi", ref)  # now only the registry has that name: the agent must pull it
    cluster.kubectl.run("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Pod
metadata: {{name: pulled}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{{name: c, image: "{ref}", command: ["sleep", "3600"]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: missing}}
spec:
  containers: [{{name: c, image: "{registry.host}/lib/nothing:1"}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: never}}
spec:
  containers: [{{name: c, image: "{registry.host}/lib/nothing:1", imagePullPolicy: Never}}]
""")
    pod = wait_for(cluster, "the pulled pod Ready", lambda: ready(cluster, "pulled"))
    assert pod["status"]["containerStatuses"][0]["image"] == ref
    messages = {e["reason"]: e["message"] for e in _events(cluster, "pulled")}
    assert messages.get("Pulling") == f'Pulling image "{ref}"'
    assert messages.get("Pulled") == f'Successfully pulled image "{ref}"'

    wait_for(cluster, "ImagePullBackOff", lambda: _waiting(cluster, "missing").get("reason") == "ImagePullBackOff")
    failed = [e for e in _events(cluster, "missing") if e["reason"] == "Failed"]
    assert failed and failed[0]["message"].startswith(f'Failed to pull image "{registry.host}/lib/nothing:1"')
    wait_for(cluster, "ErrImageNeverPull", lambda: _waiting(cluster, "never").get("reason") == "ErrImageNeverPull")
    assert _waiting(cluster, "never")["message"] == (
        f'Container image "{registry.host}/lib/nothing:1" is not present with pull policy of Never')
    assert cluster.procs["agent"].poll() is None
    cluster.kubectl.run("delete", "pod", "pulled", "missing", "never", "--wait=false")


def _dockerconfigjson(host: str, user: str, password: str) -> str:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    return base64.b64encode(json.dumps({"auths": {host: {"auth": auth}}}).encode()).decode()


def test_private_image_pulled_with_the_pods_image_pull_secret(cluster: Cluster, tmp_path: Path) -> None:
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text("alice:" + bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode() + "\n")
    port = free_port()
    reg = RegistryProcess(tmp_path / "registry", port, tmp_path / "registry.log",
                          extra=("--htpasswd", str(htpasswd), "--token-realm", f"http://127.0.0.1:{port}/token"))
    reg.start()
    try:
        ref = f"{reg.host}/team/private:v1"
        login = subprocess.run([sys.executable, "-m", "kubelite", "--root", cluster.root, "login", reg.host, "-u",
                                "alice", "--password-stdin"], input="s3cret\n", capture_output=True, text=True,
                               timeout=120, check=False)
        assert login.returncode == 0, login.stderr
        _engine(cluster, "tag", "busybox", ref)
        _engine(cluster, "push", ref)
        _engine(cluster, "rmi", ref)
        _engine(cluster, "login", "--logout", reg.host)  # the node itself holds no credentials now
        # Without the secret first: once any pod has pulled the image it is the node's, for every pod
        # (IfNotPresent), as in Kubernetes.
        cluster.kubectl.run("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Pod
metadata: {{name: anonymous}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{{name: c, image: "{ref}", command: ["sleep", "3600"]}}]
""")
        wait_for(cluster, "the anonymous pod refused",
                 lambda: _waiting(cluster, "anonymous").get("reason") in ("ErrImagePull", "ImagePullBackOff"))
        failed = [e["message"] for e in _events(cluster, "anonymous") if e["reason"] == "Failed"]
        assert failed and "UNAUTHORIZED" in failed[0].upper(), failed
        cluster.kubectl.run("delete", "pod", "anonymous")
        cluster.kubectl.run("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Secret
metadata: {{name: regcred}}
type: kubernetes.io/dockerconfigjson
data: {{.dockerconfigjson: {_dockerconfigjson(reg.host, "alice", "s3cret")}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: private}}
spec:
  terminationGracePeriodSeconds: 1
  imagePullSecrets: [{{name: regcred}}]
  containers: [{{name: c, image: "{ref}", command: ["sleep", "3600"]}}]
""")
        wait_for(cluster, "the private pod Ready", lambda: ready(cluster, "private"))
        pulled = {e["reason"]: e["message"] for e in _events(cluster, "private")}
        assert pulled.get("Pulled") == f'Successfully pulled image "{ref}"', pulled
        cluster.kubectl.run("delete", "pod", "private", "--wait=false")
        cluster.kubectl.run("delete", "secret", "regcred")
    finally:
        reg.stop()

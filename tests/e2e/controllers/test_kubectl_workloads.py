"""Issue 6 with real processes and real kubectl: ``kubelite server``, ``controller-manager``,
``scheduler`` and two simulated nodes. The Redis ReplicationController of seed 001 heals a deleted pod
and follows ``kubectl scale``; a Deployment rolls with ``kubectl set image``, ``rollout status``
returns, and ``rollout history``/``undo`` work."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.apiserver.conftest import Kubectl

pytestmark = pytest.mark.e2e

REDIS_RC = """
apiVersion: v1
kind: ReplicationController
metadata:
  name: redis
  labels: {name: redis}
spec:
  replicas: 1
  selector: {name: redis}
  template:
    metadata:
      labels: {name: redis}
    spec:
      containers:
      - name: redis
        image: redis
        ports:
        - containerPort: 6379
          hostPort: 6379
"""

WEB_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
"""


def wait_for(kubectl: Kubectl, what: str, check: object, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            logs = "\n".join(p.read_text()[-1500:] for p in kubectl.server.data_dir.glob("*.log"))
            pytest.fail(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.2)


def pods(kubectl: Kubectl, selector: str) -> list[dict]:  # type: ignore[type-arg]
    out = kubectl.run("get", "pods", "-l", selector, "-o", "json").stdout
    return [p for p in json.loads(out)["items"] if not p["metadata"].get("deletionTimestamp")]


def running(kubectl: Kubectl, selector: str) -> list[str]:
    return sorted(p["metadata"]["name"] for p in pods(kubectl, selector) if p["status"].get("phase") == "Running")


def test_replication_controller_heals_and_scales(kubectl: Kubectl) -> None:
    kubectl.run("create", "-f", "-", input=REDIS_RC)
    wait_for(kubectl, "the redis pod running", lambda: len(running(kubectl, "name=redis")) == 1)
    (first,) = running(kubectl, "name=redis")

    kubectl.run("delete", "pod", first)
    wait_for(kubectl, "a replacement pod", lambda: len(running(kubectl, "name=redis")) == 1
             and running(kubectl, "name=redis") != [first])

    # Three replicas, hostPort 6379, two nodes: two run, the third cannot be placed and says why.
    kubectl.run("scale", "rc", "redis", "--replicas=3")
    wait_for(kubectl, "two redis pods running", lambda: len(running(kubectl, "name=redis")) == 2)
    pending = [p["metadata"]["name"] for p in pods(kubectl, "name=redis") if p["status"].get("phase") != "Running"]
    assert len(pending) == 1

    def explained() -> bool:
        out = kubectl.run("describe", "pod", pending[0]).stdout
        return "FailedScheduling" in out and "didn't have free ports for the requested pod ports" in out

    wait_for(kubectl, "the FailedScheduling event", explained)
    table = kubectl.run("get", "rc", "redis").stdout
    assert table.split("\n")[0].split()[:4] == ["NAME", "DESIRED", "CURRENT", "READY"]
    assert table.split("\n")[1].split()[:4] == ["redis", "3", "3", "2"]

    kubectl.run("scale", "rc", "redis", "--replicas=1")
    wait_for(kubectl, "scaled back to one", lambda: len(pods(kubectl, "name=redis")) == 1)


def test_deployment_rollout_status_history_and_undo(kubectl: Kubectl) -> None:
    kubectl.run("apply", "-f", "-", input=WEB_DEPLOYMENT)
    status = kubectl.run("rollout", "status", "deployment/web", "--timeout=90s", timeout=120)
    assert 'deployment "web" successfully rolled out' in status.stdout

    kubectl.run("set", "image", "deployment/web", "nginx=nginx:1.27")
    status = kubectl.run("rollout", "status", "deployment/web", "--timeout=90s", timeout=120)
    assert 'deployment "web" successfully rolled out' in status.stdout
    images = {p["spec"]["containers"][0]["image"] for p in pods(kubectl, "app=web")}
    assert images == {"nginx:1.27"}

    history = kubectl.run("rollout", "history", "deployment/web").stdout
    revisions = [line.split()[0] for line in history.splitlines()[2:] if line.strip()]
    assert revisions == ["1", "2"]

    kubectl.run("rollout", "undo", "deployment/web")
    kubectl.run("rollout", "status", "deployment/web", "--timeout=90s", timeout=120)
    image = kubectl.run("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
    assert image.stdout == "nginx:1.25"
    history = kubectl.run("rollout", "history", "deployment/web").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]
    table = kubectl.run("get", "deployment", "web").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["web", "3/3", "3", "3"]

"""``kubelite kubectl`` (the built-in client) on a real cluster of processes: the seeds' commands with
kubectl's output lines, and errors as one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.apiserver.conftest import ServerProcess

pytestmark = pytest.mark.e2e

DEPLOYMENT = """
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
        ports:
        - containerPort: 80
"""


def kk(cluster: ServerProcess, *args: str, stdin: str | None = None, check: bool = True
       ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "kubelite", "kubectl", *args[:1], "--kubeconfig",
                             str(cluster.kubeconfig), *args[1:]], input=stdin, capture_output=True, text=True,
                            timeout=120, env=dict(os.environ), check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def eventually(check: object, what: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_builtin_kubectl_drives_a_deployment(cluster: ServerProcess, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    assert kk(cluster, "apply", "-f", str(manifest)).stdout.strip() == "deployment.apps/web created"
    status = kk(cluster, "rollout", "status", "deployment/web", "--timeout=90s")
    assert status.stdout.strip().splitlines()[-1] == 'deployment "web" successfully rolled out'
    table = kk(cluster, "get", "deployments").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["web", "3/3", "3", "3"]
    names = kk(cluster, "get", "pods", "-l", "app=web", "-o", "name").stdout.split()
    assert len(names) == 3 and all(n.startswith("pod/web-") for n in names)

    assert kk(cluster, "label", "deployment", "web", "tier=front").stdout.strip() == "deployment.apps/web labeled"
    obj = json.loads(kk(cluster, "get", "deployment", "web", "-o", "json").stdout)
    assert obj["metadata"]["labels"] == {"tier": "front"}

    assert kk(cluster, "set", "image", "deployment/web", "nginx=nginx:1.27").stdout.strip() == \
        "deployment.apps/web image updated"
    kk(cluster, "rollout", "status", "deployment/web", "--timeout=90s")
    history = kk(cluster, "rollout", "history", "deployment/web").stdout.splitlines()
    assert [line.split()[0] for line in history[2:] if line.strip()] == ["1", "2"]
    assert kk(cluster, "rollout", "undo", "deployment/web").stdout.strip() == "deployment.apps/web rolled back"
    kk(cluster, "rollout", "status", "deployment/web", "--timeout=90s")
    image = json.loads(kk(cluster, "get", "deployment/web", "-o", "json").stdout)
    assert image["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"

    assert kk(cluster, "scale", "deployment", "web", "--replicas=1").stdout.strip() == "deployment.apps/web scaled"
    eventually(lambda: len(kk(cluster, "get", "pods", "-l", "app=web", "-o", "name").stdout.split()) == 1,
               "one pod left")

    assert kk(cluster, "expose", "deployment", "web", "--port=80").stdout.strip() == "service/web exposed"
    svc = json.loads(kk(cluster, "get", "svc", "web", "-o", "json").stdout)
    assert svc["spec"]["selector"] == {"app": "web"} and svc["spec"]["ports"][0]["targetPort"] == 80
    assert kk(cluster, "run", "probe", "--image=busybox").stdout.strip() == "pod/probe created"
    assert kk(cluster, "delete", "deployment", "web").stdout.strip() == 'deployment "web" deleted'
    assert "Server Version: v1." in kk(cluster, "version").stdout


def test_builtin_kubectl_errors_are_one_line(cluster: ServerProcess, tmp_path: Path) -> None:
    missing = kk(cluster, "get", "pod", "nope", check=False)
    assert missing.returncode == 1
    assert missing.stderr == 'Error: Error from server (NotFound): pods "nope" not found\n'
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n  labels: [\n")
    broken = kk(cluster, "create", "-f", str(bad), check=False)
    assert broken.returncode == 1 and broken.stderr.startswith(f"Error: {bad}:")
    assert "invalid YAML" in broken.stderr and "Traceback" not in broken.stderr

"""Service environment variables on the real engine through real kubectl: a pod started after a Service
has the Docker-link variables the guestbook (seed 004) relies on, with the Service's ClusterIP and port;
a pod started before it has none (Kubernetes sets them only at container start)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.kubelet.conftest import Cluster, ready, wait_for

pytestmark = pytest.mark.e2e


def _pod(name: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{{name: c, image: busybox, command: ["sleep", "3600"]}}]
"""


SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: redis-master}
spec:
  selector: {app: redis, role: master}
  ports: [{port: 6379, targetPort: 6379}]
"""


def _env(cluster: Cluster, pod: str) -> dict[str, str]:
    out = cluster.kubectl.run("exec", pod, "--", "env").stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_service_variables_in_a_pod_started_after_the_service(cluster: Cluster) -> None:
    cluster.kubectl.run("apply", "-f", "-", input=_pod("early"))
    wait_for(cluster, "early Ready", lambda: ready(cluster, "early"))
    cluster.kubectl.run("apply", "-f", "-", input=SERVICE)
    ip = json.loads(cluster.kubectl.run("get", "service", "redis-master", "-o", "json").stdout)["spec"]["clusterIP"]
    cluster.kubectl.run("apply", "-f", "-", input=_pod("late"))
    wait_for(cluster, "late Ready", lambda: ready(cluster, "late"))
    env = _env(cluster, "late")
    assert env["REDIS_MASTER_SERVICE_HOST"] == ip and env["REDIS_MASTER_SERVICE_PORT"] == "6379"
    assert env["REDIS_MASTER_PORT"] == f"tcp://{ip}:6379"
    assert env["REDIS_MASTER_PORT_6379_TCP"] == f"tcp://{ip}:6379"
    assert env["REDIS_MASTER_PORT_6379_TCP_ADDR"] == ip
    assert env["REDIS_MASTER_PORT_6379_TCP_PORT"] == "6379" and env["REDIS_MASTER_PORT_6379_TCP_PROTO"] == "tcp"
    assert env["KUBERNETES_SERVICE_HOST"] and env["KUBERNETES_SERVICE_PORT"]
    assert "REDIS_MASTER_SERVICE_HOST" not in _env(cluster, "early")
    cluster.kubectl.run("delete", "pod", "early", "late", "--wait=false")
    cluster.kubectl.run("delete", "service", "redis-master")

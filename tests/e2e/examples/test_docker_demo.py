"""examples/docker-demo (seed 002) as its README says, with kubectl 1.32 on ``kubelite up``: a pod from
YAML answering on its IP and through ``kubectl port-forward``, exposed on a NodePort that ``kubelite
service --url`` prints, three copies under an RC, and a Deployment whose pods serve v2 after ``set
image`` and v1 again after ``rollout undo``.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e.examples.conftest import EXAMPLES, KUBECTL, Cluster, free_port, http_get

pytestmark = pytest.mark.e2e

HERE = EXAMPLES / "docker-demo"


def served(cluster: Cluster, selector: str, count: int, version: str) -> bool:
    """``count`` ready pods match, each runs ``docker-demo:<version>`` and serves that version by name."""
    pods = cluster.ready_pods(selector, count)
    if not pods:
        return False
    for pod in pods:
        if [c["image"] for c in pod["status"].get("containerStatuses") or []] != [f"docker-demo:{version}"]:
            return False
        name = pod["metadata"]["name"]
        if http_get(f"http://{pod['status']['podIP']}:3000/") != f"Hello World! docker-demo {version} on {name}\n":
            return False
    return True


def url_serves(url: str, version: str) -> bool:
    body = http_get(url)
    return body is not None and body.startswith(f"Hello World! docker-demo {version} on ")


def test_docker_demo_walkthrough(cluster: Cluster) -> None:
    cluster.kubelite("build", "-t", "docker-demo:v1", str(HERE))
    cluster.kubelite("build", "--build-arg", "VERSION=v2", "-t", "docker-demo:v2", str(HERE))

    # 2. A pod from YAML.
    assert cluster.kubectl("create", "-f", str(HERE / "pod.yaml")).stdout.strip() == "pod/my-pod created"
    cluster.wait("my-pod serving v1 on its IP", lambda: served(cluster, "app=webserver", 1, "v1"))
    assert "app=webserver" in cluster.kubectl("describe", "pod", "my-pod").stdout
    assert cluster.kubectl("exec", "my-pod", "--", "cat", "/version").stdout == "v1\n"
    assert cluster.kubectl("label", "pods", "my-pod", "version=v1").stdout.strip() == "pod/my-pod labeled"
    assert "my-pod" in cluster.kubectl("get", "pods", "-l", "version=v1").stdout

    # 3. kubectl port-forward (on a free local port rather than the README's 8081).
    local = free_port()
    log = cluster.home / "port-forward.log"
    with log.open("wb") as out:
        forward = subprocess.Popen([KUBECTL, "port-forward", "my-pod", f"{local}:3000"], stdout=out,
                                   stderr=subprocess.STDOUT, env=cluster.kubectl_env(), cwd=cluster.home)
    try:
        cluster.wait("kubectl port-forward listening",
                     lambda: forward.poll() is None and "Forwarding from 127.0.0.1" in log.read_text(), within=60)
        assert http_get(f"http://127.0.0.1:{local}/") == "Hello World! docker-demo v1 on my-pod\n"
    finally:
        forward.terminate()
        forward.wait(timeout=30)

    # 4. NodePort, and the URL kubelite service prints (minikube service --url).
    cluster.kubectl("expose", "pod", "my-pod", "--type=NodePort", "--name=my-pod-service")
    svc = cluster.json("get", "service", "my-pod-service")
    node_port = svc["spec"]["ports"][0]["nodePort"]
    url = cluster.kubelite("service", "my-pod-service", "--url").stdout.strip()
    assert url == f"http://127.0.0.1:{node_port}", url
    cluster.wait("the node port answering", lambda: url_serves(url, "v1"), within=60)
    node = cluster.json("get", "nodes")["items"][0]
    node_ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    assert url_serves(f"http://{node_ip}:{node_port}/", "v1")
    assert url_serves(f"http://{svc['spec']['clusterIP']}:3000/", "v1")

    # 5. Three copies under a ReplicationController, then one.
    cluster.kubectl("create", "-f", str(HERE / "rc.yaml"))
    cluster.wait("three RC pods", lambda: cluster.ready_pods("app=hello-pod-v1", 3))
    cluster.kubectl("scale", "rc", "my-replication-controller", "--replicas=1")
    cluster.wait("one RC pod left", lambda: cluster.ready_pods("app=hello-pod-v1", 1))

    # 6. The Deployment: set image, rollout status, undo.
    cluster.kubectl("create", "-f", str(HERE / "deployment.yaml"))
    status = cluster.kubectl("rollout", "status", "deployment", "docker-demo", "--timeout=180s", timeout=240)
    assert 'deployment "docker-demo" successfully rolled out' in status.stdout
    cluster.wait("three pods serving v1", lambda: served(cluster, "app=docker-demo", 3, "v1"))
    cluster.kubectl("expose", "deployment", "docker-demo", "--type=NodePort")
    demo_url = cluster.kubelite("service", "docker-demo", "--url").stdout.strip()
    cluster.wait("the deployment's node port serving v1", lambda: url_serves(demo_url, "v1"), within=60)

    cluster.kubectl("set", "image", "deployment/docker-demo", "docker-demo=docker-demo:v2")
    status = cluster.kubectl("rollout", "status", "deployment", "docker-demo", "--timeout=180s", timeout=240)
    assert 'deployment "docker-demo" successfully rolled out' in status.stdout
    cluster.wait("three pods serving v2", lambda: served(cluster, "app=docker-demo", 3, "v2"))
    cluster.wait("the node port serving v2", lambda: url_serves(demo_url, "v2"), within=60)
    history = cluster.kubectl("rollout", "history", "deployment", "docker-demo").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"], history

    assert "rolled back" in cluster.kubectl("rollout", "undo", "deployment", "docker-demo").stdout
    status = cluster.kubectl("rollout", "status", "deployment", "docker-demo", "--timeout=180s", timeout=240)
    assert 'deployment "docker-demo" successfully rolled out' in status.stdout
    cluster.wait("three pods serving v1 again", lambda: served(cluster, "app=docker-demo", 3, "v1"))
    cluster.wait("the node port serving v1 again", lambda: url_serves(demo_url, "v1"), within=60)
    deployment = cluster.json("get", "deployment", "docker-demo")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "docker-demo:v1"

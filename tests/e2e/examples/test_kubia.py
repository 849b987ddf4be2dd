"""examples/kubia (seeds 000 and 003) as its README says, with kubectl 1.32 on ``kubelite up``: the
image of ../kubia-docker built on the node, ``kubectl run``, the RC exposed with ``kubectl expose rc
kubia --type=LoadBalancer``, scaled to three, requests to the external IP reaching every pod. (The
networking underneath is tested in depth by tests/e2e/network/test_kubia.py.)"""

from __future__ import annotations

import pytest

from tests.e2e.examples.conftest import EXAMPLES, Cluster, http_get

pytestmark = pytest.mark.e2e

HERE = EXAMPLES / "kubia"


def external_ip(cluster: Cluster) -> str | None:
    ingress = (cluster.json("get", "service", "kubia-http").get("status") or {}).get("loadBalancer", {})
    ips = [i.get("ip") for i in ingress.get("ingress") or [] if i.get("ip")]
    return ips[0] if ips else None


def test_kubia_walkthrough(cluster: Cluster) -> None:
    built = cluster.kubelite("build", "-t", "kubia", str(EXAMPLES / "kubia-docker"))
    assert "Successfully tagged kubia:latest" in built.stdout

    # 2. kubectl run: a single pod today.
    run = cluster.kubectl("run", "kubia", "--image=kubia", "--port=8080", "--image-pull-policy=IfNotPresent")
    assert run.stdout.strip() == "pod/kubia created"
    pod = cluster.wait("the kubia pod Running", lambda: cluster.ready_pods("run=kubia", 1))[0]
    assert cluster.wait("kubia answering on its pod IP",
                        lambda: http_get(f"http://{pod['status']['podIP']}:8080/")) == "You've hit kubia\n"
    cluster.kubectl("delete", "pod", "kubia")

    # 3. The RC behind a LoadBalancer.
    assert cluster.kubectl("create", "-f", str(HERE / "kubia-rc.yaml")).stdout.strip() == \
        "replicationcontroller/kubia created"
    cluster.kubectl("expose", "rc", "kubia", "--type=LoadBalancer", "--name", "kubia-http")
    ip = cluster.wait("an EXTERNAL-IP on kubia-http", lambda: external_ip(cluster), within=60)
    assert ip in cluster.kubectl("get", "services").stdout
    assert f"http://{ip}:8080" in cluster.kubelite("service", "kubia-http", "--url").stdout.split()

    # 4. Scale out: requests to the external IP reach all three pods.
    cluster.kubectl("scale", "rc", "kubia", "--replicas=3")
    pods = cluster.wait("three kubia pods Ready", lambda: cluster.ready_pods("app=kubia", 3))
    names = {p["metadata"]["name"] for p in pods}
    seen: set[str] = set()

    def all_answered() -> bool:
        body = http_get(f"http://{ip}:8080/")
        if body and body.startswith("You've hit "):
            seen.add(body.removeprefix("You've hit ").strip())
        return seen >= names

    cluster.wait(f"answers from all of {sorted(names)} through {ip}", all_answered, within=60)
    assert seen == names, seen
    wide = cluster.kubectl("get", "pods", "-o", "wide").stdout
    assert all(n in wide for n in names)

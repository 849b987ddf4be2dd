"""examples/redis (seed 001) as its README says: the image built on the node, the pod answering PING on
the node's port 6379, the ReplicationController adopting it and bringing a new pod when it is deleted."""

from __future__ import annotations

import socket

import pytest

from tests.e2e.examples.conftest import EXAMPLES, Cluster, port_taken_by

# The Debian base bootstrap (about a minute, several under load) may be waited for inside this test.
pytestmark = [pytest.mark.e2e, pytest.mark.debian_base, pytest.mark.timeout(900)]

HERE = EXAMPLES / "redis"


def ping(host: str, port: int = 6379) -> bool:
    """Redis answers ``+PONG`` to an inline PING on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=3) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def test_redis_walkthrough(cluster: Cluster) -> None:
    holder = port_taken_by(6379)
    if holder:
        pytest.fail(f"port 6379 is taken on this machine: {holder}; examples/redis publishes the node's 6379 as "
                    "seed 001 does: free it and run again", pytrace=False)
    cluster.engine.ensure_base()
    built = cluster.kubelite("build", "-t", "example/redis:1.0", str(HERE))
    assert "Successfully tagged example/redis:1.0" in built.stdout

    assert "Ready" in cluster.kubectl("get", "nodes").stdout
    assert cluster.kubectl("create", "-f", str(HERE / "redis-pod.yaml")).stdout.strip() == "pod/redis created"
    cluster.wait("the redis pod Running and Ready", lambda: cluster.ready_pods("name=redis", 1))
    node = cluster.json("get", "nodes")["items"][0]
    node_ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    cluster.wait("PONG on the node's address, port 6379", lambda: ping(node_ip), within=30)
    assert ping("127.0.0.1")
    ps = cluster.kubelite("ps").stdout
    assert "example/redis:1.0" in ps and "k8s_redis_redis_default_" in ps, ps

    assert "created" in cluster.kubectl("create", "-f", str(HERE / "redis-rc.yaml")).stdout
    adopted = cluster.wait("the controller adopting the redis pod",
                           lambda: [p for p in cluster.pods("name=redis")
                                    if any(o["name"] == "rediscontroller"
                                           for o in p["metadata"].get("ownerReferences") or [])])
    assert [p["metadata"]["name"] for p in adopted] == ["redis"]
    rc = cluster.json("get", "rc", "rediscontroller")
    assert rc["status"]["replicas"] == 1

    cluster.kubectl("delete", "pod", "redis")
    fresh = cluster.wait("a new pod made by the controller, Running and Ready",
                         lambda: cluster.ready_pods("name=redis", 1), within=180)
    assert fresh[0]["metadata"]["name"].startswith("rediscontroller-")
    cluster.wait("PONG from the new pod on port 6379", lambda: ping(node_ip), within=30)
    assert ping("127.0.0.1")

    cluster.kubectl("delete", "rc", "rediscontroller")
    cluster.wait("the pods gone with their controller", lambda: cluster.pods("name=redis") == [])

"""examples/guestbook (seed 004) as its README says, with kubectl 1.32 on ``kubelite up``: three images
built on the node from Debian packages, the six objects created in the seed's order, a message posted
through the frontend on NodePort 30001 read back from a replica, both replicas following the master
found through ``REDIS_MASTER_SERVICE_HOST``, and the master's DNS name resolving inside a frontend pod."""

from __future__ import annotations

import json
import socket
import urllib.parse
import urllib.request

import pytest

from tests.e2e.examples.conftest import EXAMPLES, Cluster, http_get, port_taken_by

# The Debian base bootstrap (about a minute, several under load) may be waited for inside this test.
pytestmark = [pytest.mark.e2e, pytest.mark.debian_base, pytest.mark.timeout(900)]

HERE = EXAMPLES / "guestbook"
NODE_PORT = 30001


def redis(host: str, command: bytes) -> bytes:
    """One inline command's raw answer (enough of it for the checks here), or b"" when not answering."""
    try:
        with socket.create_connection((host, 6379), timeout=3) as s:
            s.sendall(command + b"\r\n")
            return s.recv(4096)
    except OSError:
        return b""


def board(base: str) -> dict[str, object] | None:
    body = http_get(f"{base}/guestbook.php?cmd=get")
    if body is None:
        return None
    try:
        answer: dict[str, object] = json.loads(body)
    except ValueError:
        return None
    return answer


def post(base: str, message: str) -> int:
    data = urllib.parse.urlencode({"message": message}).encode()
    req = urllib.request.Request(f"{base}/", data=data, method="POST")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def test_guestbook_walkthrough(cluster: Cluster) -> None:
    holder = port_taken_by(NODE_PORT)
    if holder:
        pytest.fail(f"port {NODE_PORT} is taken on this machine: {holder}; the guestbook's frontend uses NodePort "
                    f"{NODE_PORT} as seed 004 does: free it and run again", pytrace=False)
    cluster.engine.ensure_base()
    for image in ("redis-master", "redis-slave", "php-frontend"):
        built = cluster.kubelite("build", "-t", f"guestbook/{image}:1.0", str(HERE / image))
        assert f"Successfully tagged guestbook/{image}:1.0" in built.stdout

    for name in ("redis-master-controller", "redis-master-service", "redis-slave-controller",
                 "redis-slave-service", "frontend-controller", "frontend-service"):
        assert "created" in cluster.kubectl("create", "-f", str(HERE / f"{name}.yaml")).stdout
    cluster.wait("the master Running", lambda: cluster.ready_pods("name=redis-master", 1))
    slaves = cluster.wait("two replicas Running", lambda: cluster.ready_pods("name=redis-slave", 2))
    cluster.wait("three frontends Running", lambda: cluster.ready_pods("name=frontend", 3))
    master_ip = cluster.json("get", "service", "redis-master")["spec"]["clusterIP"]
    slave_ip = cluster.json("get", "service", "redis-slave")["spec"]["clusterIP"]
    for pod in slaves:
        ip = pod["status"]["podIP"]
        cluster.wait(f"replica {pod['metadata']['name']} linked to the master's cluster IP",
                     lambda ip=ip: b"master_link_status:up" in redis(ip, b"INFO replication"), within=60)
        assert f"master_host:{master_ip}".encode() in redis(ip, b"INFO replication")

    node = cluster.json("get", "nodes")["items"][0]
    node_ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    url = cluster.kubelite("service", "frontend", "--url").stdout.strip()
    assert url == f"http://127.0.0.1:{NODE_PORT}", url
    first = cluster.wait("the board answering on the node port",
                         lambda: board(f"http://{node_ip}:{NODE_PORT}"), within=60)
    assert first == {"data": ["hello,world"], "from": slave_ip}, first

    assert post(f"http://{node_ip}:{NODE_PORT}", "signed through the node port") == 303
    assert post(url, "signed on localhost") == 303
    expected = ["hello,world", "signed through the node port", "signed on localhost"]
    cluster.wait("both messages read back from a replica",
                 lambda: (board(url) or {}).get("data") == expected, within=30)
    page = http_get(f"{url}/")
    assert page is not None and "<li>signed on localhost</li>" in page
    for pod in slaves:
        ip = pod["status"]["podIP"]
        cluster.wait(f"the messages on replica {pod['metadata']['name']}",
                     lambda ip=ip: b"signed on localhost" in redis(ip, b"LRANGE messages 0 -1"), within=30)

    # The DNS names the page falls back to (GET_HOSTS_FROM other than env), answered by cluster DNS.
    hosts = cluster.kubectl("exec", "rc/frontend", "--", "getent", "hosts", "redis-master").stdout.split()
    assert hosts == [master_ip, "redis-master.default.svc.cluster.local"], hosts

"""The stream proxy's pure decisions: which container, which kubelet address, which kubelet query, and
reading the kubelet's answer head."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import MultiDict

from kubelite.api.status import ApiError
from kubelite.apiserver.streamproxy import choose_container, kubelet_query, node_endpoint
from kubelite.apiserver.upgrade import parse_head

pytestmark = pytest.mark.unit


def pod(*names: str, init: tuple[str, ...] = (), default: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p"}
    if default:
        meta["annotations"] = {"kubectl.kubernetes.io/default-container": default}
    return {"metadata": meta, "spec": {"containers": [{"name": n} for n in names],
                                       "initContainers": [{"name": n} for n in init]}}


def message(err: pytest.ExceptionInfo[ApiError]) -> tuple[int, str]:
    return err.value.code, err.value.message


def test_container_choice_follows_kube() -> None:
    assert choose_container(pod("a"), "") == "a"
    assert choose_container(pod("a", "b"), "b") == "b"
    assert choose_container(pod("a", init=("setup",)), "setup") == "setup"  # init containers are valid
    assert choose_container(pod("a", "b", default="b"), "") == "b"
    with pytest.raises(ApiError) as err:
        choose_container(pod("a", "b"), "")
    assert message(err) == (400, "a container name must be specified for pod p, choose one of: [a b]")
    with pytest.raises(ApiError) as err:
        choose_container(pod("a"), "zz")
    assert message(err) == (400, "container zz is not valid for pod p")


def test_node_endpoint_prefers_internal_ip_and_defaults_the_port() -> None:
    node = {"metadata": {"name": "n"}, "status": {
        "addresses": [{"type": "Hostname", "address": "n"}, {"type": "InternalIP", "address": "10.0.0.5"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 12345}}}}
    assert node_endpoint(node) == ("10.0.0.5", 12345)
    assert node_endpoint({"metadata": {"name": "n"}, "status": {
        "addresses": [{"type": "Hostname", "address": "n"}]}}) == ("n", 10250)
    with pytest.raises(ApiError):
        node_endpoint({"metadata": {"name": "n"}, "status": {}})


def test_kubelet_query_keeps_only_known_options() -> None:
    q = MultiDict([("command", "sh"), ("command", "-c"), ("stdin", "true"), ("tty", "1"), ("stderr", "false"),
                   ("container", "c"), ("x", "y")])
    assert kubelet_query("exec", q) == [("stdin", "1"), ("tty", "1"), ("command", "sh"), ("command", "-c")]
    assert kubelet_query("attach", q) == [("stdin", "1"), ("tty", "1")]
    assert kubelet_query("portforward", MultiDict([("ports", "80"), ("ports", "443")])) == [("port", "80,443")]
    assert kubelet_query("portforward", MultiDict()) == []
    logs = MultiDict([("follow", "true"), ("tailLines", "0"), ("previous", "false"), ("limitBytes", "10")])
    assert kubelet_query("log", logs) == [("follow", "true"), ("tailLines", "0"), ("limitBytes", "10")]
    assert kubelet_query("log", MultiDict([("sinceTime", "2026-01-02T03:04:05Z")])) == [
        ("sinceTime", "2026-01-02T03:04:05Z")]
    for bad in (("tailLines", "x"), ("sinceSeconds", "0"), ("limitBytes", "-1"), ("sinceTime", "yesterday")):
        with pytest.raises(ApiError) as err:
            kubelet_query("log", MultiDict([bad]))
        assert err.value.code in (400, 422)
    with pytest.raises(ApiError) as err:
        kubelet_query("log", MultiDict([("sinceTime", "2026-01-02T03:04:05Z"), ("sinceSeconds", "5")]))
    assert err.value.code == 422 and "at most one of" in err.value.message


def test_parse_head() -> None:
    head = parse_head(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\n"
                      b"X-Stream-Protocol-Version: v4.channel.k8s.io\r\nConnection: Upgrade\r\n\r\n")
    assert (head.status, head.reason) == (101, "Switching Protocols")
    assert head.headers["upgrade"] == "SPDY/3.1" and head.headers["X-Stream-Protocol-Version"] == "v4.channel.k8s.io"
    assert parse_head(b"HTTP/1.1 404\r\n\r\n").status == 404
    for bad in (b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 101 OK\r\nno colon here\r\n\r\n"):
        with pytest.raises(ValueError):
            parse_head(bad)

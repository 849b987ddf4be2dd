"""The pure framing of the channel stream protocols (exec/attach and port-forward), and the built-in
kubectl's port-forward target arithmetic, without a server."""

from __future__ import annotations

import json

import pytest

from kubelite.cli.errors import CLIError
from kubelite.cli.kubectl.portforward import PortSpec, container_port, parse_ports, pick_pod, service_target
from kubelite.client.streams import (
    PortChannels,
    StreamError,
    close_stdin_frame,
    exit_code,
    frame,
    resize_frame,
    stream_query,
    unframe,
)

pytestmark = pytest.mark.unit


def test_frames_carry_the_channel_byte_first() -> None:
    assert frame(0, b"ls\r") == b"\x00ls\r"
    assert unframe(b"\x01hello") == (1, b"hello")
    assert close_stdin_frame() == b"\xff\x00"
    channel, payload = unframe(resize_frame(100, 30))
    assert channel == 4 and json.loads(payload) == {"Width": 100, "Height": 30}
    with pytest.raises(StreamError):
        unframe(b"")
    with pytest.raises(ValueError):
        frame(256)


def test_exit_code_from_the_status() -> None:
    assert exit_code(None) == 0
    assert exit_code({"metadata": {}, "status": "Success"}) == 0
    failure = {"status": "Failure", "reason": "NonZeroExitCode", "message": "command terminated ...",
               "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}}
    assert exit_code(failure) == 3
    with pytest.raises(StreamError, match="container not running"):
        exit_code({"status": "Failure", "reason": "InternalError", "message": "container not running"})


def test_stream_query_sends_only_true_flags_and_no_stderr_under_a_tty() -> None:
    assert stream_query(command=["sh", "-c", "x"], container="c") == [
        ("command", "sh"), ("command", "-c"), ("command", "x"), ("container", "c"),
        ("stdout", "true"), ("stderr", "true")]
    assert stream_query(stdin=True, tty=True) == [("stdin", "true"), ("stdout", "true"), ("tty", "true")]


def test_port_channels_check_and_drop_the_port_headers() -> None:
    channels = PortChannels(8080)
    port = (8080).to_bytes(2, "little")
    assert channels.feed(b"\x00" + port) == ("", b"")
    assert channels.feed(b"\x01" + port) == ("", b"")
    assert channels.feed(b"\x00HTTP/1.0 200") == ("data", b"HTTP/1.0 200")
    assert channels.feed(b"\x01refused") == ("error", b"refused")
    # a header and data in one message: the data is kept
    assert PortChannels(80).feed(b"\x00" + (80).to_bytes(2, "little") + b"abc") == ("data", b"abc")
    with pytest.raises(StreamError, match="port 81"):
        PortChannels(80).feed(b"\x00" + (81).to_bytes(2, "little"))
    with pytest.raises(StreamError):
        PortChannels(80).feed(b"\x02" + (80).to_bytes(2, "little"))


def test_port_specs() -> None:
    assert parse_ports(["8080", "9000:80", ":http"]) == [PortSpec(8080, "8080"), PortSpec(9000, "80"),
                                                         PortSpec(0, "http")]
    for bad in (["x:80"], ["70000:80"], []):
        with pytest.raises(CLIError):
            parse_ports(bad)


POD = {"metadata": {"name": "web"},
       "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]}}


def test_service_ports_map_to_target_ports() -> None:
    svc = {"metadata": {"name": "s"}, "spec": {"ports": [
        {"name": "web", "port": 80, "targetPort": "http"}, {"port": 443, "targetPort": 8443}, {"port": 9}]}}
    assert service_target(svc, POD, "80") == 8080
    assert service_target(svc, POD, "web") == 8080
    assert service_target(svc, POD, "443") == 8443
    assert service_target(svc, POD, "9") == 9
    with pytest.raises(CLIError, match="does not have a service port 81"):
        service_target(svc, POD, "81")
    assert container_port(POD, "http") == 8080
    with pytest.raises(CLIError, match="named port 'nope'"):
        container_port(POD, "nope")


def test_pick_pod_prefers_running_and_ready() -> None:
    def pod(name: str, phase: str, ready: bool, created: str) -> dict[str, object]:
        return {"metadata": {"name": name, "creationTimestamp": created},
                "status": {"phase": phase, "conditions": [{"type": "Ready", "status": str(ready)}]}}

    pods = [pod("a", "Pending", False, "1"), pod("b", "Running", False, "1"), pod("c", "Running", True, "3"),
            pod("d", "Running", True, "2")]
    chosen = pick_pod(pods)
    assert chosen is not None and chosen["metadata"]["name"] == "d"
    assert pick_pod([pods[0]]) is None

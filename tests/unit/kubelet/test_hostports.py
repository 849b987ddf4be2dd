"""hostPort declarations become the engine's port mappings (seed 001's Redis on the node's 6379)."""

from __future__ import annotations

import pytest

from kubelite.kubelet.hostports import host_port_mappings
from kubelite.runtime.cri import PortMapping

pytestmark = pytest.mark.unit


def test_only_ports_with_a_host_port_are_mapped_with_protocol_and_address() -> None:
    pod = {"spec": {"containers": [
        {"name": "redis", "ports": [{"containerPort": 6379, "hostPort": 6379}, {"containerPort": 9121}]},
        {"name": "dns", "ports": [{"containerPort": 53, "hostPort": 1053, "protocol": "UDP", "hostIP": "127.0.0.1"}]},
    ]}}
    assert host_port_mappings(pod) == [
        PortMapping(container_port=6379, host_port=6379, protocol="tcp", host_ip=""),
        PortMapping(container_port=53, host_port=1053, protocol="udp", host_ip="127.0.0.1"),
    ]


def test_host_network_pods_and_pods_without_ports_map_nothing() -> None:
    assert host_port_mappings({"spec": {"hostNetwork": True, "containers": [
        {"name": "a", "ports": [{"containerPort": 80, "hostPort": 80}]}]}}) == []
    assert host_port_mappings({"spec": {"containers": [{"name": "a"}]}}) == []
    assert host_port_mappings({}) == []

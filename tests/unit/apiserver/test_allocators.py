import random
from typing import Any

import pytest

from kubelite.api.status import ApiError
from kubelite.apiserver.allocators import ServiceAllocator

pytestmark = pytest.mark.unit


def svc(name: str, typ: str = "ClusterIP", ip: str | None = None, *ports: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": typ, "ports": list(ports) or [{"port": 80, "protocol": "TCP"}]}
    if ip:
        spec["clusterIP"] = ip
    return {"metadata": {"name": name, "namespace": "default"}, "spec": spec}


def alloc(**kw: Any) -> ServiceAllocator:
    return ServiceAllocator(rng=random.Random(3), **kw)


def test_random_ips_avoid_the_static_band_and_explicit_ones_are_honoured() -> None:
    a = alloc()
    kubernetes, dns = svc("kubernetes", ip="10.96.0.1"), svc("kube-dns", ip="10.96.0.10")
    a.allocate(kubernetes, None)
    a.allocate(dns, None)
    assert dns["spec"]["clusterIP"] == "10.96.0.10"
    for i in range(50):
        s = svc(f"s{i}")
        a.allocate(s, None)
        ip = s["spec"]["clusterIP"]
        assert s["spec"]["clusterIPs"] == [ip]
        assert int(ip.split(".")[2]) >= 1 or int(ip.split(".")[1]) > 96  # past the first 256 addresses


def test_explicit_ip_conflicts_and_range_errors_are_422_worded_like_kubernetes() -> None:
    a = alloc()
    a.allocate(svc("a", ip="10.96.0.5"), None)
    with pytest.raises(ApiError) as taken:
        a.allocate(svc("b", ip="10.96.0.5"), None)
    assert taken.value.code == 422
    assert "failed to allocate IP 10.96.0.5: provided IP is already allocated" in taken.value.message
    with pytest.raises(ApiError) as outside:
        a.allocate(svc("c", ip="192.168.0.1"), None)
    assert "The range of valid IPs is 10.96.0.0/12" in outside.value.message


def test_headless_and_external_name_get_no_ip() -> None:
    a = alloc()
    headless = svc("h", ip="None")
    a.allocate(headless, None)
    assert headless["spec"]["clusterIP"] == "None"
    ext = {"metadata": {"name": "e"}, "spec": {"type": "ExternalName", "externalName": "x.example"}}
    a.allocate(ext, None)
    assert "clusterIP" not in ext["spec"]


def test_node_ports_explicit_shared_across_protocols_and_released() -> None:
    a = alloc()
    frontend = svc("frontend", "NodePort", None, {"port": 80, "nodePort": 30001})
    a.allocate(frontend, None)
    assert frontend["spec"]["ports"][0]["nodePort"] == 30001
    with pytest.raises(ApiError) as busy:
        a.allocate(svc("other", "NodePort", None, {"port": 80, "nodePort": 30001}), None)
    assert "spec.ports[0].nodePort: Invalid value: 30001: provided port is already allocated" in busy.value.message
    dns = svc("dns", "NodePort", None, {"port": 53, "protocol": "TCP", "nodePort": 30053},
              {"port": 53, "protocol": "UDP", "nodePort": 30053})
    a.allocate(dns, None)
    with pytest.raises(ApiError, match=r"valid range\. The range of valid ports is 30000-32767"):
        a.allocate(svc("x", "NodePort", None, {"port": 1, "nodePort": 40000}), None)
    a.release(frontend)
    again = svc("again", "NodePort", None, {"port": 80, "nodePort": 30001})
    a.allocate(again, None)  # freed by the delete


def test_type_changes_on_update_allocate_then_release() -> None:
    a = alloc()
    old = svc("web")
    a.allocate(old, None)
    new = {"metadata": old["metadata"], "spec": {**old["spec"], "type": "NodePort",
                                                 "ports": [{"port": 80}]}}
    a.allocate(new, old)
    port = new["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767 and new["spec"]["clusterIP"] == old["spec"]["clusterIP"]
    back = {"metadata": old["metadata"], "spec": {**new["spec"], "type": "ClusterIP",
                                                  "ports": [{"port": 80, "nodePort": port}]}}
    a.allocate(back, new)
    assert "nodePort" not in back["spec"]["ports"][0]
    reuse = svc("reuse", "NodePort", None, {"port": 80, "nodePort": port})
    a.allocate(reuse, None)  # released when the service went back to ClusterIP


def test_failed_allocation_rolls_back_what_it_took_and_restore_marks_used() -> None:
    a = alloc()
    a.allocate(svc("holder", "NodePort", None, {"port": 1, "nodePort": 30002}), None)
    failing = svc("f", "NodePort", "10.96.5.5", {"port": 1}, {"port": 2, "nodePort": 30002})
    with pytest.raises(ApiError):
        a.allocate(failing, None)
    a.allocate(svc("g", ip="10.96.5.5"), None)  # the IP taken by the failed call was given back
    b = alloc()
    b.restore([svc("r", "NodePort", "10.96.7.7", {"port": 1, "nodePort": 31000})])
    with pytest.raises(ApiError):
        b.allocate(svc("s", ip="10.96.7.7"), None)
    with pytest.raises(ApiError):
        b.allocate(svc("t", "NodePort", None, {"port": 1, "nodePort": 31000}), None)


def test_a_small_range_fills_up_with_a_clear_error() -> None:
    a = alloc(service_cidr="10.0.0.0/29")  # 6 usable addresses
    for i in range(6):
        a.allocate(svc(f"s{i}"), None)
    with pytest.raises(ApiError, match="range is full"):
        a.allocate(svc("overflow"), None)

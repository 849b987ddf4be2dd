"""Routes between nodes as a pure function of the Node objects (host-gw)."""

from typing import Any

from kubelite.kubelet.routes import desired_routes, internal_ip, pod_cidrs


def node(name: str, cidr: str | None, ip: str | None, **spec: Any) -> dict[str, Any]:
    addresses = [{"type": "Hostname", "address": name}]
    if ip:
        addresses.insert(0, {"type": "InternalIP", "address": ip})
    return {"metadata": {"name": name}, "spec": ({"podCIDR": cidr} if cidr else {}) | spec,
            "status": {"addresses": addresses}}


def test_every_other_node_is_routed_via_its_internal_ip() -> None:
    nodes = [node("a", "10.244.0.0/24", "10.99.0.2"), node("b", "10.244.1.0/24", "10.99.0.3"),
             node("c", "10.244.2.0/24", "10.99.0.4")]
    assert desired_routes(nodes, "a") == {"10.244.1.0/24": "10.99.0.3", "10.244.2.0/24": "10.99.0.4"}
    assert desired_routes(nodes, "c") == {"10.244.0.0/24": "10.99.0.2", "10.244.1.0/24": "10.99.0.3"}
    assert desired_routes(nodes[1:], "a") == {"10.244.1.0/24": "10.99.0.3", "10.244.2.0/24": "10.99.0.4"}


def test_nodes_without_a_cidr_or_an_address_are_skipped() -> None:
    nodes = [node("a", "10.244.0.0/24", "10.99.0.2"), node("b", None, "10.99.0.3"),
             node("c", "10.244.2.0/24", None), node("d", "10.244.3.0/24", "fd00::4")]
    assert desired_routes(nodes, "a") == {}


def test_own_cidr_own_address_and_duplicates_are_never_routed() -> None:
    nodes = [node("a", "10.244.0.0/24", "10.99.0.2"), node("z", "10.244.1.0/24", "10.99.0.9"),
             node("b", "10.244.0.0/25", "10.99.0.3"),  # overlaps a's own CIDR
             node("c", "10.244.5.0/24", "10.99.0.2"),  # claims a's address
             node("y", "10.244.1.0/24", "10.99.0.8")]  # same CIDR as z: the name sorting first wins
    assert desired_routes(nodes, "a") == {"10.244.1.0/24": "10.99.0.8"}


def test_pod_cidrs_prefers_the_list_and_normalises() -> None:
    n = node("a", "10.244.0.0/24", "10.99.0.2", podCIDRs=["10.244.0.0/24", "fd00::/64"])
    assert pod_cidrs(n) == ["10.244.0.0/24"]
    assert pod_cidrs(node("a", "10.244.0.7/24", None)) == ["10.244.0.0/24"]
    assert pod_cidrs({"metadata": {"name": "x"}}) == [] and internal_ip({}) == ""

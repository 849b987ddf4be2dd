import random

import pytest

from kubelite.scheduler.framework import FitError, Framework, num_feasible_nodes_to_find
from kubelite.scheduler.nodeinfo import HostPort, NodeInfo, PodInfo, Taint, Toleration

pytestmark = pytest.mark.unit

GI = 1024**3


def node(name: str, cpu: int = 4000, mem: int = 8 * GI, **kw: object) -> NodeInfo:
    return NodeInfo(name=name, allocatable_milli_cpu=cpu, allocatable_memory=mem, **kw)  # type: ignore[arg-type]


def pod(name: str = "p", **kw: object) -> PodInfo:
    return PodInfo(namespace="default", name=name, uid=f"uid-{name}", **kw)  # type: ignore[arg-type]


def fw() -> Framework:
    return Framework(rng=random.Random(1))


def test_fit_error_is_worded_like_kubernetes() -> None:
    nodes = [node(f"n{i}", cpu=1000) for i in range(3)]
    with pytest.raises(FitError) as info:
        fw().schedule(pod(milli_cpu=2000), nodes)
    assert str(info.value) == "0/3 nodes are available: 3 Insufficient cpu."


def test_fit_error_histogram_is_sorted_and_counts_every_reason() -> None:
    nodes = [
        node("a", cpu=100, mem=GI),
        node("b", unschedulable=True),
        node("c", taints=(Taint("dedicated", "gpu", "NoSchedule"),)),
    ]
    with pytest.raises(FitError) as info:
        fw().schedule(pod(milli_cpu=500, memory=2 * GI), nodes)
    assert info.value.message == (
        "0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, "
        "1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable."
    )


def test_no_nodes_at_all() -> None:
    with pytest.raises(FitError, match=r"^0/0 nodes are available\.$"):
        fw().schedule(pod(), [])


def test_tolerations_let_pods_onto_tainted_and_cordoned_nodes() -> None:
    tainted = node("t", taints=(Taint("dedicated", "gpu", "NoSchedule"),))
    assert fw().schedule(pod(tolerations=(Toleration("dedicated", "Equal", "gpu"),)), [tainted]).node == "t"
    assert fw().schedule(pod(tolerations=(Toleration(operator="Exists"),)), [tainted]).node == "t"
    with pytest.raises(FitError):
        fw().schedule(pod(tolerations=(Toleration("dedicated", "Equal", "cpu"),)), [tainted])
    cordoned = node("c", unschedulable=True)
    ok = Toleration("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule")
    assert fw().schedule(pod(tolerations=(ok,)), [cordoned]).node == "c"


def test_prefer_no_schedule_only_lowers_the_score() -> None:
    soft = node("soft", taints=(Taint("k", "v", "PreferNoSchedule"),))
    clean = node("clean")
    for _ in range(5):
        assert fw().schedule(pod(), [soft, clean]).node == "clean"
    assert fw().schedule(pod(), [soft]).node == "soft"


def test_node_name_node_selector_and_affinity() -> None:
    nodes = [node("a", labels={"disk": "ssd", "gen": "3"}), node("b", labels={"disk": "hdd", "gen": "5"})]
    assert fw().schedule(pod(node_name="b"), nodes).node == "b"
    assert fw().schedule(pod(node_selector={"disk": "ssd"}), nodes).node == "a"
    gt4 = [{"matchExpressions": [{"key": "gen", "operator": "Gt", "values": ["4"]}]}]
    assert fw().schedule(pod(required_affinity=gt4), nodes).node == "b"
    by_name = [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]}]
    assert fw().schedule(pod(required_affinity=by_name), nodes).node == "a"
    with pytest.raises(FitError, match="2 node\\(s\\) didn't match Pod's node affinity/selector"):
        fw().schedule(pod(node_selector={"disk": "nvme"}), nodes)
    prefer_ssd = [{"weight": 50, "preference": {
        "matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}}]
    assert all(fw().schedule(pod(preferred_affinity=prefer_ssd), nodes).node == "a" for _ in range(5))


def test_host_ports_conflict_per_protocol_and_ip() -> None:
    busy = node("busy")
    busy.add_pod(pod("redis", host_ports=(HostPort(6379),)))
    free = node("free")
    assert fw().schedule(pod(host_ports=(HostPort(6379),)), [busy, free]).node == "free"
    assert fw().schedule(pod(host_ports=(HostPort(6379, "UDP"),)), [busy]).node == "busy"
    with pytest.raises(FitError, match="1 node\\(s\\) didn't have free ports for the requested pod ports"):
        fw().schedule(pod(host_ports=(HostPort(6379, ip="127.0.0.1"),)), [busy])


def test_too_many_pods() -> None:
    full = node("full", allocatable_pods=1)
    full.add_pod(pod("x"))
    with pytest.raises(FitError, match="1 Too many pods"):
        fw().schedule(pod(), [full])


def test_least_allocated_prefers_the_emptier_node_and_remove_pod_restores() -> None:
    a, b = node("a"), node("b")
    a.add_pod(pod("big", milli_cpu=3000, memory=6 * GI))
    assert fw().schedule(pod(milli_cpu=100), [a, b]).node == "b"
    a.remove_pod("default/big")
    assert a.requested_milli_cpu == 0 and a.non_zero_cpu == 0 and not a.owner_counts


def test_replicas_of_one_controller_spread_over_nodes() -> None:
    nodes = [node(f"n{i}") for i in range(3)]
    framework = fw()
    placed = []
    for i in range(3):
        p = pod(f"kubia-{i}", owner_uid="rc-uid")
        chosen = framework.schedule(p, nodes).node
        next(n for n in nodes if n.name == chosen).add_pod(p)
        placed.append(chosen)
    assert sorted(placed) == ["n0", "n1", "n2"]


def test_topology_spread_max_skew_across_zones() -> None:
    za = node("a", labels={"zone": "a"})
    zb = node("b", labels={"zone": "b"})
    nolabel = node("c")
    za.add_pod(pod("w1", labels={"app": "web"}))
    constraint = [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                   "labelSelector": {"matchLabels": {"app": "web"}}}]
    incoming = pod("w2", labels={"app": "web"}, spread_constraints=constraint)
    for _ in range(5):
        assert fw().schedule(incoming, [za, zb, nolabel]).node == "b"
    # With one zone only, placing there keeps the skew at 0: allowed, as in Kubernetes.
    assert fw().schedule(incoming, [za, nolabel]).node == "a"
    with pytest.raises(FitError) as info:
        fw().schedule(incoming, [nolabel])
    expected = "1 node(s) didn't match pod topology spread constraints (missing required label)"
    assert expected in str(info.value)


def test_adaptive_number_of_nodes_to_find() -> None:
    assert num_feasible_nodes_to_find(50, 0) == 50
    assert num_feasible_nodes_to_find(1000, 0) == 420  # 50% - 1000/125 = 42%
    assert num_feasible_nodes_to_find(5000, 0) == 500  # 50% - 40% = 10%
    assert num_feasible_nodes_to_find(10000, 0) == 500  # floor of 5%
    assert num_feasible_nodes_to_find(150, 10) == 100  # never fewer than 100
    assert num_feasible_nodes_to_find(1000, 30) == 300


def test_filtering_stops_early_and_rotates_the_start() -> None:
    nodes = [node(f"n{i:04d}") for i in range(1000)]
    framework = fw()
    first = framework.schedule(pod(), nodes)
    assert first.evaluated == 420 and first.feasible == 420
    assert framework.next_start == 420
    second = framework.schedule(pod(), nodes)
    assert second.evaluated == 420 and framework.next_start == 840

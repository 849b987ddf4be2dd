import pytest

from kubelite.scheduler.cache import Cache
from kubelite.scheduler.convert import node_info, pod_info, pod_requests
from kubelite.scheduler.nodeinfo import HostPort, NodeInfo, PodInfo

pytestmark = pytest.mark.unit


def _node(name: str) -> NodeInfo:
    return NodeInfo(name=name, allocatable_milli_cpu=1000, allocatable_memory=1 << 30)


def _pod(name: str, node: str = "", cpu: int = 100) -> PodInfo:
    return PodInfo(namespace="ns", name=name, uid=name, milli_cpu=cpu, node_name=node)


def test_assume_confirm_and_forget() -> None:
    cache = Cache()
    cache.set_node(_node("a"))
    p = _pod("web")
    cache.assume(p, "a")
    a = cache.node("a")
    assert a is not None and a.requested_milli_cpu == 100 and cache.is_assumed("ns/web")
    cache.forget("ns/web")
    assert a.requested_milli_cpu == 0 and cache.pod_count() == 0
    cache.assume(p, "a")
    cache.add_pod(_pod("web", node="a"))  # the informer sees it bound: confirmed, not doubled
    assert a.requested_milli_cpu == 100 and not cache.is_assumed("ns/web")
    cache.remove_pod("ns/web")
    assert a.requested_milli_cpu == 0


def test_pods_seen_before_their_node_and_node_removal_keep_their_accounting() -> None:
    cache = Cache()
    cache.add_pod(_pod("early", node="late-node", cpu=300))
    cache.set_node(_node("late-node"))
    node = cache.node("late-node")
    assert node is not None and node.requested_milli_cpu == 300
    cache.remove_node("late-node")
    assert cache.nodes() == []
    cache.set_node(_node("late-node"))
    again = cache.node("late-node")
    assert again is not None and again.requested_milli_cpu == 300


def test_node_list_order_is_stable_under_removal() -> None:
    cache = Cache()
    for n in "abcd":
        cache.set_node(_node(n))
    cache.remove_node("b")
    assert [n.name for n in cache.nodes()] == ["a", "d", "c"]
    cache.set_node(NodeInfo(name="a", allocatable_milli_cpu=5, allocatable_memory=5, labels={"x": "y"}))
    a = cache.node("a")
    assert a is not None and a.labels == {"x": "y"} and len(cache.nodes()) == 3


def test_pod_requests_count_init_containers_overhead_and_limits() -> None:
    spec = {
        "containers": [
            {"resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
            {"resources": {"limits": {"cpu": "1", "memory": "128Mi"}}},
        ],
        "initContainers": [{"resources": {"requests": {"cpu": "2", "memory": "10Mi"}}}],
        "overhead": {"cpu": "10m"},
    }
    assert pod_requests(spec) == (2010, (64 + 128) * 1024 * 1024)


def test_pod_and_node_conversion() -> None:
    pod = {
        "metadata": {"name": "redis", "namespace": "default", "uid": "u1", "labels": {"name": "redis"},
                     "ownerReferences": [{"uid": "rc1", "controller": True}]},
        "spec": {"containers": [{"image": "redis", "ports": [{"containerPort": 6379, "hostPort": 6379}]}],
                 "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
                 "nodeSelector": {"disk": "ssd"}},
    }
    info = pod_info(pod)
    assert info.key == "default/redis" and info.owner_uid == "rc1"
    assert info.host_ports == (HostPort(6379, "TCP", "0.0.0.0"),)
    assert info.tolerations[0].operator == "Exists" and info.node_selector == {"disk": "ssd"}
    node = node_info({
        "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}},
        "spec": {"taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]},
        "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                   "images": [{"names": ["busybox:latest"], "sizeBytes": 1000}]},
    })
    assert node.allocatable_milli_cpu == 2000
    assert (node.allocatable_memory, node.allocatable_pods) == (4 << 30, 110)
    assert node.taints[0].key == "node.kubernetes.io/not-ready"
    assert node.image_sizes == {"busybox:latest": 1000}

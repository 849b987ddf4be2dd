"""The vectorised path must choose among exactly the nodes the plugin path would, and fail with the
same reasons, on any cluster: checked on random clusters against the plugin path scoring every node."""

import random

import pytest

from kubelite.scheduler import fastpath
from kubelite.scheduler.cache import Cache
from kubelite.scheduler.framework import FitError, Framework, default_profile
from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo, Taint, Toleration

pytestmark = pytest.mark.unit
GI = 1024**3


def random_cluster(rng: random.Random) -> Cache:
    cache = Cache()
    for i in range(rng.randint(1, 40)):
        taints = []
        if rng.random() < 0.2:
            taints.append(Taint("dedicated", rng.choice(["a", "b"]), "NoSchedule"))
        if rng.random() < 0.2:
            taints.append(Taint("soft", "x", "PreferNoSchedule"))
        images = {"busybox:latest": 5_000_000} if rng.random() < 0.3 else {}
        if rng.random() < 0.2:
            images["redis:7"] = 120_000_000
        cache.set_node(NodeInfo(name=f"n{i}", allocatable_milli_cpu=rng.choice([0, 500, 1000, 4000]),
                                allocatable_memory=rng.choice([GI, 4 * GI]), allocatable_pods=rng.choice([3, 110]),
                                taints=tuple(taints), unschedulable=rng.random() < 0.1, image_sizes=images))
    for j in range(rng.randint(0, 60)):
        node = rng.choice(cache.nodes()).name
        cache.add_pod(PodInfo(namespace="ns", name=f"existing-{j}", uid=f"e{j}", node_name=node,
                              milli_cpu=rng.choice([0, 100, 300]), memory=rng.choice([0, 64 << 20]),
                              owner_uid=rng.choice(["", "rc-a", "rc-b"])))
    return cache


def random_pod(rng: random.Random) -> PodInfo:
    tolerations: tuple[Toleration, ...] = ()
    if rng.random() < 0.3:
        tolerations = (Toleration("dedicated", "Equal", rng.choice(["a", "b"]), "NoSchedule"),)
    return PodInfo(namespace="ns", name="incoming", uid="new", milli_cpu=rng.choice([0, 50, 250, 900]),
                   memory=rng.choice([0, 128 << 20, 2 * GI]), tolerations=tolerations,
                   owner_uid=rng.choice(["", "rc-a", "rc-b"]),
                   images=rng.choice([(), ("busybox",), ("redis:7", "busybox:latest")]))


@pytest.mark.parametrize("seed", range(100))
def test_fast_path_agrees_with_the_plugin_path(seed: int) -> None:
    rng = random.Random(seed)
    cache, pod = random_cluster(rng), random_pod(rng)
    assert fastpath.eligible(pod)
    profile = default_profile()
    profile.percentage_of_nodes_to_score = 100  # the plugin path scores every node too
    generic = Framework(profile, rng=random.Random(0))
    feasible, _, reasons = generic._find_feasible(pod, cache.nodes())
    rows, count, fast_reasons = fastpath.best_rows(pod, cache)
    if not feasible:
        assert len(rows) == 0
        assert str(FitError(pod, len(cache.nodes()), fast_reasons)) == str(FitError(pod, len(cache.nodes()), reasons))
        with pytest.raises(FitError):
            Framework(rng=random.Random(0)).schedule_cached(pod, cache)
        return
    assert count == len(feasible)
    expected = set(generic.best_candidates(pod, feasible))
    assert {cache.nodes()[r].name for r in rows} == expected
    chosen = Framework(rng=random.Random(seed)).schedule_cached(pod, cache).node
    assert chosen in expected

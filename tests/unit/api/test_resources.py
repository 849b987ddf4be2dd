import pytest

from kubelite.api.resources import REGISTRY

pytestmark = pytest.mark.unit


def test_lookups_agree() -> None:
    pods = REGISTRY.by_gvr("", "v1", "pods")
    assert pods is not None
    assert REGISTRY.by_kind("Pod") is pods
    assert REGISTRY.by_short_name("po") is pods
    assert REGISTRY.resolve("pod") is pods
    assert REGISTRY.by_api_version_kind("v1", "Pod") is pods
    deploy = REGISTRY.resolve("deploy")
    assert deploy is not None and deploy.api_version == "apps/v1" and deploy.list_kind == "DeploymentList"
    assert REGISTRY.resolve("deployments.apps") is deploy
    assert REGISTRY.resolve("deployments.batch") is None
    assert REGISTRY.resolve("nope") is None


def test_event_kind_prefers_core_and_events_group_stores_core_form() -> None:
    ev = REGISTRY.by_kind("Event")
    assert ev is not None and ev.group == ""
    ev2 = REGISTRY.by_gvr("events.k8s.io", "v1", "events")
    assert ev2 is not None and ev2.storage_gvk == ("", "v1", "Event")
    assert ev2.storage_key("default", "x") == ev.storage_key("default", "x") == "/registry/events/default/x"


def test_storage_keys_use_kube_prefixes() -> None:
    def r(plural: str, group: str = "") -> str:
        res = REGISTRY.by_gvr(group, "v1", plural)
        assert res is not None
        return res.storage_key("ns1", "a")

    assert r("pods") == "/registry/pods/ns1/a"
    assert r("services") == "/registry/services/specs/ns1/a"
    assert r("endpoints") == "/registry/services/endpoints/ns1/a"
    assert r("replicationcontrollers") == "/registry/controllers/ns1/a"
    assert r("nodes") == "/registry/minions/a"
    assert r("namespaces") == "/registry/namespaces/a"
    assert r("deployments", "apps") == "/registry/deployments/ns1/a"
    pods = REGISTRY.by_kind("Pod")
    assert pods is not None
    assert pods.storage_prefix() == "/registry/pods/"
    assert pods.storage_prefix("ns1") == "/registry/pods/ns1/"
    with pytest.raises(ValueError):
        pods.storage_key(None, "a")


def test_storage_prefixes_do_not_nest() -> None:
    prefixes = [r.storage_prefix() for r in REGISTRY if r.storage_gvk is None]
    for a in prefixes:
        for b in prefixes:
            assert a == b or not b.startswith(a), (a, b)


def test_all_category_matches_kubernetes() -> None:
    names = {r.plural for r in REGISTRY.with_category("all")}
    assert names == {
        "pods", "services", "replicationcontrollers", "deployments", "replicasets",
        "statefulsets", "daemonsets", "jobs", "cronjobs",
    }


def test_subresources_and_scopes() -> None:
    deploy = REGISTRY.by_kind("Deployment")
    assert deploy is not None
    scale = deploy.subresource("scale")
    assert scale is not None and (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")
    rc = REGISTRY.by_kind("ReplicationController")
    assert rc is not None and rc.subresource("scale") is not None
    assert REGISTRY.by_kind("DaemonSet") is not None
    ds = REGISTRY.by_kind("DaemonSet")
    assert ds is not None and ds.subresource("scale") is None
    node = REGISTRY.by_kind("Node")
    assert node is not None and node.scope == "Cluster" and not node.namespaced
    pod = REGISTRY.by_kind("Pod")
    assert pod is not None
    assert {s.name for s in pod.subresources} >= {
        "status", "binding", "eviction", "log", "exec", "attach", "portforward",
    }
    ns = REGISTRY.by_kind("Namespace")
    assert ns is not None and "deletecollection" not in ns.verbs


def test_group_versions_cover_all_and_core_first() -> None:
    gvs = REGISTRY.group_versions()
    assert gvs[0] == ("", "v1")
    assert set(gvs) == {(r.group, r.version) for r in REGISTRY}
    assert len(gvs) == len(set(gvs))
    assert "apps" in REGISTRY.groups() and "" not in REGISTRY.groups()
    short = [s for r in REGISTRY if r.group != "events.k8s.io" for s in r.short_names]
    assert len(short) == len(set(short))

from typing import Any

import pytest

from kubelite.kubelet.dnsconfig import ResolvConf, pod_hosts_file, pod_resolv_conf
from kubelite.kubelet.podstatus import pod_conditions, pod_phase

pytestmark = pytest.mark.unit

HOST = ResolvConf.parse("# host\nnameserver 192.168.1.1\nsearch corp.example\noptions edns0\n")


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web-1", "namespace": "shop"}, "spec": spec}


def test_cluster_first_resolv_conf() -> None:
    conf = pod_resolv_conf(pod(), HOST, ["10.96.0.10"])
    assert conf.render() == (
        "nameserver 10.96.0.10\n"
        "search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
        "options ndots:5\n"
    )


def test_host_network_default_none_and_dns_config() -> None:
    assert pod_resolv_conf(pod(hostNetwork=True), HOST, ["10.96.0.10"]).nameservers == ["192.168.1.1"]
    with_net = pod_resolv_conf(pod(hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet"), HOST, ["10.96.0.10"])
    assert with_net.nameservers == ["10.96.0.10"]
    assert pod_resolv_conf(pod(dnsPolicy="Default"), HOST, ["10.96.0.10"]).options == ["edns0"]
    none = pod_resolv_conf(pod(dnsPolicy="None", dnsConfig={
        "nameservers": ["1.2.3.4"], "searches": ["a.b"], "options": [{"name": "ndots", "value": "2"}]}), HOST, [])
    assert none.render() == "nameserver 1.2.3.4\nsearch a.b\noptions ndots:2\n"
    merged = pod_resolv_conf(pod(dnsConfig={"options": [{"name": "ndots", "value": "1"}, {"name": "rotate"}]}),
                             HOST, ["10.96.0.10"])
    assert merged.options == ["ndots:1", "rotate"]


def test_hosts_file() -> None:
    text = pod_hosts_file(pod(hostname="db-0", subdomain="db",
                              hostAliases=[{"ip": "10.1.2.3", "hostnames": ["foo", "bar"]}]), ["10.244.0.9"])
    assert text.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert "10.244.0.9\tdb-0.db.shop.svc.cluster.local\tdb-0\n" in text
    assert text.endswith("# Entries added by HostAliases.\n10.1.2.3\tfoo\tbar\n")
    assert "10.244.0.9\tweb-1\n" in pod_hosts_file(pod(), ["10.244.0.9"])


def running(name: str, ready: bool = True) -> dict[str, Any]:
    return {"name": name, "ready": ready, "state": {"running": {}}}


def done(name: str, code: int) -> dict[str, Any]:
    return {"name": name, "ready": False, "state": {"terminated": {"exitCode": code}}}


SPEC = {"containers": [{"name": "a"}, {"name": "b"}]}


def test_phases() -> None:
    assert pod_phase(SPEC, [], []) == "Pending"
    assert pod_phase(SPEC, [], [running("a"), {"name": "b", "state": {"waiting": {}}}]) == "Pending"
    assert pod_phase(SPEC, [], [running("a"), running("b")]) == "Running"
    assert pod_phase({**SPEC, "restartPolicy": "Never"}, [], [done("a", 0), done("b", 0)]) == "Succeeded"
    assert pod_phase({**SPEC, "restartPolicy": "Never"}, [], [done("a", 0), done("b", 1)]) == "Failed"
    assert pod_phase({**SPEC, "restartPolicy": "OnFailure"}, [], [done("a", 0), done("b", 1)]) == "Running"
    assert pod_phase(SPEC, [], [done("a", 0), done("b", 0)]) == "Running"  # Always: they restart
    crash = {"name": "b", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
             "lastState": {"terminated": {"exitCode": 1}}}
    assert pod_phase(SPEC, [], [running("a"), crash]) == "Running"
    init_spec = {**SPEC, "initContainers": [{"name": "i"}]}
    assert pod_phase(init_spec, [running("i")], []) == "Pending"
    assert pod_phase({**init_spec, "restartPolicy": "Never"}, [done("i", 2)], []) == "Failed"


def test_conditions_keep_transition_times_when_unchanged() -> None:
    first = pod_conditions(SPEC, [], [running("a"), running("b", ready=False)], "t1")
    ready = next(c for c in first if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    second = pod_conditions(SPEC, [], [running("a"), running("b")], "t2", previous=first)
    third = pod_conditions(SPEC, [], [running("a"), running("b")], "t3", previous=second)
    ready3 = next(c for c in third if c["type"] == "Ready")
    assert ready3 == {"type": "Ready", "status": "True", "lastProbeTime": None, "lastTransitionTime": "t2"}
    assert [c["type"] for c in third] == ["PodReadyToStartContainers", "Initialized", "Ready",
                                          "ContainersReady", "PodScheduled"]

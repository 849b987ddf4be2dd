from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubelite.api.resources import REGISTRY
from kubelite.api.tables import columns_for, human_duration, table_for

pytestmark = pytest.mark.unit

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-5, "<invalid>"), (-1, "0s"), (5, "5s"), (119, "119s"), (182, "3m2s"), (300, "5m"), (725, "12m"),
     (3 * 3600 + 60, "3h1m"), (5 * 3600, "5h"), (10 * 3600, "10h"), (52 * 3600, "2d4h"), (3 * 86400, "3d"),
     (45 * 86400, "45d"), (800 * 86400, "2y70d"), (9 * 365 * 86400, "9y")],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def pod(status: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(12),
                         "labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c", "image": "i"}], "nodeName": "n1", **spec},
            "status": status}


def cs(state: dict[str, Any], ready: bool = False, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {"name": "c", "state": state, "ready": ready, "restartCount": restarts, **extra}


@pytest.mark.parametrize(
    ("status", "ready", "text"),
    [
        ({"phase": "Pending"}, "0/1", "Pending"),
        ({"phase": "Pending", "containerStatuses": [cs({"waiting": {"reason": "ContainerCreating"}})]},
         "0/1", "ContainerCreating"),
        ({"phase": "Running", "containerStatuses": [cs({"running": {}}, ready=True)]}, "1/1", "Running"),
        ({"phase": "Running", "containerStatuses": [cs({"waiting": {"reason": "CrashLoopBackOff"}})]},
         "0/1", "CrashLoopBackOff"),
        ({"phase": "Succeeded", "containerStatuses": [cs({"terminated": {"exitCode": 0, "reason": "Completed"}})]},
         "0/1", "Completed"),
        ({"phase": "Failed", "containerStatuses": [cs({"terminated": {"exitCode": 1, "reason": "Error"}})]},
         "0/1", "Error"),
        ({"phase": "Failed", "containerStatuses": [cs({"terminated": {"exitCode": 137}})]}, "0/1", "ExitCode:137"),
    ],
)
def test_pod_status_column(status: dict[str, Any], ready: str, text: str) -> None:
    table = table_for("pods", [pod(status)], NOW)
    assert table["rows"][0]["cells"][:4] == ["web", ready, text, "0"]


def test_pod_init_terminating_and_restarts() -> None:
    init = pod({"phase": "Pending", "initContainerStatuses": [
        {"name": "i", "state": {"waiting": {"reason": "PodInitializing"}}, "ready": False, "restartCount": 0}]},
        initContainers=[{"name": "i", "image": "busybox"}])
    assert table_for("pods", [init], NOW)["rows"][0]["cells"][2] == "Init:0/1"
    crash_init = pod({"phase": "Pending", "initContainerStatuses": [
        {"name": "i", "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "ready": False}]},
        initContainers=[{"name": "i", "image": "busybox"}])
    assert table_for("pods", [crash_init], NOW)["rows"][0]["cells"][2] == "Init:CrashLoopBackOff"
    deleting = pod({"phase": "Running", "containerStatuses": [cs({"running": {}}, ready=True)]})
    deleting["metadata"]["deletionTimestamp"] = ago(1)
    assert table_for("pods", [deleting], NOW)["rows"][0]["cells"][2] == "Terminating"
    restarted = pod({"phase": "Running", "containerStatuses": [
        cs({"running": {}}, ready=True, restarts=5, lastState={"terminated": {"finishedAt": ago(5)}})]})
    assert table_for("pods", [restarted], NOW)["rows"][0]["cells"][3] == "5 (5s ago)"


def test_pod_table_shape_and_wide_columns() -> None:
    p = pod({"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}],
             "containerStatuses": [cs({"running": {}}, ready=True)]})
    table = table_for(REGISTRY.by_kind("Pod") or "pods", [p], NOW, resource_version="42")
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "42"}
    names = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert names == [("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0), ("IP", 1),
                     ("Node", 1), ("Nominated Node", 1), ("Readiness Gates", 1)]
    row = table["rows"][0]
    assert row["cells"] == ["web", "1/1", "Running", "0", "12s", "10.0.0.5", "n1", "<none>", "<none>"]
    assert row["object"] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": p["metadata"]}
    assert "object" not in table_for("pods", [p], NOW, include_object="None")["rows"][0]
    assert table_for("pods", [p], NOW, include_object="Object")["rows"][0]["object"] is p
    assert table_for("pods", [], NOW, with_columns=False) == {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "columnDefinitions": [], "rows": []}


def test_deployment_and_replicaset_rows() -> None:
    d = {"metadata": {"name": "d", "creationTimestamp": ago(300)},
         "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "x"}},
                  "template": {"spec": {"containers": [{"name": "a", "image": "nginx"},
                                                       {"name": "b", "image": "redis"}]}}},
         "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
    assert table_for("deployments", [d], NOW)["rows"][0]["cells"] == [
        "d", "2/3", 3, 2, "5m", "a,b", "nginx,redis", "app=x"]
    assert [c["name"] for c in columns_for("deployments")] == [
        "Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]
    rs = {**d, "status": {"replicas": 3, "readyReplicas": 1}}
    assert table_for("replicasets", [rs], NOW)["rows"][0]["cells"][:5] == ["d", 3, 3, 1, "5m"]
    rc = {"metadata": {"name": "r"}, "spec": {"replicas": 1, "selector": {"b": "2", "a": "1"}}}
    assert table_for("replicationcontrollers", [rc], NOW)["rows"][0]["cells"][-1] == "a=1,b=2"


def test_service_node_namespace_rows() -> None:
    svc = {"metadata": {"name": "s", "creationTimestamp": ago(10)},
           "spec": {"type": "NodePort", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                    "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                    "selector": {"app": "x"}}}
    assert table_for("services", [svc], NOW)["rows"][0]["cells"] == [
        "s", "NodePort", "10.96.0.10", "<none>", "80:30080/TCP,53/UDP", "10s", "app=x"]
    lb = {"metadata": {"name": "l"}, "spec": {"type": "LoadBalancer", "ports": []}}
    assert table_for("services", [lb], NOW)["rows"][0]["cells"][2:5] == ["<none>", "<pending>", "<none>"]
    node = {"metadata": {"name": "n1", "creationTimestamp": ago(7200),
                         "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "x"}},
            "spec": {"unschedulable": True},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "192.168.1.2"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Debian"}}}
    assert table_for("nodes", [node], NOW)["rows"][0]["cells"] == [
        "n1", "Ready,SchedulingDisabled", "control-plane,x", "120m", "v1.32.0", "192.168.1.2", "<none>",
        "Debian", "<unknown>", "<unknown>"]
    ns = {"metadata": {"name": "default", "creationTimestamp": ago(60)}, "status": {"phase": "Active"}}
    assert table_for("namespaces", [ns], NOW)["rows"][0]["cells"] == ["default", "Active", "60s"]


def test_events_and_misc_rows() -> None:
    ev = {"metadata": {"name": "web.1"}, "involvedObject": {"kind": "Pod", "name": "web"},
          "reason": "Pulled", "message": " pulled \n", "type": "Normal", "source": {"component": "kubelet",
                                                                                 "host": "n1"},
          "firstTimestamp": ago(100), "lastTimestamp": ago(30), "count": 2}
    assert table_for("events", [ev], NOW)["rows"][0]["cells"] == [
        "30s", "Normal", "Pulled", "pod/web", "", "kubelet, n1", "pulled", "100s", 2, "web.1"]
    new_style = {"metadata": {"name": "e2"}, "regarding": {"kind": "Node", "name": "n1"}, "note": "hi",
                 "reason": "R", "type": "Warning", "eventTime": "2024-06-01T11:59:50.000000Z",
                 "reportingController": "ctl"}
    assert table_for("events", [new_style], NOW)["rows"][0]["cells"][:8] == [
        "10s", "Warning", "R", "node/n1", "", "ctl", "hi", "10s"]
    ep = {"metadata": {"name": "e"}, "subsets": [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(5)],
                                                   "ports": [{"port": 80}]}]}
    assert table_for("endpoints", [ep], NOW)["rows"][0]["cells"][1] == (
        "10.0.0.0:80,10.0.0.1:80,10.0.0.2:80 + 2 more...")
    cm = {"metadata": {"name": "c"}, "data": {"a": "1"}, "binaryData": {"b": ""}}
    assert table_for("configmaps", [cm], NOW)["rows"][0]["cells"] == ["c", 2, "<unknown>"]
    job = {"metadata": {"name": "j"}, "spec": {"completions": 3},
           "status": {"succeeded": 3, "startTime": ago(100), "completionTime": ago(40),
                      "conditions": [{"type": "Complete", "status": "True"}]}}
    assert table_for("jobs", [job], NOW)["rows"][0]["cells"][:4] == ["j", "Complete", "3/3", "60s"]
    cj = {"metadata": {"name": "c"}, "spec": {"schedule": "*/1 * * * *", "jobTemplate": {"spec": {}}}}
    assert table_for("cronjobs", [cj], NOW)["rows"][0]["cells"][:6] == [
        "c", "*/1 * * * *", "<none>", "False", 0, "<none>"]
    lease = {"metadata": {"name": "n1"}, "spec": {"holderIdentity": "n1"}}
    assert table_for("leases", [lease], NOW)["rows"][0]["cells"][:2] == ["n1", "n1"]
    other = table_for("widgets", [{"metadata": {"name": "w", "creationTimestamp": ago(5)}}], NOW)
    assert [c["name"] for c in other["columnDefinitions"]] == ["Name", "Created At"]
    assert other["rows"][0]["cells"] == ["w", "2024-06-01T11:59:55Z"]

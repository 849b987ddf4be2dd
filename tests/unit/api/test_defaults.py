from typing import Any

import pytest

from kubelite.api.defaults import apply_defaults, default_service_ip_families, prepare_for_create
from kubelite.api.defaults_pod import image_pull_policy, pod_qos_class

pytestmark = pytest.mark.unit


def pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": list(containers), **spec}}


def test_pod_defaults() -> None:
    raw = pod({"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
               "livenessProbe": {"httpGet": {"port": 80}}})
    out = apply_defaults(raw)
    spec = out["spec"]
    assert raw["spec"]["containers"][0] == {"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                                            "livenessProbe": {"httpGet": {"port": 80}}}
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["terminationGracePeriodSeconds"],
            spec["schedulerName"], spec["securityContext"], spec["enableServiceLinks"]) == (
        "Always", "ClusterFirst", 30, "default-scheduler", {}, True)
    c = spec["containers"][0]
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["imagePullPolicy"] == "Always"
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert c["resources"] == {}
    assert c["livenessProbe"] == {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                                  "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                                  "failureThreshold": 3}


def test_explicit_values_win_and_requests_default_to_limits() -> None:
    out = apply_defaults(pod({"name": "c", "image": "x:1", "imagePullPolicy": "Never",
                              "resources": {"limits": {"cpu": "1"}, "requests": {"memory": "1Gi"}}},
                             restartPolicy="Never", hostNetwork=True))
    c = out["spec"]["containers"][0]
    assert c["imagePullPolicy"] == "Never" and out["spec"]["restartPolicy"] == "Never"
    assert c["resources"]["requests"] == {"memory": "1Gi", "cpu": "1"}


@pytest.mark.parametrize(
    ("image", "policy"),
    [("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.25", "IfNotPresent"),
     ("localhost:5000/app", "Always"), ("localhost:5000/app:v1", "IfNotPresent"),
     ("nginx@sha256:abc", "IfNotPresent")],
)
def test_image_pull_policy(image: str, policy: str) -> None:
    assert image_pull_policy(image) == policy


def test_host_network_sets_host_port_and_volume_modes() -> None:
    out = apply_defaults(pod({"name": "c", "image": "i", "ports": [{"containerPort": 53}]}, hostNetwork=True,
                             volumes=[{"name": "s", "secret": {"secretName": "x"}},
                                      {"name": "h", "hostPath": {"path": "/x"}}]))
    assert out["spec"]["containers"][0]["ports"][0]["hostPort"] == 53
    assert out["spec"]["volumes"][0]["secret"]["defaultMode"] == 420
    assert out["spec"]["volumes"][1]["hostPath"]["type"] == ""


def test_service_defaults() -> None:
    svc = apply_defaults({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}})
    assert svc["spec"] == {"type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                           "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]}
    np = apply_defaults({"apiVersion": "v1", "kind": "Service",
                         "spec": {"type": "NodePort", "ports": [{"port": 80, "targetPort": "http"}]}})
    assert np["spec"]["externalTrafficPolicy"] == "Cluster"
    assert np["spec"]["ports"][0]["targetPort"] == "http"
    lb = apply_defaults({"apiVersion": "v1", "kind": "Service", "spec": {"type": "LoadBalancer"}})
    assert lb["spec"]["allocateLoadBalancerNodePorts"] is True
    fam = default_service_ip_families(svc)
    assert fam["spec"]["ipFamilies"] == ["IPv4"] and fam["spec"]["ipFamilyPolicy"] == "SingleStack"


def template() -> dict[str, Any]:
    return {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}


def test_deployment_and_replicaset_defaults() -> None:
    d = apply_defaults({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": template()}})
    spec = d["spec"]
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {"type": "RollingUpdate",
                                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    recreate = apply_defaults({"apiVersion": "apps/v1", "kind": "Deployment",
                               "spec": {"strategy": {"type": "Recreate"}, "replicas": 0}})
    assert recreate["spec"]["strategy"] == {"type": "Recreate"} and recreate["spec"]["replicas"] == 0
    rs = apply_defaults({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {"template": template()}})
    assert rs["spec"]["replicas"] == 1


def test_replication_controller_selector_and_labels_from_template() -> None:
    rc = apply_defaults({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "r"},
                         "spec": {"template": template()}})
    assert rc["spec"]["selector"] == {"app": "x"} and rc["metadata"]["labels"] == {"app": "x"}
    assert rc["spec"]["replicas"] == 1


def test_other_workload_defaults() -> None:
    ds = apply_defaults({"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {"template": template()}})
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate",
                                            "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    sts = apply_defaults({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"template": template()}})
    assert sts["spec"]["podManagementPolicy"] == "OrderedReady"
    assert sts["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                                   "whenScaled": "Retain"}
    job = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": template()}})
    js = job["spec"]
    assert (js["completions"], js["parallelism"], js["backoffLimit"], js["completionMode"], js["suspend"],
            js["podReplacementPolicy"]) == (1, 1, 6, "NonIndexed", False, "TerminatingOrFailed")
    par = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "spec": {"completions": 5}})
    assert par["spec"]["parallelism"] == 1 and par["spec"]["completions"] == 5
    cj = apply_defaults({"apiVersion": "batch/v1", "kind": "CronJob",
                         "spec": {"jobTemplate": {"spec": {"template": template()}}}})
    assert (cj["spec"]["concurrencyPolicy"], cj["spec"]["successfulJobsHistoryLimit"],
            cj["spec"]["failedJobsHistoryLimit"], cj["spec"]["suspend"]) == ("Allow", 3, 1, False)
    assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    assert apply_defaults({"apiVersion": "v1", "kind": "Secret"})["type"] == "Opaque"
    unknown = {"apiVersion": "x/v1", "kind": "Y"}
    assert apply_defaults(unknown) == unknown


def test_prepare_for_create() -> None:
    p = prepare_for_create(apply_defaults(pod({"name": "c", "image": "i"})))
    assert p["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert p["spec"]["serviceAccountName"] == "default" and p["spec"]["priority"] == 0
    assert [t["key"] for t in p["spec"]["tolerations"]] == ["node.kubernetes.io/not-ready",
                                                            "node.kubernetes.io/unreachable"]
    ns = prepare_for_create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    assert ns["spec"] == {"finalizers": ["kubernetes"]} and ns["status"] == {"phase": "Active"}
    d = prepare_for_create({"kind": "Deployment", "status": {"replicas": 3}})
    assert d["status"] == {}
    job = prepare_for_create({"kind": "Job", "metadata": {"name": "j", "uid": "u1"},
                              "spec": {"template": template()}})
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}}
    assert job["spec"]["template"]["metadata"]["labels"]["job-name"] == "j"


@pytest.mark.parametrize(
    ("resources", "qos"),
    [
        ([{}], "BestEffort"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}}], "Guaranteed"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}], "Guaranteed"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}], "Burstable"),
        ([{"requests": {"cpu": "100m"}}], "Burstable"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}}, {}], "Burstable"),
        ([{"requests": {"nvidia.com/gpu": "1"}}], "BestEffort"),
        ([{"limits": {"cpu": "1"}}], "Burstable"),
    ],
)
def test_qos_class(resources: list[dict[str, Any]], qos: str) -> None:
    containers = [{"name": f"c{i}", "resources": r} for i, r in enumerate(resources)]
    assert pod_qos_class(pod(*containers)) == qos


def test_namespace_name_label() -> None:
    ns = apply_defaults({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a",
                                                                              "labels": {"x": "y"}}})
    assert ns["metadata"]["labels"] == {"x": "y", "kubernetes.io/metadata.name": "team-a"}
    assert ns["status"] == {"phase": "Active"}

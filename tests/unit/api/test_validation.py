import copy
from typing import Any

import pytest

from kubelite.api.defaults import apply_defaults
from kubelite.api.status import ApiError
from kubelite.api.strict import check as strict_check
from kubelite.api.strict import decode_error, strict_error, type_error, unknown_fields, warnings
from kubelite.api.validation import raise_if_invalid, validate, validate_update

pytestmark = pytest.mark.unit


def pod(**container: Any) -> dict[str, Any]:
    c = {"name": "c", "image": "nginx", **container}
    return apply_defaults({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
                           "spec": {"containers": [c]}})


def deployment(**spec: Any) -> dict[str, Any]:
    base = {"selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}},
                         "spec": {"containers": [{"name": "c", "image": "i"}]}}}
    return apply_defaults({"apiVersion": "apps/v1", "kind": "Deployment",
                           "metadata": {"name": "d", "namespace": "default"}, "spec": {**base, **spec}})


def fields(errs: list[Any]) -> list[str]:
    return [str(e) for e in errs]


def test_valid_objects_pass() -> None:
    assert validate(pod()) == []
    assert validate(deployment()) == []


def test_pod_errors_and_422_message() -> None:
    bad = pod(image="")
    errs = validate(bad)
    assert fields(errs) == ["spec.containers[0].image: Required value"]
    with pytest.raises(ApiError) as info:
        raise_if_invalid(bad, errs)
    assert info.value.code == 422
    assert info.value.message == 'Pod "p" is invalid: spec.containers[0].image: Required value'
    errs = validate(pod(ports=[{"containerPort": 0, "protocol": "HTTP"}], imagePullPolicy="Sometimes"))
    assert fields(errs) == [
        'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"IfNotPresent", "Never"',
        "spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", '
        '"UDP"',
    ]
    errs = validate(pod(volumeMounts=[{"name": "v", "mountPath": "/x"}]))
    assert fields(errs) == ['spec.containers[0].volumeMounts[0].name: Not found: "v"']
    errs = validate(pod(resources={"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}))
    assert fields(errs) == ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or '
                            "equal to cpu limit of 1"]
    no_containers = apply_defaults({"apiVersion": "v1", "kind": "Pod",
                                    "metadata": {"name": "p", "namespace": "d"}, "spec": {}})
    assert fields(validate(no_containers)) == ["spec.containers: Required value"]


def test_duplicate_container_names_and_bad_name() -> None:
    p = pod()
    p["spec"]["containers"].append(copy.deepcopy(p["spec"]["containers"][0]))
    p["metadata"]["name"] = "Bad"
    out = fields(validate(p))
    assert out[0].startswith('metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain')
    assert out[1] == 'spec.containers[1].name: Duplicate value: "c"'


def test_deployment_rules() -> None:
    errs = validate(deployment(selector={"matchLabels": {"app": "y"}}))
    assert fields(errs) == ['spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not '
                            "match template `labels`"]
    errs = validate(deployment(replicas=-1))
    assert fields(errs) == ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]
    d = deployment()
    d["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert fields(validate(d)) == ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported '
                                   'values: "Always"']
    with pytest.raises(ApiError) as info:
        raise_if_invalid(d, validate(d))
    assert info.value.message.startswith('Deployment.apps "d" is invalid: ')


def test_job_cronjob_service_configmap() -> None:
    job = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "d"},
                          "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    assert fields(validate(job)) == ['spec.template.spec.restartPolicy: Required value: valid values: '
                                     '"OnFailure", "Never"']
    cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "d"},
          "spec": {"schedule": "* * *", "jobTemplate": {"spec": {"template": {"spec": {
              "restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}}}}}}
    assert fields(validate(cj)) == ['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found '
                                    "3: * * *"]
    svc = apply_defaults({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "d"},
                          "spec": {"ports": [{"port": 80}, {"port": 81}]}})
    assert fields(validate(svc)) == ["spec.ports[0].name: Required value", "spec.ports[1].name: Required value"]
    bad_name = {**svc, "metadata": {"name": "1svc", "namespace": "d"}, "spec": {"ports": [{"port": 80}]}}
    assert validate(bad_name)[0].detail.startswith("a DNS-1035 label")
    cm: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d"},
          "data": {"ok.key": "v", "bad key": "v"}}
    assert [e.field for e in validate(cm)] == ["data[bad key]"]


def test_updates_and_immutability() -> None:
    old = pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:2"
    assert validate_update(old, new) == []
    new["spec"]["restartPolicy"] = "Never"
    errs = validate_update(old, new)
    assert errs[0].field == "spec" and errs[0].type == "FieldValueForbidden"
    assert "pod updates may not change fields other than" in errs[0].detail
    d_old, d_new = deployment(), deployment()
    d_new["spec"]["selector"] = {"matchLabels": {"app": "x", "b": "c"}}
    d_new["spec"]["template"]["metadata"]["labels"]["b"] = "c"
    assert [(e.field, e.detail) for e in validate_update(d_old, d_new)] == [("spec.selector", "field is immutable")]
    svc: dict[str, Any] = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "d"},
           "spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 80}]}}
    moved = copy.deepcopy(svc)
    moved["spec"]["clusterIP"] = "10.0.0.2"
    assert [e.field for e in validate_update(svc, moved)] == ["spec.clusterIP"]
    cm: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d"},
          "immutable": True, "data": {"a": "1"}}
    assert [e.field for e in validate_update(cm, {**cm, "data": {"a": "2"}})] == ["data"]
    renamed = copy.deepcopy(cm)
    renamed["metadata"]["name"] = "other"
    assert "metadata.name" in [e.field for e in validate_update(cm, renamed)]


def test_strict_unknown_fields_and_types() -> None:
    d = deployment()
    d["spec"]["foo"] = 1
    d["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    d["status"] = {"anything": {"goes": 1}}  # DeploymentStatus is closed: reported too
    paths = unknown_fields(d)
    assert paths == ["spec.template.spec.containers[0].imagee", "spec.foo", "status.anything"]  # document order
    assert strict_error(d, paths[1:2]).message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.foo"'
    )
    assert warnings(["spec.foo"]) == ['unknown field "spec.foo"']
    ok_pod = pod()
    ok_pod["status"] = {"phase": "Running", "somethingNew": True}  # PodStatus is open
    ok_pod["metadata"]["labels"] = {"any": "label"}
    assert unknown_fields(ok_pod) == []
    assert unknown_fields({"apiVersion": "x/v1", "kind": "Unknown", "spec": {"a": 1}}) == []
    bad = deployment(replicas="3")
    msg = type_error(bad)
    assert msg == "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
    assert decode_error(bad, msg).code == 400
    assert type_error(pod(ports=[{"containerPort": 80, "hostPort": 8080}])) is None
    assert type_error(pod(args="not-a-list")) is not None


def test_empty_selector_wording_per_kind() -> None:
    d = deployment(selector={})
    assert [str(e) for e in validate(d)] == ["spec.selector: Invalid value: {}: empty selector is invalid for "
                                             "deployment"]
    ds = {**d, "kind": "DaemonSet"}
    assert validate(ds)[0].detail == "empty selector is invalid for daemonset"


def test_template_labels_service_ips_and_hostnames() -> None:
    d = deployment()
    d["spec"]["template"]["metadata"]["labels"]["bad key!"] = "v"
    assert "spec.template.metadata.labels" in [e.field for e in validate(d)]
    svc = apply_defaults({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "d"},
                          "spec": {"clusterIP": "10.0.0.300", "ports": [{"port": 80, "nodePort": 70000}],
                                   "type": "NodePort"}})
    assert [e.field for e in validate(svc)] == ["spec.clusterIPs[0]", "spec.ports[0].nodePort"]
    ext = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "e", "namespace": "d"},
           "spec": {"type": "ExternalName", "externalName": "Not A Host"}}
    assert [e.field for e in validate(ext)] == ["spec.externalName"]
    p = pod()
    p["spec"]["hostname"] = "Bad_Host"
    assert [e.field for e in validate(p)] == ["spec.hostname"]


def test_node_taints_and_immutable_pod_cidr() -> None:
    node: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
                            "spec": {"podCIDR": "10.244.0.0/24", "taints": [
                                {"key": "a", "effect": "NoSchedule"}, {"key": "a", "effect": "NoSchedule"},
                                {"key": "b", "effect": "Sometimes"}]}}
    assert [(e.field, e.type) for e in validate(node)] == [
        ("spec.taints[1]", "FieldValueDuplicate"), ("spec.taints[2].effect", "FieldValueNotSupported")]
    ok = copy.deepcopy(node)
    ok["spec"]["taints"] = []
    moved = copy.deepcopy(ok)
    moved["spec"]["podCIDR"] = "10.245.0.0/24"
    assert [e.field for e in validate_update(ok, moved)] == ["spec.podCIDR"]



@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": "3", "foo": 1}},
        {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "c", "args": "x", "bad": 1}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"a": 1}}, "spec": "nope"},
        {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": "http"}]}},
        {"apiVersion": "x/v1", "kind": "Unknown", "spec": {"a": 1}},
    ],
)
def test_combined_check_agrees_with_separate_checks(obj: dict[str, Any]) -> None:
    assert strict_check(obj) == (unknown_fields(obj), type_error(obj))

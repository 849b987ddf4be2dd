import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from kubelite.api.protobuf import (
    ProtobufError,
    decode_protobuf,
    encode_bytes,
    encode_unknown,
    encode_varint_field,
    read_fields,
)

pytestmark = pytest.mark.unit


def s(number: int, text: str) -> bytes:
    return encode_bytes(number, text.encode())


def entry(number: int, key: str, value: bytes) -> bytes:
    return encode_bytes(number, s(1, key) + encode_bytes(2, value))


def meta(name: str, **labels: str) -> bytes:
    # zero-valued fields are present on the wire, as kubectl sends them
    body = s(1, name) + s(2, "") + s(3, "") + s(5, "") + s(6, "") + encode_varint_field(7, 0) + encode_bytes(8, b"")
    for k, v in labels.items():
        body += entry(11, k, v.encode())
    return body


def test_configmap_as_in_the_protocol_doc() -> None:
    raw = encode_bytes(1, meta("cm1")) + entry(2, "a", b"b")
    obj = decode_protobuf(encode_unknown("v1", "ConfigMap", raw))
    assert obj == {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cm1"}, "data": {"a": "b"}}


def test_secret_bytes_become_base64_and_time_converts() -> None:
    created = encode_varint_field(1, 1_700_000_000) + encode_varint_field(2, 0)
    m = s(1, "s") + encode_bytes(8, created)
    raw = encode_bytes(1, m) + entry(2, "pw", b"\x00\xffhi") + s(3, "Opaque")
    obj = decode_protobuf(encode_unknown("v1", "Secret", raw))
    assert obj["data"] == {"pw": "AP9oaQ=="}
    assert obj["type"] == "Opaque"
    assert obj["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z"


def int_or_string(value: int | str) -> bytes:
    if isinstance(value, int):
        return encode_varint_field(1, 0) + encode_varint_field(2, value)
    return encode_varint_field(1, 1) + s(3, value)


def test_deployment_with_pointer_zero_and_nested_template() -> None:
    container = (s(1, "nginx") + s(2, "nginx:1.25") + encode_bytes(3, b"sleep") + s(5, "")
                 + encode_bytes(6, encode_varint_field(3, 80) + s(4, "TCP"))
                 + encode_bytes(8, entry(1, "cpu", s(1, "100m")))
                 + encode_varint_field(16, 0))
    pod_spec = encode_bytes(2, container) + s(3, "") + s(6, "")
    template = encode_bytes(1, meta("", app="web")) + encode_bytes(2, pod_spec)
    selector = entry(1, "app", b"web")
    rolling = encode_bytes(1, int_or_string("25%")) + encode_bytes(2, int_or_string(1))
    strategy = s(1, "RollingUpdate") + encode_bytes(2, rolling)
    spec = (encode_varint_field(1, 0) + encode_bytes(2, selector) + encode_bytes(3, template)
            + encode_bytes(4, strategy) + encode_varint_field(5, 0))
    raw = encode_bytes(1, meta("web", app="web")) + encode_bytes(2, spec) + encode_bytes(3, b"")
    obj = decode_protobuf(encode_unknown("apps/v1", "Deployment", raw))
    assert obj == {
        "kind": "Deployment", "apiVersion": "apps/v1",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                "name": "nginx", "image": "nginx:1.25", "command": ["sleep"],
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "100m"}},
            }]}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
        },
        "status": {},
    }


def test_service_and_rbac_and_cronjob() -> None:
    port = s(1, "5678-8080") + s(2, "TCP") + encode_varint_field(3, 5678) + encode_bytes(4, int_or_string(8080))
    spec = encode_bytes(1, port) + entry(2, "app", b"x") + s(4, "ClusterIP")
    svc = decode_protobuf(encode_unknown("v1", "Service", encode_bytes(1, meta("x")) + encode_bytes(2, spec)))
    assert svc["spec"] == {"ports": [{"name": "5678-8080", "protocol": "TCP", "port": 5678, "targetPort": 8080}],
                           "selector": {"app": "x"}, "type": "ClusterIP"}
    rule = s(1, "get") + s(1, "list") + s(2, "") + s(3, "pods")
    role = decode_protobuf(encode_unknown("rbac.authorization.k8s.io/v1", "Role",
                                          encode_bytes(1, meta("r")) + encode_bytes(2, rule)))
    assert role["rules"] == [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}]
    job_spec = encode_bytes(6, encode_bytes(2, encode_bytes(2, s(1, "c") + s(2, "busybox")) + s(3, "OnFailure")))
    cj_spec = s(1, "*/1 * * * *") + encode_bytes(5, encode_bytes(1, meta("c")) + encode_bytes(2, job_spec))
    cj = decode_protobuf(encode_unknown("batch/v1", "CronJob", encode_bytes(1, meta("c")) + encode_bytes(2, cj_spec)))
    assert cj["spec"]["schedule"] == "*/1 * * * *"
    assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"] == {
        "containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "OnFailure"}


@pytest.mark.parametrize(
    "body",
    [b"{}", b"k8s\x00\x0a", encode_unknown("v1", "Pod", b""), b"k8s\x00\x0f", b"k8s\x00" + b"\x08" + b"\xff" * 11],
)
def test_bad_bodies_raise_400(body: bytes) -> None:
    with pytest.raises(ProtobufError) as info:
        decode_protobuf(body)
    assert info.value.to_api_error().code == 400


@settings(max_examples=40, deadline=None)
@given(hs.lists(hs.tuples(hs.integers(1, 100), hs.one_of(hs.integers(0, 2**63), hs.binary(max_size=20))),
                max_size=8))
def test_wire_reader_round_trips(fields: list[tuple[int, int | bytes]]) -> None:
    data = b"".join(encode_varint_field(n, v) if isinstance(v, int) else encode_bytes(n, v) for n, v in fields)
    assert [(n, v) for n, _, v in read_fields(data)] == fields

"""Bad input gets a 4xx Kubernetes Status, never a 500 or a traceback: a fixed matrix, then a
hypothesis search over bodies, paths, content types and query parameters."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

pytestmark = pytest.mark.integration

PODS = "/api/v1/namespaces/default/pods"
CMS = "/api/v1/namespaces/default/configmaps"
PROTOBUF = "application/vnd.kubernetes.protobuf"


def is_status(body: Any, code: int) -> bool:
    return isinstance(body, dict) and body.get("kind") == "Status" and body.get("code") == code


MATRIX = [
    ("POST", CMS, b"{not json", "application/json", 400),
    ("POST", CMS, b"[1,2]", "application/json", 400),
    ("POST", CMS, b"a: [unclosed", "application/yaml", 400),
    pytest.param(("POST", CMS, b"k8s\x00\xff\xff\xff", PROTOBUF, 400), marks=pytest.mark.skipif(
        importlib.util.find_spec("kubelite.api.protobuf") is None, reason="api.protobuf has not landed")),
    ("POST", CMS, b"{}", "text/plain", 415),
    ("POST", CMS, b'{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}', "application/json", 400),
    ("POST", CMS, b'{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}',
     "application/json", 400),
    ("POST", CMS, b'{"metadata":{"name":"x","namespace":"other"}}', "application/json", 400),
    ("POST", CMS, b'{"metadata":{"name":"Bad_Name"}}', "application/json", 422),
    ("POST", CMS, b'{"metadata":{}}', "application/json", 422),
    ("POST", CMS, b'{"metadata":{"name":"x","labels":{"a":1}}}', "application/json", 400),  # Go decode error
    ("POST", CMS, b'{"metadata":"str"}', "application/json", 400),
    ("POST", CMS, b"", "application/json", 400),
    ("GET", CMS + "?labelSelector=a%20in%20(b", b"", "application/json", 400),
    ("GET", CMS + "?fieldSelector=spec.nope%3D1", b"", "application/json", 400),
    ("GET", CMS + "?limit=abc", b"", "application/json", 400),
    ("GET", CMS + "?continue=%%%", b"", "application/json", 400),
    ("GET", CMS + "?resourceVersion=abc", b"", "application/json", 400),
    ("GET", CMS + "?watch=true&resourceVersion=-4", b"", "application/json", 400),
    ("GET", "/api/v1/namespaces/default/widgets", b"", "application/json", 404),
    ("GET", "/apis/nope/v1/things", b"", "application/json", 404),
    ("GET", "/api/v1/nodes/n/x/y/z", b"", "application/json", 404),
    ("PATCH", CMS + "/missing", b"{}", "application/merge-patch+json", 404),
    ("PATCH", PODS + "/p", b"{}", "application/x-unknown", 415),
    ("DELETE", CMS + "/missing", b"", "application/json", 404),
    ("PUT", CMS + "/x", b'{"metadata":{"name":"y"}}', "application/json", 400),
    ("POST", CMS + "?dryRun=Some", b'{"metadata":{"name":"x"}}', "application/json", 400),
    ("POST", CMS + "?fieldValidation=Loose", b'{"metadata":{"name":"x"}}', "application/json", 400),
    ("POST", "/api/v1/namespaces/default/pods/x/exec", b"", "application/json", 404),
]


@pytest.mark.parametrize("case", MATRIX)
async def test_matrix(client: Any, case: tuple[str, str, bytes, str, int]) -> None:
    method, path, raw, ctype, code = case
    status, body = await client.call(method, path, raw=raw, content_type=ctype)
    assert status == code, body
    assert is_status(body, code), body


async def test_oversized_body_is_413(client: Any) -> None:
    big = b'{"metadata":{"name":"big"},"data":{"a":"' + b"x" * (3 * 1024 * 1024 + 10) + b'"}}'
    status, body = await client.call("POST", CMS, raw=big)
    assert status == 413 and is_status(body, 413)


async def test_unauthenticated_is_401(client: Any) -> None:
    async with client.session.get(client.api.url + CMS, ssl=client.ssl,
                                  headers={"Authorization": "Bearer nope"}) as resp:
        assert resp.status == 401
    status, body = await client.call("GET", "/version", headers={"Authorization": "Bearer nope"})
    assert status == 200 and body["minor"] == "32"


json_values = hs.recursive(
    hs.none() | hs.booleans() | hs.integers() | hs.floats(allow_nan=False) | hs.text(max_size=20),
    lambda children: hs.lists(children, max_size=4)
    | hs.dictionaries(hs.text(max_size=10), children, max_size=4),
    max_leaves=20)
objects = hs.fixed_dictionaries({}, optional={
    "apiVersion": hs.sampled_from(["v1", "apps/v1", "", "x"]) | hs.text(max_size=5),
    "kind": hs.sampled_from(["ConfigMap", "Pod", "Deployment"]) | hs.text(max_size=5),
    "metadata": hs.fixed_dictionaries({}, optional={
        "name": hs.text(max_size=12) | json_values, "namespace": hs.text(max_size=8) | json_values,
        "labels": json_values, "annotations": json_values, "finalizers": json_values,
        "generateName": hs.text(max_size=8), "resourceVersion": json_values, "ownerReferences": json_values,
    }) | json_values,
    "spec": json_values, "data": json_values, "status": json_values,
})
targets = hs.sampled_from([
    ("POST", CMS), ("POST", PODS), ("POST", "/apis/apps/v1/namespaces/default/deployments"),
    ("PUT", CMS + "/fz"), ("PATCH", CMS + "/fz"), ("PUT", PODS + "/fz/status"),
    ("POST", "/api/v1/namespaces"), ("DELETE", CMS + "/fz"),
    ("PUT", "/apis/apps/v1/namespaces/default/deployments/d/scale"),
])
ctypes = hs.sampled_from(["application/json", "application/yaml", "application/merge-patch+json",
                          "application/json-patch+json", "application/strategic-merge-patch+json",
                          "application/apply-patch+yaml", PROTOBUF])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=targets, body=objects | json_values, ctype=ctypes, garbage=hs.binary(max_size=40))
async def test_no_500(client: Any, target: tuple[str, str], body: Any, ctype: str, garbage: bytes) -> None:
    import orjson

    method, path = target
    try:
        raw = orjson.dumps(body)
    except TypeError:
        raw = garbage
    if ctype == PROTOBUF:
        raw = b"k8s\x00" + garbage
    if ctype.endswith("patch+json") or ctype.endswith("yaml"):
        path += "?fieldManager=fuzz"
    status, resp = await client.call(method, path, raw=raw, content_type=ctype)
    assert status < 500, (method, path, ctype, raw, resp)
    if status >= 400:
        assert isinstance(resp, dict) and resp.get("kind") == "Status", resp

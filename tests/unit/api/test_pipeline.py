"""Bodies real kubectl sends (from the protocol notes) go through the create pipeline cleanly."""

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from kubelite.api.apply import managed_fields, track_update
from kubelite.api.defaults import apply_defaults, prepare_for_create
from kubelite.api.meta import fill_create_meta
from kubelite.api.resources import REGISTRY
from kubelite.api.strict import type_error, unknown_fields
from kubelite.api.tables import table_for
from kubelite.api.validation import validate

pytestmark = pytest.mark.unit

NOW = datetime(2024, 1, 1, tzinfo=UTC)

RUN = {"kind": "Pod", "apiVersion": "v1",
       "metadata": {"name": "nginx", "creationTimestamp": None, "labels": {"run": "nginx"}},
       "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}],
                "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"}, "status": {}}
EXPOSE = {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "x", "creationTimestamp": None},
          "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"app": "x"},
                   "type": "NodePort"}, "status": {"loadBalancer": {}}}
DEPLOY = {"kind": "Deployment", "apiVersion": "apps/v1",
          "metadata": {"name": "web", "creationTimestamp": None, "labels": {"app": "web"}},
          "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}},
                   "strategy": {}}, "status": {}}
CRONJOB = {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": {"name": "cj", "creationTimestamp": None},
           "spec": {"schedule": "*/1 * * * *", "jobTemplate": {
               "metadata": {"name": "cj", "creationTimestamp": None},
               "spec": {"template": {"metadata": {"creationTimestamp": None},
                                     "spec": {"containers": [{"name": "cj", "image": "busybox", "resources": {}}],
                                              "restartPolicy": "OnFailure"}}}}},
           "status": {}}
NAMESPACE = {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "team-a", "creationTimestamp": None},
             "spec": {}, "status": {}}
SECRET = {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s", "creationTimestamp": None},
          "data": {"pw": "aHVudGVyMg=="}}


@pytest.mark.parametrize("body", [RUN, EXPOSE, DEPLOY, CRONJOB, NAMESPACE, SECRET],
                         ids=lambda b: str(b["kind"]))
def test_kubectl_bodies_create_cleanly(body: dict[str, Any]) -> None:
    resource = REGISTRY.by_api_version_kind(body["apiVersion"], body["kind"])
    assert resource is not None
    obj = dict(body)
    if resource.namespaced:
        obj["metadata"] = {**obj["metadata"], "namespace": "default"}
    assert type_error(obj) is None
    assert unknown_fields(obj) == []
    obj = apply_defaults(obj)
    obj = fill_create_meta(obj, NOW, random.Random(1))
    obj = prepare_for_create(obj)
    assert validate(obj) == [], [str(e) for e in validate(obj)]
    assert unknown_fields(obj) == []  # defaults only add known fields
    stored = track_update(None, obj, "kubectl-create", NOW)
    (entry, paths), = managed_fields(stored)
    assert entry["manager"] == "kubectl-create" and paths
    table = table_for(resource, [stored], NOW)
    assert table["rows"][0]["cells"][0] == obj["metadata"]["name"]

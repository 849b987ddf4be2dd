"""Server-side apply through the server: create (201), ownership recorded in managedFields, a conflict
with another manager's change (409), force taking the field over, and patches of the other types."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

DEPLOY = "/apis/apps/v1/namespaces/default/deployments/sa"
APPLY = "application/apply-patch+yaml"


def manifest(replicas: int) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "sa"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "sa"}},
                     "template": {"metadata": {"labels": {"app": "sa"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


async def test_apply_create_conflict_force(client: Any) -> None:
    code, created = await client.call("PATCH", f"{DEPLOY}?fieldManager=alice", manifest(1), content_type=APPLY)
    assert code == 201, created
    managers = {(m["manager"], m["operation"]) for m in created["metadata"]["managedFields"]}
    assert ("alice", "Apply") in managers
    code, _ = await client.call("PATCH", f"{DEPLOY}?fieldManager=bob", {"spec": {"replicas": 5}},
                                content_type="application/merge-patch+json")
    assert code == 200
    code, conflict = await client.call("PATCH", f"{DEPLOY}?fieldManager=alice", manifest(2), content_type=APPLY)
    assert code == 409 and conflict["reason"] == "Conflict", conflict
    assert "bob" in conflict["message"]
    code, forced = await client.call("PATCH", f"{DEPLOY}?fieldManager=alice&force=true", manifest(2),
                                     content_type=APPLY)
    assert code == 200 and forced["spec"]["replicas"] == 2
    assert forced["metadata"]["generation"] == 3


async def test_json_patch_test_failure_is_422(client: Any) -> None:
    await client.call("PATCH", f"{DEPLOY}?fieldManager=alice", manifest(1), content_type=APPLY)
    code, body = await client.call("PATCH", DEPLOY, [{"op": "test", "path": "/spec/replicas", "value": 9}],
                                   content_type="application/json-patch+json")
    assert code == 422 and body["kind"] == "Status"
    code, body = await client.call("PATCH", DEPLOY, [{"op": "replace", "path": "/spec/replicas", "value": 4}],
                                   content_type="application/json-patch+json")
    assert code == 200 and body["spec"]["replicas"] == 4


async def test_noop_update_keeps_resource_version(client: Any) -> None:
    _, created = await client.call("PATCH", f"{DEPLOY}?fieldManager=alice", manifest(1), content_type=APPLY)
    code, again = await client.call("PATCH", f"{DEPLOY}?fieldManager=alice", manifest(1), content_type=APPLY)
    assert code == 200
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]

"""events.k8s.io/v1 Events share core/v1's storage: each API sees its own field names."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

pytestmark = pytest.mark.integration

NEW = "/apis/events.k8s.io/v1/namespaces/default/events"
CORE = "/api/v1/namespaces/default/events"


async def test_events_v1_and_core_views(client: Any) -> None:
    event = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e1"},
             "eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "kubelite/test",
             "reportingInstance": "t1", "action": "Testing", "reason": "Tested", "type": "Normal",
             "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}, "note": "hello"}
    code, created = await client.call("POST", NEW, event)
    assert code == 201, created
    assert created["apiVersion"] == "events.k8s.io/v1" and created["note"] == "hello"
    code, core = await client.call("GET", f"{CORE}/e1")
    assert code == 200 and core["apiVersion"] == "v1"
    assert core["message"] == "hello" and core["involvedObject"]["name"] == "p"
    code, listed = await client.call("GET", NEW)
    assert [i["regarding"]["name"] for i in listed["items"]] == ["p"]
    rv = created["metadata"]["resourceVersion"]

    async def one_event() -> dict[str, Any]:
        async with client.session.get(f"{client.api.url}{NEW}?watch=true&resourceVersion={rv}",
                                      ssl=client.ssl) as resp:
            async for line in resp.content:
                return dict(orjson.loads(line))
        raise AssertionError("watch ended")

    reader = asyncio.create_task(asyncio.wait_for(one_event(), 10))
    code, patched = await client.call("PATCH", f"{NEW}/e1", {"note": "changed"},
                                      content_type="application/merge-patch+json")
    assert code == 200 and patched["note"] == "changed"
    seen = await reader
    assert seen["type"] == "MODIFIED" and seen["object"]["note"] == "changed"
    assert seen["object"]["apiVersion"] == "events.k8s.io/v1"
    code, _ = await client.call("DELETE", f"{NEW}/e1")
    assert code == 200
    assert (await client.call("GET", f"{CORE}/e1"))[0] == 404

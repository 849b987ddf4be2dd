"""The event recorder against the real API server."""

from __future__ import annotations

import pytest

from kubelite.base.clock import FakeClock
from kubelite.client.events import COMBINED_PREFIX, EventRecorder
from kubelite.client.rest import Client

from .conftest import pod

pytestmark = pytest.mark.integration


async def test_records_and_counts_repeats(client: Client) -> None:
    target = await client.resource("v1", "pods").create(pod("web"))
    clock = FakeClock()
    rec = EventRecorder(client, "replication-controller", clock=clock)
    first = await rec.normal(target, "SuccessfulCreate", "Created pod: web")
    assert first is not None
    assert first["involvedObject"]["kind"] == "Pod"
    assert first["involvedObject"]["uid"] == target["metadata"]["uid"]
    assert first["source"] == {"component": "replication-controller"}
    assert first["count"] == 1 and first["type"] == "Normal"
    await clock.advance(90)
    second = await rec.normal(target, "SuccessfulCreate", "Created pod: web")
    assert second is not None
    assert second["metadata"]["name"] == first["metadata"]["name"]
    assert second["count"] == 2
    assert second["firstTimestamp"] == first["firstTimestamp"]
    assert second["lastTimestamp"] == "2026-01-01T00:01:30Z"
    events = await client.resource("v1", "events").list("default")
    assert [(e["reason"], e["count"]) for e in events["items"]] == [("SuccessfulCreate", 2)]


async def test_similar_messages_are_combined(client: Client) -> None:
    target = await client.resource("v1", "pods").create(pod("agg"))
    rec = EventRecorder(client, "kubelet", host="node-1", clock=FakeClock())
    for i in range(12):
        await rec.warning(target, "BackOff", f"Back-off restarting container, attempt {i}")
    items = (await client.resource("v1", "events").list("default"))["items"]
    combined = [e for e in items if e["message"].startswith(COMBINED_PREFIX)]
    assert len(items) == 10, "nine distinct events and one combined"
    assert len(combined) == 1 and combined[0]["count"] == 3
    assert combined[0]["source"] == {"component": "kubelet", "host": "node-1"}


async def test_deleted_event_is_recreated_and_failures_do_not_raise(client: Client) -> None:
    target = await client.resource("v1", "pods").create(pod("gone"))
    rec = EventRecorder(client, "test", clock=FakeClock())
    first = await rec.normal(target, "Killing", "Stopping container c")
    assert first is not None
    await client.resource("v1", "events").delete(first["metadata"]["name"], "default")
    again = await rec.normal(target, "Killing", "Stopping container c")
    assert again is not None and again["count"] == 2
    assert again["metadata"]["name"] != first["metadata"]["name"]
    elsewhere = dict(target, metadata=dict(target["metadata"], namespace="no-such-namespace"))
    assert await rec.normal(elsewhere, "Killing", "x") is None
    with pytest.raises(ValueError, match="event type"):
        await rec.event(target, "Bad", "X", "y")


async def test_concurrent_recording_still_combines_into_one_event(client: Client) -> None:
    import asyncio

    target = await client.resource("v1", "pods").create(pod("busy"))
    rec = EventRecorder(client, "replicaset-controller", clock=FakeClock())
    results = await asyncio.gather(*(rec.normal(target, "SuccessfulCreate", f"Created pod: busy-{i}")
                                     for i in range(15)))
    assert all(r is not None for r in results)
    items = (await client.resource("v1", "events").list("default"))["items"]
    combined = [e for e in items if e["message"].startswith(COMBINED_PREFIX)]
    assert len(combined) == 1 and combined[0]["count"] == 6, "writes are serialised, so repeats find the first"
    assert len(items) == 10


async def test_emit_writes_in_the_background_and_flush_waits(client: Client) -> None:
    target = await client.resource("v1", "pods").create(pod("bg"))
    rec = EventRecorder(client, "kubelet", clock=FakeClock())
    for i in range(3):
        rec.emit(target, "Normal", "Pulled", f"image {i}")
    await rec.flush()
    items = (await client.resource("v1", "events").list("default"))["items"]
    assert sorted(e["message"] for e in items) == ["image 0", "image 1", "image 2"]

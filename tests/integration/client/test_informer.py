"""Informers against the real API server: list+watch, handlers, indexes, resync, relist after 410."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from kubelite.base.backoff import Backoff
from kubelite.base.clock import FakeClock
from kubelite.client.informer import Informer, InformerFactory, strip_managed_fields
from kubelite.client.rest import Client
from kubelite.client.store import LABEL_INDEX, DeletedFinalStateUnknown, meta_namespace_key
from kubelite.client.workqueue import WorkQueue
from kubelite.testing.apiserver import RunningApiServer

from .conftest import eventually
from .tcpproxy import TcpProxy

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.tombstones: list[DeletedFinalStateUnknown] = []

    def add(self, obj: dict[str, Any]) -> None:
        self.events.append(("add", meta_namespace_key(obj)))

    def update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.events.append(("update", meta_namespace_key(new)))

    def delete(self, obj: Any) -> None:
        if isinstance(obj, DeletedFinalStateUnknown):
            self.tombstones.append(obj)
            self.events.append(("delete-unknown", obj.key))
        else:
            self.events.append(("delete", meta_namespace_key(obj)))


@contextlib.asynccontextmanager
async def running(inf: Informer) -> AsyncIterator[Informer]:
    task = asyncio.create_task(inf.run())
    try:
        yield inf
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_list_then_watch_feeds_store_and_handlers(client: Client) -> None:
    cms = client.resource("v1", "configmaps")
    await cms.create({"metadata": {"name": "a", "labels": {"app": "web"}}})
    inf = Informer(cms, namespace="default")
    rec = Recorder()
    inf.add_event_handler(rec.add, rec.update, rec.delete)
    assert not inf.has_synced()
    async with running(inf):
        assert await inf.wait_synced(10)
        assert rec.events == [("add", "default/a")]
        cached = inf.get("a", "default")
        assert cached is not None and cached["kind"] == "ConfigMap"
        await cms.create({"metadata": {"name": "b", "labels": {"app": "web"}}})
        await cms.patch("a", {"metadata": {"labels": {"app": "db"}}})
        await cms.delete("b")
        await eventually(lambda: len(rec.events) == 4, what="watch events")
        assert rec.events[1:] == [("add", "default/b"), ("update", "default/a"), ("delete", "default/b")]
        assert inf.store.index_keys(LABEL_INDEX, "app=db") == ["default/a"]
        assert inf.store.index_keys(LABEL_INDEX, "app=web") == []
        # A handler registered late gets the current cache replayed as adds.
        late = Recorder()
        inf.add_event_handler(late.add)
        assert late.events == [("add", "default/a")]


async def test_selector_and_custom_index(client: Client) -> None:
    pods = client.resource("v1", "pods")
    for name, node in (("p1", "n1"), ("p2", "n2"), ("p3", "n1")):
        await pods.create({"metadata": {"name": name, "labels": {"team": "a" if name != "p2" else "b"}},
                           "spec": {"nodeName": node, "containers": [{"name": "c", "image": "x"}]}})
    inf = Informer(pods, label_selector="team=a",
                   indexers={"node": lambda o: [o.get("spec", {}).get("nodeName", "")]})
    async with running(inf):
        assert await inf.wait_synced(10)
        assert inf.store.index_keys("node", "n1") == ["default/p1", "default/p3"]
        assert inf.store.index_keys("node", "n2") == []
        await pods.patch("p2", {"metadata": {"labels": {"team": "a"}}})
        await eventually(lambda: inf.store.index_keys("node", "n2") == ["default/p2"], what="p2 to match")
        await pods.patch("p1", {"metadata": {"labels": {"team": "z"}}})
        await eventually(lambda: "default/p1" not in inf.store, what="p1 to leave the selection")


async def test_resync_redelivers_cached_objects_on_the_clock(client: Client) -> None:
    cms = client.resource("v1", "configmaps")
    await cms.create({"metadata": {"name": "r"}})
    clock = FakeClock()
    inf = Informer(cms, namespace="default", resync_period=30, clock=clock)
    rec = Recorder()
    inf.add_event_handler(rec.add, rec.update)
    async with running(inf):
        assert await inf.wait_synced(10)
        await eventually(lambda: clock.sleepers >= 1, what="resync timer")
        assert rec.events == [("add", "default/r")]
        await clock.advance(30)
        await eventually(lambda: rec.events[-1:] == [("update", "default/r")], what="resync")


async def test_relist_after_gone_replaces_store_with_the_right_deltas(small_api: RunningApiServer) -> None:
    host, port = small_api.url.removeprefix("https://").split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.open()
    direct = Client.from_kubeconfig(small_api.kubeconfig)
    async with Client(replace(direct.config, server=f"https://127.0.0.1:{proxy.port}")) as via_proxy, direct:
        writer = direct.resource("v1", "configmaps")
        await writer.create({"metadata": {"name": "stays"}})
        await writer.create({"metadata": {"name": "goes"}})
        inf = Informer(via_proxy.resource("v1", "configmaps"), namespace="default",
                       watch_backoff=Backoff(initial=0.05, maximum=0.2))
        rec = Recorder()
        inf.add_event_handler(rec.add, rec.update, rec.delete)
        try:
            async with running(inf):
                assert await inf.wait_synced(10)
                relists = inf.machine.relists
                # Cut the network, change things while the informer cannot see, and push the change
                # out of the server's 4-event watch history so resuming must fail with 410.
                await proxy.close()
                proxy.break_connections()
                await writer.delete("goes")
                await writer.patch("stays", {"data": {"v": "2"}})
                for i in range(6):
                    await writer.create({"metadata": {"name": f"new{i}"}})
                await proxy.open()
                await eventually(lambda: inf.machine.relists > relists and len(inf.store) == 7,
                                 what="relist after 410")
        finally:
            await proxy.shutdown()
    assert [e for e in rec.events if e[0] == "delete-unknown"] == [("delete-unknown", "default/goes")]
    assert rec.tombstones[0].obj["metadata"]["name"] == "goes"
    assert ("update", "default/stays") in rec.events
    assert sorted(k for t, k in rec.events if t == "add" and k.startswith("default/new")) == [
        f"default/new{i}" for i in range(6)]
    stays = inf.get("stays", "default")
    assert stays is not None and stays["data"] == {"v": "2"}


async def test_factory_shares_informers_and_feeds_a_workqueue(client: Client) -> None:
    factory = InformerFactory(client)
    a = factory.informer("v1", "configmaps")
    assert factory.informer("v1", "configmaps") is a
    queue = WorkQueue("cm")
    a.add_event_handler(lambda o: queue.add(meta_namespace_key(o)),
                        lambda old, new: queue.add(meta_namespace_key(new)),
                        lambda o: queue.add(meta_namespace_key(o) if isinstance(o, dict) else o.key))
    cms = client.resource("v1", "configmaps")
    async with asyncio.TaskGroup() as tg:
        tasks = factory.start(tg)
        assert factory.start(tg) == [], "each informer starts once"
        assert await factory.wait_synced(10)
        for _ in range(3):  # a burst of changes to one object collapses into one key
            await cms.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "q"},
                             "data": {"n": str(_)}}, field_manager="t", force=True)
        await eventually(lambda: len(queue) == 1 and a.get("q", "default") is not None
                         and a.get("q", "default")["data"]["n"] == "2", what="events")
        assert await queue.get() == "default/q"
        queue.done("default/q")
        queue.shut_down()
        for t in tasks:  # stop the informers
            t.cancel()


async def test_field_selector_informer_follows_binding(client: Client) -> None:
    """What a kubelet does: watch only the pods bound to its node."""
    pods = client.resource("v1", "pods")
    await pods.create({"metadata": {"name": "later"}, "spec": {"containers": [{"name": "c", "image": "x"}]}})
    inf = Informer(pods, field_selector="spec.nodeName=node-7")
    rec = Recorder()
    inf.add_event_handler(rec.add, rec.update, rec.delete)
    async with running(inf):
        assert await inf.wait_synced(10)
        assert len(inf.store) == 0
        await pods.bind("later", "node-7")
        await eventually(lambda: rec.events == [("add", "default/later")], what="the bound pod to appear")


async def test_transform_strips_managed_fields_before_caching(client: Client) -> None:
    cms = client.resource("v1", "configmaps")
    applied = await cms.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"},
                               "data": {"k": "v"}}, field_manager="me")
    assert applied["metadata"].get("managedFields"), "the server tracks field ownership"
    inf = Informer(cms, namespace="default", transform=strip_managed_fields)
    async with running(inf):
        assert await inf.wait_synced(10)
        cached = inf.get("m", "default")
        assert cached is not None and "managedFields" not in cached["metadata"]
        await cms.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"},
                         "data": {"k": "w"}}, field_manager="me")
        await eventually(lambda: (inf.get("m", "default") or {}).get("data") == {"k": "w"}, what="update")
        assert "managedFields" not in inf.get("m", "default")["metadata"]


async def test_cache_converges_to_the_server_under_churn_and_network_cuts(small_api: RunningApiServer) -> None:
    """Random creates/updates/deletes while the network is cut and restored and watches time out: the
    cache, and the state a subscriber rebuilds from handler calls alone, must both end up exactly equal
    to the server (same names, same resourceVersions)."""
    import random

    rng = random.Random(7)
    host, port = small_api.url.removeprefix("https://").split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.open()
    direct = Client.from_kubeconfig(small_api.kubeconfig)
    async with Client(replace(direct.config, server=f"https://127.0.0.1:{proxy.port}")) as via_proxy, direct:
        writer = direct.resource("v1", "configmaps")
        inf = Informer(via_proxy.resource("v1", "configmaps"), namespace="default", watch_timeout_seconds=1,
                       watch_backoff=Backoff(initial=0.02, maximum=0.1))
        view: dict[str, str] = {}  # what a subscriber rebuilds from the handler calls alone
        inf.add_event_handler(
            lambda o: view.__setitem__(o["metadata"]["name"], o["metadata"]["resourceVersion"]),
            lambda _o, n: view.__setitem__(n["metadata"]["name"], n["metadata"]["resourceVersion"]),
            lambda o: view.pop(o.key.split("/")[1] if isinstance(o, DeletedFinalStateUnknown)
                               else o["metadata"]["name"], None))
        try:
            async with running(inf):
                assert await inf.wait_synced(10)
                live: set[str] = set()
                for step in range(120):
                    name = f"c{rng.randrange(15)}"
                    if name in live and rng.random() < 0.4:
                        await writer.delete(name)
                        live.discard(name)
                    elif name in live:
                        await writer.patch(name, {"data": {"step": str(step)}})
                    else:
                        await writer.create({"metadata": {"name": name}, "data": {"step": str(step)}})
                        live.add(name)
                    if step % 30 == 10:
                        proxy.break_connections()
                truth = {o["metadata"]["name"]: o["metadata"]["resourceVersion"]
                         for o in (await writer.list("default"))["items"]}

                def converged() -> bool:
                    cached = {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in inf.store.list()}
                    return cached == truth and view == truth

                await eventually(converged, within=20, what="the cache to equal the server")
        finally:
            await proxy.shutdown()

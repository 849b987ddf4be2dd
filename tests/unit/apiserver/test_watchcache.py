"""The watch cache's bookkeeping without storage or sockets: snapshots, the replay ring, the 410
window, selector-free fan-out and slow-watcher eviction."""

import orjson
import pytest

from kubelite.apiserver.store import decode_kv
from kubelite.apiserver.watchcache import (
    BOOKMARK,
    Progress,
    SubscriberOverflowError,
    TooOldError,
    WatchCache,
)
from kubelite.storage.interface import EventType, KeyValue

pytestmark = pytest.mark.unit
PREFIX = "/registry/configmaps/"


def kv(name: str, rev: int, ns: str = "default", created: int | None = None) -> KeyValue:
    body = orjson.dumps({"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}})
    return KeyValue(f"{PREFIX}{ns}/{name}", body, created or rev, rev)


async def test_snapshot_ring_and_too_old() -> None:
    cache = WatchCache(PREFIX, prepare=decode_kv, progress=Progress(), ring_size=3, max_queue=10)
    cache.load([kv("a", 1), kv("b", 2, "other")], 2)
    objs, _ = cache.snapshot(f"{PREFIX}default/")
    assert [o.obj["metadata"]["name"] for o in objs] == ["a"]
    assert objs[0].obj["metadata"]["resourceVersion"] == "1"
    for rev in (3, 4, 5):
        cache.apply(EventType.CREATE, kv(f"n{rev}", rev))
    sub, backlog = cache.subscribe(PREFIX, 3)
    assert [e.revision for e in backlog] == [4, 5]
    assert backlog[0].line().startswith(b'{"type":"ADDED","object":{')
    sub.close()
    cache.apply(EventType.UPDATE, kv("n3", 6, created=3))
    with pytest.raises(TooOldError):
        cache.subscribe(PREFIX, 2)


async def test_fan_out_markers_and_overflow() -> None:
    cache = WatchCache(PREFIX, prepare=decode_kv, progress=Progress(), max_queue=2)
    cache.load([], 0)
    sub, backlog = cache.subscribe(f"{PREFIX}default/", 0)
    assert backlog == []
    cache.apply(EventType.CREATE, kv("x", 1))
    cache.apply(EventType.CREATE, kv("y", 2, "elsewhere"))  # another namespace: not offered
    sub.put_marker(BOOKMARK)
    batch = await sub.next_batch()
    assert [getattr(i, "type", i) for i in batch] == ["ADDED", BOOKMARK]
    cache.apply(EventType.DELETE, kv("x", 3, created=1))
    cache.apply(EventType.CREATE, kv("z", 4))
    cache.apply(EventType.CREATE, kv("w", 5))  # the third queued event overflows max_queue=2
    assert cache.watchers == 0
    with pytest.raises(SubscriberOverflowError):
        await sub.next_batch()

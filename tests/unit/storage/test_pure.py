"""Pure parts of storage: key ranges, expiry queue, compaction targets, lease IDs, gRPC targets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.storage.compactor import compaction_target
from kubelite.storage.etcd.client import channel_target
from kubelite.storage.etcd.leases import LeaseCache, lease_id, reuse_window, ttl_of
from kubelite.storage.expiry import ExpiryQueue
from kubelite.storage.interface import StorageError
from kubelite.storage.keys import bytes_prefix_end, prefix_end

pytestmark = pytest.mark.unit

keys = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


def test_prefix_end_examples() -> None:
    assert prefix_end("/pods/") == "/pods0"
    assert prefix_end("") is None
    assert prefix_end("a\U0010ffff") == "b"
    assert prefix_end("\U0010ffff") is None
    assert prefix_end("\ud7ff") == "\ue000"
    assert bytes_prefix_end(b"/a/") == b"/a0"
    assert bytes_prefix_end(b"a\xff") == b"b"
    assert bytes_prefix_end(b"") == b"\0"


@given(prefix=keys, suffix=keys, other=keys)
def test_prefix_end_bounds_exactly_the_prefixed_keys(prefix: str, suffix: str, other: str) -> None:
    end = prefix_end(prefix)
    assert end is None or prefix + suffix < end
    if end is not None and not other.startswith(prefix) and other >= prefix:
        assert other >= end
    # The string order is the UTF-8 byte order etcd uses.
    assert (prefix < other) == (prefix.encode() < other.encode())


def test_expiry_queue_pops_due_in_deadline_order() -> None:
    q = ExpiryQueue()
    q.push(30.0, "/c", 3)
    q.push(10.0, "/a", 1)
    q.push(20.0, "/b", 2)
    assert q.next_deadline() == 10.0
    assert q.pop_due(5.0) == []
    assert q.pop_due(20.0) == [("/a", 1), ("/b", 2)]
    assert len(q) == 1 and q.next_deadline() == 30.0


@pytest.mark.parametrize(("previous", "current", "compacted", "retain", "want"), [
    (100, 5000, 0, 1000, 100),      # compact to the revision one interval ago
    (4500, 5000, 0, 1000, 4000),    # but keep the newest `retain` revisions
    (100, 5000, 100, 1000, None),   # nothing new to forget
    (0, 10, 0, 1000, None),         # young store
])
def test_compaction_target(previous: int, current: int, compacted: int, retain: int, want: int | None) -> None:
    assert compaction_target(previous, current, compacted, retain) == want


@given(ttl=st.integers(min_value=1, max_value=(1 << 20) - 1))
def test_lease_ids_carry_their_ttl(ttl: int) -> None:
    lid = lease_id(ttl)
    assert 0 < lid < 1 << 63
    assert ttl_of(lid) == ttl
    assert ttl_of(0) == 0


def test_lease_cache_reuses_within_the_window_only() -> None:
    cache = LeaseCache()
    assert reuse_window(3600) == 60 and reuse_window(1) == 0
    cache.put(3600, 42, now=100.0)
    assert cache.get(3600, now=130.0) == 42
    assert cache.get(3600, now=161.0) is None
    cache.put(1, 7, now=100.0)
    assert cache.get(1, now=100.0) is None  # a 1 s TTL never shares


def test_channel_targets() -> None:
    assert channel_target(("127.0.0.1:2379",)) == "ipv4:127.0.0.1:2379"
    assert channel_target(("10.0.0.1:1", "10.0.0.2:2")) == "ipv4:10.0.0.1:1,10.0.0.2:2"
    assert channel_target(("[::1]:2379",)) == "ipv6:[::1]:2379"
    assert channel_target(("etcd.local:2379",)) == "dns:///etcd.local:2379"
    with pytest.raises(StorageError, match="IP addresses"):
        channel_target(("a.local:1", "b.local:2"))

import random

import pytest

from kubelite.base.backoff import Backoff, KeyedBackoff

pytestmark = pytest.mark.unit


def test_backoff_doubles_and_caps() -> None:
    b = Backoff(initial=0.005, maximum=0.04)
    assert [b.next_delay() for _ in range(6)] == [0.005, 0.01, 0.02, 0.04, 0.04, 0.04]
    b.reset()
    assert b.next_delay() == 0.005


def test_backoff_jitter_stays_within_fraction() -> None:
    b = Backoff(initial=1.0, maximum=1.0, jitter=0.1, rng=random.Random(7))
    delays = [b.next_delay() for _ in range(100)]
    assert all(1.0 <= d <= 1.1 for d in delays)
    assert len(set(delays)) > 1


def test_crashloop_backoff_sequence_and_reset_after_quiet_period() -> None:
    # Kubernetes' CrashLoopBackOff: 10 s doubling to 5 min, reset after 10 min without a crash.
    kb = KeyedBackoff(initial=10, maximum=300, reset_after=600)
    now = 0.0
    seen = []
    for _ in range(7):
        seen.append(kb.next("pod/c", now))
        now += 1
    assert seen == [10, 20, 40, 80, 160, 300, 300]
    assert kb.in_backoff("pod/c", now)
    assert not kb.in_backoff("pod/c", now + 301)
    # Quiet for longer than reset_after: the sequence starts over.
    assert kb.next("pod/c", now + 601) == 10


def test_keyed_backoff_keys_are_independent_and_gc_drops_idle() -> None:
    kb = KeyedBackoff(initial=1, maximum=8, reset_after=100)
    kb.next("a", 0)
    kb.next("a", 1)
    assert kb.next("b", 1) == 1
    assert kb.current("a") == 2
    kb.gc(now=500)
    assert kb.current("a") == 0 and kb.current("b") == 0
    kb.next("c", 0)
    kb.forget("c")
    assert kb.current("c") == 0

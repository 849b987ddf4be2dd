import pytest

from kubelite.client.ratelimit import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)

pytestmark = pytest.mark.unit


def test_exponential_doubles_from_5ms_and_caps_at_1000s() -> None:
    rl = ItemExponentialFailureRateLimiter()
    delays = [rl.when("a") for _ in range(20)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[-1] == 1000.0
    assert max(delays) == 1000.0
    assert rl.num_requeues("a") == 20
    assert rl.when("b") == 0.005, "keys back off independently"
    for _ in range(100):
        rl.when("a")  # no overflow far past the cap
    assert rl.when("a") == 1000.0
    rl.forget("a")
    assert rl.num_requeues("a") == 0
    assert rl.when("a") == 0.005


def test_bucket_allows_burst_then_spaces_by_qps() -> None:
    now = [0.0]
    rl = BucketRateLimiter(qps=10, burst=3, now=lambda: now[0])
    assert [rl.when("x") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rl.when("x") == pytest.approx(0.1)
    assert rl.when("y") == pytest.approx(0.2), "the bucket is shared by all keys"
    now[0] = 10.0  # refills, but never above burst
    assert [rl.when("x") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rl.when("x") == pytest.approx(0.1)


def test_max_of_takes_the_longest_and_default_combines_both() -> None:
    now = [0.0]
    rl = default_controller_rate_limiter(lambda: now[0])
    first = [rl.when(f"k{i}") for i in range(101)]
    assert first[:100] == [0.005] * 100
    assert first[100] == pytest.approx(0.1), "past the burst the bucket dominates"
    combo = MaxOfRateLimiter(ItemExponentialFailureRateLimiter(1, 100), ItemExponentialFailureRateLimiter(3, 100))
    assert combo.when("a") == 3
    assert combo.num_requeues("a") == 1
    combo.forget("a")
    assert combo.num_requeues("a") == 0

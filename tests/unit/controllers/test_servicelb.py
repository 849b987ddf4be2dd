import pytest

from kubelite.controllers.servicelb.controller import choose, parse_pool

pytestmark = pytest.mark.unit


def test_pools_and_choices() -> None:
    pool = parse_pool("127.0.0.240-127.0.0.242")
    assert pool == ["127.0.0.240", "127.0.0.241", "127.0.0.242"]
    assert parse_pool("192.168.50.0/30") == ["192.168.50.1", "192.168.50.2"]
    svc = {"spec": {"type": "LoadBalancer"}}
    assert choose(svc, pool, {"127.0.0.240"}) == "127.0.0.241"
    assert choose({"spec": {"loadBalancerIP": "127.0.0.242"}}, pool, set()) == "127.0.0.242"
    assert choose({"spec": {"loadBalancerIP": "127.0.0.242"}}, pool, {"127.0.0.242"}) is None
    assert choose(svc, pool, set(pool)) is None
    owned = {"spec": {}, "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.241"}]}}}
    assert choose(owned, pool, {"127.0.0.241"}) == "127.0.0.241"

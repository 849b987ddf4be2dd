"""Carving the cluster CIDR into per-node pod CIDRs (pure)."""

import pytest

from kubelite.controllers.nodeipam.cidrs import CidrError, check, next_free


def test_lowest_free_subnet_first() -> None:
    assert next_free("10.244.0.0/16", 24, []) == "10.244.0.0/24"
    assert next_free("10.244.0.0/16", 24, ["10.244.0.0/24", "10.244.2.0/24"]) == "10.244.1.0/24"
    assert next_free("10.244.0.0/16", 26, ["10.244.0.0/26"]) == "10.244.0.64/26"


def test_odd_claims_are_avoided_by_overlap() -> None:
    # A node registered with its own --pod-cidr of another size, and one outside the range entirely.
    used = ["10.244.0.0/23", "192.168.0.0/24", "not-a-cidr"]
    assert next_free("10.244.0.0/16", 24, used) == "10.244.2.0/24"
    assert next_free("10.244.0.0/16", 24, ["10.244.0.0/16"]) is None


def test_full_range_is_none() -> None:
    used = [f"10.244.0.{i * 64}/26" for i in range(4)]
    assert next_free("10.244.0.0/24", 26, used) is None


@pytest.mark.parametrize(("cidr", "mask"), [("10.244.0.0/16", 8), ("10.244.0.0/16", 31), ("nope", 24),
                                            ("10.244.0.1/16", 24)])
def test_bad_configuration(cidr: str, mask: int) -> None:
    with pytest.raises(CidrError):
        check(cidr, mask)


def test_thousands_of_nodes_stay_fast() -> None:
    used = [f"10.{i // 256}.{i % 256}.0/24" for i in range(5000)]
    assert next_free("10.0.0.0/8", 24, used) == "10.19.136.0/24"

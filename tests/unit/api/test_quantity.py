
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from kubelite.api.quantity import QuantityError, canonical, parse_quantity

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100m", "100m"), ("0.1", "100m"), ("1000m", "1"), ("1.5", "1500m"), ("0.5", "500m"),
        ("1Gi", "1Gi"), ("1024Mi", "1Gi"), ("1.5Gi", "1536Mi"), ("0.5Gi", "512Mi"), ("1000Ki", "1000Ki"),
        ("0.5Ki", "512"), ("512", "512"), ("2000", "2k"), ("1500", "1500"), ("1.5k", "1500"),
        ("1e3", "1e3"), ("1E3", "1e3"), ("1.5e3", "1500"), ("1e-3", "1e-3"), ("12e6", "12e6"),
        ("0", "0"), ("0Gi", "0"), ("-100m", "-100m"), ("+5", "5"), ("1E", "1E"), ("3P", "3P"),
        ("0.1n", "1n"), ("1u", "1u"), ("0.0000001", "100n"), (".5", "500m"), ("5.", "5"),
        (1, "1"), (0.25, "250m"), ("1Ki", "1Ki"), ("1023", "1023"), ("1025Ki", "1025Ki"),
    ],
)
def test_canonical_forms(text: str | int | float, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("bad", ["", "abc", "1x", "1.2.3", "Gi", "1 Gi", "1e", "--1", "1Kii"])
def test_rejects(bad: str) -> None:
    with pytest.raises(QuantityError, match="quantities must match the regular expression"):
        parse_quantity(bad)


def test_values_and_comparison() -> None:
    assert parse_quantity("100m").milli_value() == 100
    assert parse_quantity("100m").value() == 1
    assert parse_quantity("1Gi").value() == 1024**3
    assert parse_quantity("0.1m").milli_value() == 1
    assert parse_quantity("-1.5").value() == -2
    assert parse_quantity("1") == parse_quantity("1000m")
    assert parse_quantity("1Gi") > parse_quantity("1G")
    assert sorted([parse_quantity(x) for x in ["1", "500m", "2k"]]) == [
        parse_quantity("500m"), parse_quantity("1"), parse_quantity("2k")
    ]
    assert str(parse_quantity("1Gi") + parse_quantity("512Mi")) == "1536Mi"
    assert str(parse_quantity("1") - parse_quantity("250m")) == "750m"


_suffix = hs.sampled_from(["", "m", "k", "M", "G", "Ki", "Mi", "Gi", "e3", "e-2", "n", "u"])


@given(hs.integers(0, 10**6), hs.integers(0, 999), _suffix)
def test_canonical_is_a_fixed_point_preserving_value(whole: int, frac: int, suffix: str) -> None:
    text = f"{whole}.{frac:03d}{suffix}"
    q = parse_quantity(text)
    again = parse_quantity(str(q))
    assert again.amount == q.amount
    assert str(again) == str(q)

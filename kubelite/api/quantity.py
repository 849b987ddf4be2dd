"""Resource quantities (``100m``, ``1Gi``, ``1e3``, ``0.5``) parsed and printed like k8s.io/apimachinery.

Public surface:

- :func:`parse_quantity(text_or_number) -> Quantity`; raises :class:`QuantityError` with kube's message.
- :class:`Quantity` - exact value (a ``Fraction``, rounded up to nano precision on parse, as kube does)
  plus its ``format`` (``"BinarySI"``, ``"DecimalSI"``, ``"DecimalExponent"``). ``str(q)`` is kube's
  canonical form (``1536Mi``, ``500m``, ``1k``, ``1e3``); ``q.value()`` / ``q.milli_value()`` round up like
  ``Value()``/``MilliValue()``; ordering and ``+``/``-`` compare exact values.
- :func:`canonical(text) -> str` - parse and print back, the form the API server stores.

Why exact fractions: kube compares and prints quantities exactly (``inf.Dec``); floats would turn
``0.1`` into ``100000000000000005551n`` territory.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache, total_ordering

BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"
DECIMAL_EXPONENT = "DecimalExponent"

_BIN = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_BY_EXP = {v: k for k, v in _DEC.items()}
_BIN_BY_EXP = {v: k for k, v in _BIN.items()}
_NUMBER = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$")
_EXPONENT = re.compile(r"^[eE][-+]?[0-9]+$")
_NANO = Fraction(1, 10**9)
MAX_INT64 = 2**63 - 1

REGEX_MESSAGE = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


class QuantityError(ValueError):
    pass


@total_ordering
@dataclass(frozen=True, slots=True)
class Quantity:
    amount: Fraction
    format: str = DECIMAL_SI

    def __str__(self) -> str:
        return _canonical(self.amount, self.format)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.amount < other.amount

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.amount == other.amount

    def __hash__(self) -> int:
        return hash(self.amount)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.amount + other.amount, self.format)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self.amount - other.amount, self.format)

    def is_zero(self) -> bool:
        return self.amount == 0

    def value(self) -> int:
        """``Value()``: the value rounded up (away from zero) to an integer."""
        return _round_up(self.amount)

    def milli_value(self) -> int:
        """``MilliValue()``: thousandths, rounded up (``0.1m`` cpu -> 1)."""
        return _round_up(self.amount * 1000)

    def as_float(self) -> float:
        return float(self.amount)


def _round_up(x: Fraction) -> int:
    return math.ceil(x) if x >= 0 else -math.ceil(-x)


def parse_quantity(value: str | int | float) -> Quantity:
    if isinstance(value, bool):
        raise QuantityError(REGEX_MESSAGE)
    # JSON/YAML numbers (``cpu: 1``) arrive as int/float; repr keeps floats exact enough to re-parse.
    text = repr(value) if isinstance(value, float) else str(value).strip()
    return _parse_text(text)


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> Quantity:
    """Parsing is exact (fractions) and so not cheap; the same few strings recur on every pod."""
    m = _NUMBER.match(text)
    if not m:
        raise QuantityError(REGEX_MESSAGE)
    number, suffix = m.group(1), m.group(2)
    amount = Fraction(number)
    if suffix in _BIN:
        amount *= 2 ** _BIN[suffix]
        fmt = BINARY_SI
    elif suffix in _DEC:
        amount *= Fraction(10) ** _DEC[suffix]
        fmt = DECIMAL_SI
    elif _EXPONENT.match(suffix):
        amount *= Fraction(10) ** int(suffix[1:])
        fmt = DECIMAL_EXPONENT
    else:
        raise QuantityError(REGEX_MESSAGE)
    sign = -1 if amount < 0 else 1
    amount = abs(amount)
    if amount != 0:  # round up to nano precision: asking for a little gets a little, never zero
        amount = Fraction(math.ceil(amount / _NANO)) * _NANO
    if fmt == BINARY_SI and amount > MAX_INT64:
        amount = Fraction(MAX_INT64)
    if fmt == BINARY_SI and 0 < amount < 1:
        fmt = DECIMAL_SI
    return Quantity(sign * amount, fmt)


def canonical(value: str | int | float) -> str:
    return _canonical_text(parse_quantity(value))


@lru_cache(maxsize=4096)
def _canonical_text(q: Quantity) -> str:
    return str(q)


def _decimal_parts(amount: Fraction) -> tuple[int, int]:
    """(mantissa, exponent) with exponent a multiple of 3 and the mantissa as short as possible."""
    scaled = amount / _NANO
    if scaled.denominator != 1:  # only from arithmetic: keep nano precision, rounding up like kube
        scaled = Fraction(_round_up(scaled))
    mantissa, exponent = int(scaled), -9
    while mantissa and mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    r = exponent % 3
    return mantissa * 10**r, exponent - r


def _canonical(amount: Fraction, fmt: str) -> str:
    if amount == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < amount < 1024 or amount.denominator != 1:
            fmt = DECIMAL_SI
        else:
            n, exp = int(amount), 0
            while n % 1024 == 0 and exp < 60:
                n //= 1024
                exp += 10
            return f"{n}{_BIN_BY_EXP.get(exp, '')}"
    mantissa, exponent = _decimal_parts(amount)
    if fmt == DECIMAL_SI and exponent in _DEC_BY_EXP:
        return f"{mantissa}{_DEC_BY_EXP[exponent]}"
    if fmt == DECIMAL_SI and exponent > 18:
        return f"{mantissa * 10 ** (exponent - 18)}E"
    return f"{mantissa}" if exponent == 0 else f"{mantissa}e{exponent}"

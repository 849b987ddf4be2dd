"""A small harness so every benchmark reports the same way.

Machines here are shared and noisy, so a figure alone means little: each :class:`Row` pairs what we
measured with a reference measured in the same run (raw runc, raw SQLite, a direct connection), and the
table prints medians and their ratio. Samples are interleaved (ours, reference, ours, ...) so that a
burst of noise hits both sides alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Row:
    """One line of a benchmark table.

    ``lower_is_better``: times are, rates (ops/s) are not; the ratio is always ours / reference, and
    ``target`` (optional) is checked against that ratio or against ``ours`` per ``target_on``.
    """

    name: str
    ours: list[float]
    reference: list[float] = field(default_factory=list)
    unit: str = "ms"
    reference_name: str = ""
    lower_is_better: bool = True
    target: float | None = None
    target_on: str = "ratio"  # "ratio" or "value"

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def reference_median(self) -> float | None:
        return statistics.median(self.reference) if self.reference else None

    @property
    def ratio(self) -> float | None:
        ref = self.reference_median
        return self.ours_median / ref if ref else None

    def meets_target(self) -> bool | None:
        if self.target is None:
            return None
        value = self.ratio if self.target_on == "ratio" else self.ours_median
        if value is None:
            return None
        return value <= self.target if self.lower_is_better else value >= self.target


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def render(title: str, rows: Sequence[Row]) -> str:
    """The table as text: name, our median, the reference's, the ratio and the target verdict."""
    header = ["benchmark", "ours (median)", "reference (median)", "ratio", "target", "n"]
    lines = []
    for r in rows:
        ref = f"{_fmt(r.reference_median)} {r.unit}" + (f" ({r.reference_name})" if r.reference_name else "")
        verdict = r.meets_target()
        if r.target is None:
            target = "-"
        else:
            op = "<=" if r.lower_is_better else ">="
            what = "ratio" if r.target_on == "ratio" else r.unit
            target = f"{what} {op} {r.target:g} " + {True: "ok", False: "MISSED", None: "?"}[verdict]
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        lines.append([r.name, f"{_fmt(r.ours_median)} {r.unit}", ref if r.reference else "-", ratio, target,
                      str(len(r.ours))])
    widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(header)]
    out = [f"== {title} ==", "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def time_call(fn: Callable[[], object]) -> float:
    """Milliseconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


async def time_acall(fn: Callable[[], Awaitable[object]]) -> float:
    """Milliseconds one await of ``fn()`` takes."""
    start = time.perf_counter()
    await fn()
    return (time.perf_counter() - start) * 1000.0


def interleave(ours: Callable[[], float], reference: Callable[[], float], runs: int,
               warmup: int = 1) -> tuple[list[float], list[float]]:
    """Run both measurements alternately ``runs`` times (after ``warmup`` unrecorded rounds)."""
    for _ in range(warmup):
        ours()
        reference()
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        a.append(ours())
        b.append(reference())
    return a, b


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by nearest rank, as latency SLOs are stated."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, min(len(ordered), round(p / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]

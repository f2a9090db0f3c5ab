"""The snapshot's self-check: numbers that are wrong, and numbers that are implausible.

*Problems* fail the check — a value outside its declared ``range`` (a share above 1, a
negative count) or parts that do not add up to their total. *Warnings* do not: a value
outside its ``plausible`` range is possible arithmetic on impossible inputs — an
annualised Sharpe ratio of 20 from a few days of paper P&L, a holding time in
milliseconds logged as seconds — and the digest says so rather than print it as news.

Example::

    >>> sum_problems({}, [("signals", ("signals_passed", "signals_blocked"))])
    []
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from huracan.analytics.format import format_number
from huracan.analytics.snapshot import MetricValue

__all__ = ["plausibility_warnings", "range_problems", "sum_problems"]


def _bounds(low: float | None, high: float | None) -> str:
    return f"[{'-∞' if low is None else f'{low:g}'}, {'∞' if high is None else f'{high:g}'}]"


def range_problems(m: MetricValue, spec: Any) -> list[str]:
    """A value outside the metric's declared ``range`` is wrong."""
    low, high = spec.range
    if m.value is None:
        return []
    if (low is not None and m.value < low) or (high is not None and m.value > high):
        return [f"{m.id} = {m.value} is outside its declared range [{low}, {high}]"]
    return []


def plausibility_warnings(m: MetricValue, spec: Any) -> list[str]:
    """A value outside the metric's ``plausible`` range: likely wrong units or too little data."""
    low, high = getattr(spec, "plausible", (None, None))
    if m.value is None or (low is None and high is None):
        return []
    if (low is not None and m.value < low) or (high is not None and m.value > high):
        shown = format_number(m.value, m.unit, m.precision)
        n = f" on {format_number(m.n, 'count', 0)} {'days' if m.kind == 'days' else 'samples'}" if m.n else ""
        return [
            f"{m.id} = {shown}{n} is outside any plausible range {_bounds(low, high)}: "
            "check its inputs and units before trusting it"
        ]
    return []


def sum_problems(metrics: Mapping[str, MetricValue], checks: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """Totals whose parts do not add up (every part and the total must have a value)."""
    out = []
    for total_id, part_ids in checks:
        total = metrics.get(total_id)
        parts = [metrics.get(p) for p in part_ids]
        if total is None or total.value is None or any(p is None or p.value is None for p in parts):
            continue
        s = sum(p.value for p in parts if p is not None and p.value is not None)
        if not math.isclose(total.value, s, rel_tol=1e-9, abs_tol=1e-6):
            out.append(f"{total_id} = {total.value:g} but its parts {' + '.join(part_ids)} sum to {s:g}")
    return out

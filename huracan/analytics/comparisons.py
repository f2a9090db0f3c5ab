"""Comparisons of a metric's value with yesterday and the 7-day mean, with significance.

The arithmetic is done here once so no model downstream has to: the baseline, the
delta, the percent change, a direction that ignores changes invisible at the metric's
precision, and whether the change is significant —

* rates (a proportion with its ``successes`` and ``n``): two-proportion z-test, Fisher's
  exact test when a cell is small; the 7-day baseline is the pooled rate (Σ successes / Σ n);
* event counts: exact conditional Poisson test (today against the 7-day total over 7 days);
* values with an interval (means and sums: normal; AUC, ECE: bootstrap): z-test with
  the standard errors the intervals imply — the same test ``model_auc_change`` uses;
* anything else: ``significant = None`` (cannot be judged).

A change is judged only when every day it compares rests on at least the metric's
minimum n (``min_n``, from ``metrics.yaml``): below it ``significant`` is None, never
True — "significant" needs a test that can reach significance at that n (#12).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from huracan.analytics.snapshot import Comparison
from huracan.analytics.stats import (
    poisson_rate_test,
    se_from_interval,
    two_proportion_test,
    z_test,
)
from huracan.plugins.types import MetricResult

__all__ = ["Observation", "compare", "observation"]


@dataclass(frozen=True)
class Observation:
    """One day's evaluated value of a metric, reduced to what comparisons need."""

    value: float
    n: int | None = None
    successes: int | None = None
    interval: tuple[float, float, str] | None = None
    is_count: bool = False


def observation(result: MetricResult, unit: str) -> Observation | None:
    """The comparable part of a :class:`MetricResult` (None when it has no value)."""
    if result.value is None or not math.isfinite(result.value):
        return None
    is_count = unit == "count" and result.interval is None and result.n is not None and result.n == result.value
    return Observation(result.value, result.n, result.successes, result.interval, is_count)


def _direction(delta: float, unit: str, precision: int) -> str:
    shown = delta * 100 if unit == "fraction" else delta
    return "flat" if round(shown, precision) == 0 else ("up" if delta > 0 else "down")


def _se(o: Observation) -> float | None:
    if o.interval is None:
        return None
    se = se_from_interval(o.interval[0], o.interval[1])
    return se if se > 0 else None


def _significance(today: Observation, base: Sequence[Observation], alpha: float) -> bool | None:
    k = len(base)
    if today.successes is not None and today.n and all(b.successes is not None and b.n for b in base):
        test = two_proportion_test(
            today.successes,
            today.n,
            sum(b.successes or 0 for b in base),
            sum(b.n or 0 for b in base),
            alpha,
        )
        return None if test is None else test.significant
    if today.is_count and all(b.is_count for b in base):
        ptest = poisson_rate_test(today.value, 1, sum(b.value for b in base), k, alpha)
        return None if ptest is None else ptest.significant
    if today.interval is None or any(b.interval is None for b in base):
        return None
    se_today = _se(today)
    ses = [_se(b) for b in base]
    if se_today is None or any(s is None for s in ses):
        return None
    se_base = math.sqrt(sum(s * s for s in ses if s is not None)) / k
    mean = sum(b.value for b in base) / k
    ztest = z_test(today.value - mean, math.hypot(se_today, se_base), alpha)
    return None if ztest is None else ztest.significant


def _judgeable(today: Observation, base: Sequence[Observation], min_n: int) -> bool:
    """Do today and its baseline rest on at least ``min_n`` each?

    A rate's or a count's baseline is pooled, so the week's n is summed; a mean's or an
    AUC's baseline averages intervals, so every day needs its own ``min_n``.
    """
    if min_n <= 0:
        return True
    if today.n is None or today.n < min_n or any(b.n is None for b in base):
        return False
    pooled = all(b.successes is not None or b.is_count for b in base)
    if pooled:
        return sum(b.n or 0 for b in base) >= min_n
    return all((b.n or 0) >= min_n for b in base)


def compare(
    today: Observation | None,
    base: Sequence[Observation],
    unit: str,
    precision: int,
    alpha: float = 0.05,
    min_days: int = 1,
    min_n: int = 0,
) -> Comparison | None:
    """Compare ``today`` with the mean of ``base`` (one day: yesterday; seven: the week).

    Returns None when there is nothing to compare (no value today or too few days).
    ``significant`` is None when today or a baseline day rests on fewer than ``min_n``.
    """
    if today is None or len(base) < min_days or not base:
        return None
    if today.successes is not None and all(b.successes is not None and b.n for b in base):
        # A rate's baseline is the pooled rate, the same quantity the test compares.
        baseline = sum(b.successes or 0 for b in base) / sum(b.n or 0 for b in base)
    else:
        baseline = sum(b.value for b in base) / len(base)
    delta = today.value - baseline
    return Comparison(
        baseline=baseline,
        delta=delta,
        pct_change=None if baseline == 0 else delta / abs(baseline),
        significant=_significance(today, base, alpha) if _judgeable(today, base, min_n) else None,
        direction=_direction(delta, unit, precision),  # type: ignore[arg-type]
    )

"""Small helpers the built-in metric categories share: picking rows, rates, means."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from huracan.analytics.metric_context import MetricContext
from huracan.analytics.stats import mean_interval, normal_quantile, sum_interval
from huracan.plugins.types import MetricResult

__all__ = ["mean_result", "pick", "rate_result", "sum_result"]


def pick(rows: Sequence[dict[str, Any]], **where: Any) -> dict[str, Any] | None:
    """The first row whose columns equal ``where`` (None matches a GROUPING SETS total)."""
    for r in rows:
        if all(r.get(k) == v for k, v in where.items()):
            return r
    return None


def rate_result(
    ctx: MetricContext, sql: str, row: dict[str, Any] | None, successes: str, trials: str, what: str
) -> MetricResult:
    """A proportion ``row[successes] / row[trials]`` with its n (the computer adds Wilson)."""
    n = int(row[trials] or 0) if row else 0
    if n == 0:
        raise ctx.no_data(f"no {what} on {ctx.day.isoformat()}", sql)
    x = int(row[successes] or 0)  # type: ignore[index]
    return ctx.result(x / n, sql, [row] if row else [], n=n, successes=x)


def _normal(mean: float, sd: float | None, n: int) -> tuple[float, float, str] | None:
    if n < 2 or sd is None or not math.isfinite(sd):
        return None
    half = normal_quantile(0.975) * sd / math.sqrt(n)
    return (mean - half, mean + half, "normal")


def mean_result(
    ctx: MetricContext, sql: str, row: dict[str, Any] | None, mean: str, sd: str, n: str, what: str
) -> MetricResult:
    """A mean with a normal interval from the row's sd and n (n-aware comparisons)."""
    count = int(row[n] or 0) if row else 0
    if count == 0 or row is None or row[mean] is None:
        raise ctx.no_data(f"no {what} on {ctx.day.isoformat()}", sql)
    m = float(row[mean])
    return ctx.result(m, sql, [row], n=count, interval=_normal(m, row[sd], count))


def sum_result(
    ctx: MetricContext, sql: str, row: dict[str, Any] | None, total: str, sd: str, n: str, what: str
) -> MetricResult:
    """A sum of ``n`` values with a normal interval (``n·mean ± z·sd·√n``)."""
    count = int(row[n] or 0) if row else 0
    if count == 0 or row is None:
        raise ctx.no_data(f"no {what} on {ctx.day.isoformat()}", sql)
    s = float(row[total] or 0.0)
    iv = sum_interval(count, s / count, float(row[sd])) if row[sd] is not None else None
    return ctx.result(s, sql, [row], n=count, interval=None if iv is None else (iv[0], iv[1], "normal"))


def count_result(ctx: MetricContext, sql: str, row: dict[str, Any] | None, col: str = "rows") -> MetricResult:
    """An event count (0 when the day has no rows: a count of nothing is zero)."""
    value = int(row[col] or 0) if row else 0
    return ctx.result(value, sql, [row] if row else 0, n=value)


def values_interval(values: Sequence[float]) -> tuple[float, float, str] | None:
    iv = mean_interval(values)
    return None if iv is None else (iv[0], iv[1], "normal")

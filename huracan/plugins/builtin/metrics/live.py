"""Hamilton's live outcomes, and how far they are from the shadow trades of the same day."""

from __future__ import annotations

import math
from typing import Any

from huracan.analytics.metric_context import MetricContext
from huracan.plugins import hookimpl
from huracan.plugins.builtin.metrics._common import count_result, mean_result, pick, rate_result, sum_result
from huracan.plugins.builtin.metrics.catalog import build_specs
from huracan.plugins.builtin.metrics.shadow import CLOSED_SQL
from huracan.plugins.types import MetricResult, MetricSpec

__all__ = ["LIVE_SQL", "huracan_register_metrics"]

LIVE_SQL = """SELECT day, mode, count(*) AS rows,
  count(*) FILTER (WHERE win) AS wins,
  sum(return_bps) AS pnl_bps,
  avg(return_bps) AS avg_bps,
  stddev_samp(return_bps) AS sd_bps,
  avg(slippage_bps) AS avg_slippage_bps,
  stddev_samp(slippage_bps) AS sd_slippage_bps,
  avg(fees_bps) AS avg_fees_bps,
  stddev_samp(fees_bps) AS sd_fees_bps
FROM v_live_outcome
WHERE day BETWEEN {start} AND {end}
GROUP BY GROUPING SETS ((day, mode), (day))"""

WHAT = "live outcomes from Hamilton"


def _live(ctx: MetricContext, part: str | None) -> dict[str, Any] | None:
    return pick(ctx.daily(LIVE_SQL), mode=part)


def live_trades(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, LIVE_SQL, _live(ctx, part))


def live_win_rate(ctx: MetricContext, part: str | None) -> MetricResult:
    return rate_result(ctx, LIVE_SQL, _live(ctx, part), "wins", "rows", WHAT)


def live_avg_return_bps(ctx: MetricContext, part: str | None) -> MetricResult:
    return mean_result(ctx, LIVE_SQL, _live(ctx, part), "avg_bps", "sd_bps", "rows", WHAT)


def live_pnl_bps(ctx: MetricContext, part: str | None) -> MetricResult:
    return sum_result(ctx, LIVE_SQL, _live(ctx, part), "pnl_bps", "sd_bps", "rows", WHAT)


def live_slippage_bps(ctx: MetricContext, part: str | None) -> MetricResult:
    return mean_result(ctx, LIVE_SQL, _live(ctx, part), "avg_slippage_bps", "sd_slippage_bps", "rows", WHAT)


def live_fees_bps(ctx: MetricContext, part: str | None) -> MetricResult:
    return mean_result(ctx, LIVE_SQL, _live(ctx, part), "avg_fees_bps", "sd_fees_bps", "rows", WHAT)


def _se(row: dict[str, Any]) -> float | None:
    n, sd = int(row["rows"]), row["sd_bps"]
    return None if n < 2 or sd is None else float(sd) / math.sqrt(n)


def live_shadow_gap_bps(ctx: MetricContext, part: str | None) -> MetricResult:
    live = _live(ctx, part)
    shadow = pick(ctx.daily(CLOSED_SQL), mode=part)
    sql = f"{LIVE_SQL};\n{CLOSED_SQL}"
    if not live or not live["rows"]:
        raise ctx.no_data(f"no {WHAT} on {ctx.day.isoformat()}", LIVE_SQL)
    if not shadow or not shadow["rows"]:
        raise ctx.no_data(f"no closed shadow trades on {ctx.day.isoformat()} to compare live trades with", CLOSED_SQL)
    gap = float(live["avg_bps"]) - float(shadow["avg_bps"])
    se_live, se_shadow = _se(live), _se(shadow)
    interval = None
    if se_live is not None and se_shadow is not None:
        half = 1.959963984540054 * math.hypot(se_live, se_shadow)
        interval = (gap - half, gap + half, "normal")
    n = int(live["rows"])
    return ctx.result(gap, sql, n + int(shadow["rows"]), n=n, interval=interval)


COMPUTE = {
    "live_trades": live_trades,
    "live_win_rate": live_win_rate,
    "live_avg_return_bps": live_avg_return_bps,
    "live_pnl_bps": live_pnl_bps,
    "live_slippage_bps": live_slippage_bps,
    "live_fees_bps": live_fees_bps,
    "live_shadow_gap_bps": live_shadow_gap_bps,
}


@hookimpl
def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
    """The live-trading metrics reported back by Hamilton (category ``live``)."""
    return build_specs("live", COMPUTE, settings)

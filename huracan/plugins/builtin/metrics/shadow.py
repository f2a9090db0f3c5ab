"""Shadow trading metrics: paper trades opened and closed, win rate, P&L, risk.

Closed trades are ``shadow_outcome`` events with ``counterfactual = false`` (the
counterfactual outcomes of blocked signals belong to the gate metrics).
"""

from __future__ import annotations

from typing import Any

from huracan.analytics.metric_context import MetricContext
from huracan.analytics.performance import daily_returns, max_drawdown, profit_factor, sharpe, sortino
from huracan.plugins import hookimpl
from huracan.plugins.builtin.metrics._common import count_result, mean_result, pick, rate_result, sum_result
from huracan.plugins.builtin.metrics.catalog import build_specs
from huracan.plugins.types import MetricResult, MetricSpec

__all__ = ["CLOSED_SQL", "OPENED_SQL", "TRADES_SQL", "huracan_register_metrics"]

OPENED_SQL = """SELECT day, mode, count(*) AS rows
FROM v_shadow_trade
WHERE day BETWEEN {start} AND {end}
GROUP BY GROUPING SETS ((day, mode), (day))"""

CLOSED_SQL = """SELECT day, mode, count(*) AS rows,
  count(*) FILTER (WHERE win) AS wins,
  sum(return_bps) AS pnl_bps,
  avg(return_bps) AS avg_bps,
  stddev_samp(return_bps) AS sd_bps,
  avg(holding_seconds) AS avg_hold_s,
  stddev_samp(holding_seconds) AS sd_hold_s
FROM v_shadow_outcome
WHERE NOT counterfactual AND day BETWEEN {start} AND {end}
GROUP BY GROUPING SETS ((day, mode), (day))"""

#: Sharpe / Sortino read the daily P&L of the trailing window (days with closed trades).
SHARPE_DAYS = 30
MIN_SHARPE_DAYS = 5

DAILY_PNL_SQL = """SELECT day, count(*) AS rows, sum(return_bps) AS pnl_bps
FROM v_shadow_outcome
WHERE NOT counterfactual AND day BETWEEN {start} AND {end}
GROUP BY day"""

# Every closed trade in close order: the drawdown and profit factor come from
# huracan.analytics.performance, the one place those formulas live.
TRADES_SQL = """SELECT day, mode, return_bps
FROM v_shadow_outcome
WHERE NOT counterfactual AND day BETWEEN {start} AND {end}
ORDER BY day, ts, event_id"""


def _closed(ctx: MetricContext, part: str | None) -> dict[str, Any] | None:
    return pick(ctx.daily(CLOSED_SQL), mode=part)


def shadow_trades(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, OPENED_SQL, pick(ctx.daily(OPENED_SQL), mode=part))


def shadow_closed(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, CLOSED_SQL, _closed(ctx, part))


def shadow_win_rate(ctx: MetricContext, part: str | None) -> MetricResult:
    return rate_result(ctx, CLOSED_SQL, _closed(ctx, part), "wins", "rows", "closed shadow trades")


def shadow_pnl_bps(ctx: MetricContext, part: str | None) -> MetricResult:
    return sum_result(ctx, CLOSED_SQL, _closed(ctx, part), "pnl_bps", "sd_bps", "rows", "closed shadow trades")


def shadow_avg_return_bps(ctx: MetricContext, part: str | None) -> MetricResult:
    return mean_result(ctx, CLOSED_SQL, _closed(ctx, part), "avg_bps", "sd_bps", "rows", "closed shadow trades")


def _returns(ctx: MetricContext, part: str | None) -> list[float]:
    rows = ctx.daily(TRADES_SQL)
    returns = [float(r["return_bps"]) for r in rows if part is None or r["mode"] == part]
    if not returns:
        raise ctx.no_data(f"no closed shadow trades on {ctx.day.isoformat()}", TRADES_SQL)
    return returns


def shadow_profit_factor(ctx: MetricContext, part: str | None) -> MetricResult:
    returns = _returns(ctx, part)
    pf = profit_factor(returns)
    if pf is None:
        raise ctx.no_data("no losing shadow trades: the profit factor is undefined (division by zero)", TRADES_SQL)
    return ctx.result(pf, TRADES_SQL, len(returns), n=len(returns))


def shadow_avg_holding_s(ctx: MetricContext, part: str | None) -> MetricResult:
    return mean_result(ctx, CLOSED_SQL, _closed(ctx, part), "avg_hold_s", "sd_hold_s", "rows", "closed shadow trades")


def shadow_max_drawdown_bps(ctx: MetricContext, part: str | None) -> MetricResult:
    returns = _returns(ctx, part)
    return ctx.result(max_drawdown(returns), TRADES_SQL, len(returns), n=len(returns))


def _daily_pnl(ctx: MetricContext) -> tuple[list[float], int]:
    series = ctx.series(DAILY_PNL_SQL, SHARPE_DAYS)
    days = sorted(series)
    _, daily = daily_returns([float(series[d][0]["pnl_bps"]) for d in days], days)
    row_count = sum(int(rows[0]["rows"]) for rows in series.values())
    if len(days) < MIN_SHARPE_DAYS:
        raise ctx.no_data(
            f"only {len(days)} day(s) with closed shadow trades in the {SHARPE_DAYS} days to "
            f"{ctx.day.isoformat()}; at least {MIN_SHARPE_DAYS} are needed",
            DAILY_PNL_SQL,
            SHARPE_DAYS,
        )
    return daily.tolist(), row_count


def _annualised(ctx: MetricContext, downside: bool) -> MetricResult:
    daily, row_count = _daily_pnl(ctx)
    n_days = ctx.settings.analytics.annualization_days
    ratio = sortino(daily, n_days) if downside else sharpe(daily, n_days)
    if ratio is None:
        what = "no losing day: the Sortino ratio is undefined" if downside else "daily P&L has no variance"
        raise ctx.no_data(what, DAILY_PNL_SQL, SHARPE_DAYS)
    return ctx.result(ratio, DAILY_PNL_SQL, row_count, days=SHARPE_DAYS, n=len(daily))


def shadow_sharpe_30d(ctx: MetricContext, part: str | None) -> MetricResult:
    return _annualised(ctx, downside=False)


def shadow_sortino_30d(ctx: MetricContext, part: str | None) -> MetricResult:
    return _annualised(ctx, downside=True)


def _regime_move(ctx: MetricContext, part: str | None) -> Any:
    """The regime move of rank ``part`` (top1 = the largest |change| against the 7 days before)."""
    from huracan.analytics.engine_moves import REGIME_DAYS, REGIME_TRADES_SQL, regime_moves
    from huracan.plugins.builtin.metrics.catalog import RANKS

    moves = regime_moves(ctx)
    rank = RANKS.index(part or RANKS[0])
    if len(moves) <= rank:
        raise ctx.no_data(
            f"fewer than {rank + 1} regime(s) traded both on {ctx.day.isoformat()} and in the {REGIME_DAYS} days before",
            REGIME_TRADES_SQL,
            REGIME_DAYS + 1,
        )
    return moves[rank]


def regime_return_change_1d(ctx: MetricContext, part: str | None) -> MetricResult:
    """The same regime as ``regime_return_change`` (its rank), against the day before."""
    from huracan.analytics.engine_moves import REGIME_TRADES_SQL

    m = _regime_move(ctx, part)
    if m.delta_1d is None:
        raise ctx.no_data(f"the {m.regime} regime had no closed shadow trade the day before", REGIME_TRADES_SQL, 2)
    iv = None if m.low_1d is None or m.high_1d is None else (m.low_1d, m.high_1d, "normal")
    rows = m.n_today + m.n_yesterday
    return ctx.result(
        m.delta_1d, REGIME_TRADES_SQL, rows, days=2, n=min(m.n_today, m.n_yesterday), interval=iv, subject=m.regime
    )


def regime_return_change(ctx: MetricContext, part: str | None) -> MetricResult:
    from huracan.analytics.engine_moves import REGIME_DAYS, REGIME_TRADES_SQL

    m = _regime_move(ctx, part)
    iv = None if m.low is None or m.high is None else (m.low, m.high, "normal")
    rows = m.n_today + m.n_before
    return ctx.result(
        m.delta,
        REGIME_TRADES_SQL,
        rows,
        days=REGIME_DAYS + 1,
        n=min(m.n_today, m.n_before),
        interval=iv,
        subject=m.regime,
    )


COMPUTE = {
    "regime_return_change": regime_return_change,
    "regime_return_change_1d": regime_return_change_1d,
    "shadow_trades": shadow_trades,
    "shadow_closed": shadow_closed,
    "shadow_win_rate": shadow_win_rate,
    "shadow_pnl_bps": shadow_pnl_bps,
    "shadow_avg_return_bps": shadow_avg_return_bps,
    "shadow_profit_factor": shadow_profit_factor,
    "shadow_avg_holding_s": shadow_avg_holding_s,
    "shadow_max_drawdown_bps": shadow_max_drawdown_bps,
    "shadow_sharpe_30d": shadow_sharpe_30d,
    "shadow_sortino_30d": shadow_sortino_30d,
}


@hookimpl
def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
    """The shadow-trading metrics defined in ``metrics.yaml`` (category ``shadow``)."""
    return build_specs("shadow", COMPUTE, settings)

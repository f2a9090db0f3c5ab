"""Trade statistics: pure functions over arrays of per-trade returns.

Every function here takes plain sequences (or numpy arrays) so each number can be
checked against an independent numpy computation on the same rows; the SQL that
selects the rows lives in :mod:`huracan.store.journal`.

Conventions (stated once, used everywhere):

* A trade's return is in basis points of its notional. Shadow trades all risk the
  same notional, so returns add: the equity curve is the cumulative sum of returns in
  bps, starting from 0 before the first trade.
* The **daily return** of a day is the sum of the returns of the trades that closed
  that UTC day; calendar days between the first and the last trading day with no
  closed trade count as 0 (crypto trades every day).
* **Sharpe** = mean(daily) / std(daily, ddof=1) × √N and **Sortino** =
  mean(daily) / downside deviation × √N, where the downside deviation is
  √(mean(min(daily, 0)²)) over all days (target 0) and N is the annualisation factor
  (``settings.analytics.annualization_days``, 365 by default; use 252 for
  exchange-hours markets). Both are ``None`` with fewer than two days or no
  variation.
* **Max drawdown** is the largest fall of the equity curve from a running peak, in
  bps, as a positive number; the running peak starts at 0, so a loss on the very first
  trade is a drawdown.

Example::

    >>> s = trade_stats([10.0, -5.0, 20.0])
    >>> (s.count, round(s.win_rate, 3), s.total_bps, s.max_drawdown_bps)
    (3, 0.667, 25.0, 5.0)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_ANNUALIZATION_DAYS",
    "TradeStats",
    "daily_returns",
    "max_drawdown",
    "profit_factor",
    "sharpe",
    "sortino",
    "stats_by",
    "trade_stats",
]

DEFAULT_ANNUALIZATION_DAYS = 365

FloatArray = npt.NDArray[np.float64]


def _arr(values: Iterable[float]) -> FloatArray:
    a = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"expected a flat sequence of returns, got an array of shape {a.shape}")
    if a.size and not np.all(np.isfinite(a)):
        raise ValueError("returns contain NaN or infinity; clean the rows before computing statistics")
    return a


def max_drawdown(returns_bps: Iterable[float]) -> float:
    """Largest peak-to-trough fall of the cumulative equity curve, in bps (≥ 0).

    The curve starts at 0 before the first trade, so a first-trade loss counts.

    >>> max_drawdown([-10.0, 5.0, -20.0, 40.0])
    25.0
    >>> max_drawdown([])
    0.0
    """
    r = _arr(returns_bps)
    if r.size == 0:
        return 0.0
    equity = np.concatenate(([0.0], np.cumsum(r)))
    peak = np.maximum.accumulate(equity)
    return float(np.max(peak - equity))


def profit_factor(returns_bps: Iterable[float]) -> float | None:
    """Gross profit / gross loss; ``None`` when there is no losing trade (undefined/∞).

    >>> profit_factor([30.0, -10.0, -5.0])
    2.0
    """
    r = _arr(returns_bps)
    loss = -float(r[r < 0].sum())
    if loss == 0.0:
        return None
    return float(r[r > 0].sum()) / loss


def daily_returns(
    returns_bps: Sequence[float], days: Sequence[date], *, fill_calendar: bool = True
) -> tuple[list[date], FloatArray]:
    """Sum the trade returns per UTC day; fill idle calendar days with 0.

    >>> from datetime import date
    >>> d, r = daily_returns([5.0, 1.0, -2.0], [date(2025, 1, 1), date(2025, 1, 1), date(2025, 1, 3)])
    >>> [x.day for x in d], r.tolist()
    ([1, 2, 3], [6.0, 0.0, -2.0])
    """
    r = _arr(returns_bps)
    if len(days) != r.size:
        raise ValueError(f"{r.size} returns but {len(days)} days; each trade needs the day it closed")
    sums: dict[date, float] = {}
    for d, x in zip(days, r.tolist(), strict=True):
        sums[d] = sums.get(d, 0.0) + x
    if not sums:
        return [], np.zeros(0)
    if fill_calendar:
        first, last = min(sums), max(sums)
        span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    else:
        span = sorted(sums)
    return span, np.array([sums.get(d, 0.0) for d in span], dtype=np.float64)


def sharpe(daily: Iterable[float], annualization_days: int = DEFAULT_ANNUALIZATION_DAYS) -> float | None:
    """Annualised Sharpe ratio of daily returns (risk-free rate 0, sample std).

    ``None`` with fewer than two days or zero variance (undefined, not infinite).
    """
    r = _arr(daily)
    if r.size < 2:
        return None
    sd = float(np.std(r, ddof=1))
    if sd == 0.0:
        return None
    return float(np.mean(r)) / sd * math.sqrt(annualization_days)


def sortino(daily: Iterable[float], annualization_days: int = DEFAULT_ANNUALIZATION_DAYS) -> float | None:
    """Annualised Sortino ratio: mean over the downside deviation √(mean(min(r, 0)²)).

    ``None`` with fewer than two days or no losing day (undefined).
    """
    r = _arr(daily)
    if r.size < 2:
        return None
    dd = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    if dd == 0.0:
        return None
    return float(np.mean(r)) / dd * math.sqrt(annualization_days)


@dataclass(frozen=True)
class TradeStats:
    """Statistics of a set of closed trades; returns in bps, holding time in seconds."""

    count: int
    wins: int
    win_rate: float | None
    avg_bps: float | None
    median_bps: float | None
    total_bps: float
    avg_win_bps: float | None
    avg_loss_bps: float | None
    #: Gross profit / gross loss; None when there is no loss (undefined).
    profit_factor: float | None
    #: win_rate × avg_win + (1 − win_rate) × avg_loss: the expected bps per trade.
    expectancy_bps: float | None
    sharpe: float | None
    sortino: float | None
    annualization_days: int
    trading_days: int
    max_drawdown_bps: float
    avg_holding_seconds: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def trade_stats(
    returns_bps: Sequence[float],
    days: Sequence[date] | None = None,
    holding_seconds: Sequence[float] | None = None,
    *,
    annualization_days: int = DEFAULT_ANNUALIZATION_DAYS,
) -> TradeStats:
    """All statistics of trades given in close order (see the module docstring).

    ``days`` (the UTC close day of each trade) is needed for Sharpe/Sortino; without it
    they are ``None``. An empty input gives zero counts and ``None`` ratios.
    """
    if annualization_days < 1:
        raise ValueError(f"annualization_days must be ≥ 1, got {annualization_days}")
    r = _arr(returns_bps)
    n = int(r.size)
    wins = r[r > 0]
    losses = r[r <= 0]
    win_rate = len(wins) / n if n else None
    avg_win = float(wins.mean()) if wins.size else None
    avg_loss = float(losses.mean()) if losses.size else None
    expectancy = None
    if win_rate is not None:
        expectancy = win_rate * (avg_win or 0.0) + (1.0 - win_rate) * (avg_loss or 0.0)
    span: list[date] = []
    daily: FloatArray = np.zeros(0)
    if days is not None and n:
        span, daily = daily_returns(r.tolist(), days)
    hold = _arr(holding_seconds) if holding_seconds is not None else np.zeros(0)
    return TradeStats(
        count=n,
        wins=len(wins),
        win_rate=win_rate,
        avg_bps=float(r.mean()) if n else None,
        median_bps=float(np.median(r)) if n else None,
        total_bps=float(r.sum()),
        avg_win_bps=avg_win,
        avg_loss_bps=avg_loss,
        profit_factor=profit_factor(r) if n else None,
        expectancy_bps=expectancy,
        sharpe=sharpe(daily, annualization_days),
        sortino=sortino(daily, annualization_days),
        annualization_days=annualization_days,
        trading_days=len(span),
        max_drawdown_bps=max_drawdown(r),
        avg_holding_seconds=float(hold.mean()) if hold.size else None,
    )


def stats_by(
    rows: Iterable[Mapping[str, Any]],
    key: str | None = None,
    *,
    annualization_days: int = DEFAULT_ANNUALIZATION_DAYS,
) -> dict[Hashable, TradeStats]:
    """Group rows (``return_bps``, ``day``, ``holding_seconds`` and ``key``) and compute stats.

    Rows must be in close order. ``key=None`` gives one group named ``"all"``.

    >>> from datetime import date
    >>> rows = [{"mode": "scalp", "return_bps": 4.0, "day": date(2025, 1, 1), "holding_seconds": 60.0}]
    >>> stats_by(rows, "mode")["scalp"].count
    1
    """
    groups: dict[Hashable, tuple[list[float], list[date], list[float]]] = {}
    for row in rows:
        g = "all" if key is None else row[key]
        ret, ds, hs = groups.setdefault(g, ([], [], []))
        ret.append(float(row["return_bps"]))
        ds.append(row["day"])
        if row.get("holding_seconds") is not None:
            hs.append(float(row["holding_seconds"]))
    return {
        g: trade_stats(ret, ds, hs, annualization_days=annualization_days)
        for g, (ret, ds, hs) in sorted(groups.items(), key=lambda kv: str(kv[0]))
    }

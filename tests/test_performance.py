"""Trade statistics and calibration math, checked against independent numpy/sklearn computations."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from huracan.analytics.calibration import auc, brier, check_calibration, ece_mce, reliability_bins
from huracan.analytics.calibration import log_loss as our_log_loss
from huracan.analytics.performance import daily_returns, max_drawdown, profit_factor, sharpe, sortino, trade_stats

D0 = date(2025, 11, 1)


def _np_drawdown(r: list[float]) -> float:
    eq = [0.0]
    for x in r:
        eq.append(eq[-1] + x)
    worst, peak = 0.0, 0.0
    for v in eq:
        peak = max(peak, v)
        worst = max(worst, peak - v)
    return worst


def test_stats_match_numpy_on_random_trades() -> None:
    rng = np.random.default_rng(7)
    r = rng.normal(3, 20, 300).round(2)
    days = [D0 + timedelta(days=int(d)) for d in np.sort(rng.integers(0, 40, 300))]
    hold = rng.uniform(30, 3600, 300)
    s = trade_stats(r.tolist(), days, hold.tolist(), annualization_days=365)
    assert s.count == 300
    assert s.win_rate == pytest.approx(np.mean(r > 0))
    assert s.avg_bps == pytest.approx(np.mean(r))
    assert s.median_bps == pytest.approx(np.median(r))
    assert s.total_bps == pytest.approx(np.sum(r))
    assert s.profit_factor == pytest.approx(r[r > 0].sum() / -r[r < 0].sum())
    assert s.expectancy_bps == pytest.approx(np.mean(r))
    assert s.avg_holding_seconds == pytest.approx(hold.mean())
    # Daily returns over the full calendar span, idle days as 0.
    span = (max(days) - min(days)).days + 1
    daily = np.zeros(span)
    for d, x in zip(days, r, strict=True):
        daily[(d - min(days)).days] += x
    assert s.trading_days == span
    assert s.sharpe == pytest.approx(daily.mean() / daily.std(ddof=1) * math.sqrt(365))
    downside = math.sqrt(np.mean(np.minimum(daily, 0) ** 2))
    assert s.sortino == pytest.approx(daily.mean() / downside * math.sqrt(365))
    assert s.max_drawdown_bps == pytest.approx(_np_drawdown(r.tolist()))


def test_annualisation_factor_is_configurable() -> None:
    r, days = [5.0, -3.0, 8.0], [D0, D0 + timedelta(days=1), D0 + timedelta(days=2)]
    a = trade_stats(r, days, annualization_days=365).sharpe
    b = trade_stats(r, days, annualization_days=252).sharpe
    assert a is not None and b is not None
    assert a / b == pytest.approx(math.sqrt(365 / 252))
    with pytest.raises(ValueError, match="annualization_days"):
        trade_stats(r, days, annualization_days=0)


def test_no_trades() -> None:
    s = trade_stats([], [], [])
    assert (s.count, s.win_rate, s.avg_bps, s.total_bps, s.max_drawdown_bps) == (0, None, None, 0.0, 0.0)
    assert s.sharpe is None and s.sortino is None and s.profit_factor is None and s.trading_days == 0


def test_all_wins() -> None:
    s = trade_stats([1.0, 2.0, 3.0], [D0, D0 + timedelta(days=1), D0 + timedelta(days=2)])
    assert s.win_rate == 1.0 and s.max_drawdown_bps == 0.0
    assert s.profit_factor is None  # no loss: undefined, never infinity in JSON
    assert s.sortino is None and s.sharpe is not None


def test_single_trade() -> None:
    s = trade_stats([-7.5], [D0], [60.0])
    assert (s.count, s.win_rate, s.median_bps, s.max_drawdown_bps) == (1, 0.0, -7.5, 7.5)
    assert s.sharpe is None and s.profit_factor == 0.0


def test_drawdown_at_the_very_start() -> None:
    assert max_drawdown([-10.0, -5.0, 100.0]) == 15.0
    assert max_drawdown([10.0, -30.0, 5.0]) == 30.0
    assert max_drawdown([]) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-500, 500, allow_nan=False), max_size=60))
def test_drawdown_property(r: list[float]) -> None:
    assert max_drawdown(r) == pytest.approx(_np_drawdown(r), abs=1e-9)
    assert max_drawdown(r) >= 0


def test_daily_returns_and_guards() -> None:
    span, daily = daily_returns([1.0, 2.0], [D0 + timedelta(days=2), D0])
    assert span == [D0, D0 + timedelta(days=1), D0 + timedelta(days=2)]
    assert daily.tolist() == [2.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="2 returns but 1 days"):
        daily_returns([1.0, 2.0], [D0])
    with pytest.raises(ValueError, match="NaN"):
        trade_stats([float("nan")])
    assert sharpe([1.0, 1.0]) is None and sortino([1.0]) is None
    assert profit_factor([3.0, -1.0]) == 3.0


# --- calibration ------------------------------------------------------------------


def _hand_ece(p: np.ndarray, y: np.ndarray, n_bins: int) -> tuple[float, float]:
    ece, mce = 0.0, 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        mask = (p >= lo) & ((p < hi) if b < n_bins - 1 else (p <= hi))
        if mask.any():
            gap = abs(y[mask].mean() - p[mask].mean())
            ece += mask.sum() / len(p) * gap
            mce = max(mce, gap)
    return ece, mce


def test_calibration_matches_sklearn_and_hand_ece() -> None:
    rng = np.random.default_rng(3)
    # Off-edge probabilities so bin assignment cannot hinge on float rounding.
    p = (rng.uniform(0.02, 0.98, 2000) // 0.001 * 0.001 + 0.0005).clip(0, 1)
    y = (rng.uniform(size=2000) < p**1.3).astype(int)
    r = check_calibration(p.tolist(), y.tolist(), n_bins=10)
    ece, mce = _hand_ece(p, y, 10)
    assert r.ece == pytest.approx(ece) and r.mce == pytest.approx(mce)
    assert r.auc == pytest.approx(roc_auc_score(y, p))
    assert r.brier == pytest.approx(brier_score_loss(y, p))
    assert r.log_loss == pytest.approx(log_loss(y, p))
    assert sum(b.count for b in r.bins) == 2000 and len(r.bins) == 10


def test_auc_with_ties_matches_sklearn() -> None:
    p = [0.1, 0.4, 0.4, 0.4, 0.8, 0.8]
    y = [0, 0, 1, 1, 0, 1]
    assert auc(p, y) == pytest.approx(roc_auc_score(y, p))
    assert auc([0.2, 0.3], [1, 1]) is None


def test_ece_edge_cases() -> None:
    assert ece_mce(reliability_bins([], [])) == (None, None)
    # Perfectly calibrated: predictions equal the observed rate in each bin.
    assert check_calibration([0.0, 0.0, 1.0, 1.0], [0, 0, 1, 1]).ece == 0.0
    # Worst possible: confident and always wrong.
    r = check_calibration([1.0, 1.0, 0.0], [0, 0, 1])
    assert r.ece == 1.0 and r.mce == 1.0
    b = reliability_bins([1.0], [1], n_bins=5)
    assert b[-1].count == 1 and b[0].mean_predicted is None
    with pytest.raises(ValueError, match="probabilities"):
        reliability_bins([1.2], [1])
    with pytest.raises(ValueError, match="0 or 1"):
        brier([0.5], [2])
    assert our_log_loss([], []) is None


def test_disagreement_with_reported_values_is_flagged() -> None:
    p, y = [0.9, 0.9, 0.1, 0.1], [0, 1, 0, 1]
    r = check_calibration(p, y, reported_ece=0.02, reported_mce=0.4, label="train-20251106")
    assert r.ece == pytest.approx(0.4)
    assert len(r.disagreements) == 1
    msg = r.disagreements[0]
    assert "train-20251106" in msg and "ECE 0.0200" in msg and "0.4000" in msg
    assert check_calibration(p, y, reported_ece=0.405).disagreements == []

"""Intervals and significance tests against known values and independent implementations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from sklearn.metrics import roc_auc_score

from huracan.analytics.calibration import auc, ece_mce, reliability_bins
from huracan.analytics.comparisons import Observation, compare
from huracan.analytics.stats import (
    bootstrap_auc,
    bootstrap_calibration_errors,
    bootstrap_interval,
    intervals_overlap,
    mean_interval,
    normal_quantile,
    poisson_rate_test,
    se_from_interval,
    two_proportion_test,
    wilson_interval,
    z_test,
)


@pytest.mark.parametrize("p", [1e-6, 0.001, 0.02425, 0.1, 0.5, 0.8, 0.975, 0.999999])
def test_normal_quantile_matches_scipy(p: float) -> None:
    assert normal_quantile(p) == pytest.approx(sps.norm.ppf(p), abs=1e-9)


def test_wilson_interval_known_values() -> None:
    # 0 successes in 10: the upper bound is z²/(n+z²) = 0.2775 (Wilson 1927).
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.27753, abs=1e-5)
    ci = sps.binomtest(81, 100).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(81, 100) == pytest.approx((ci.low, ci.high), abs=1e-9)
    assert wilson_interval(3, 4) == pytest.approx((0.30064, 0.95441), abs=1e-5)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="n > 0"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match=r"within 0\.\.n"):
        wilson_interval(5, 4)


def test_two_proportion_test_matches_chi_square() -> None:
    res = two_proportion_test(560, 1000, 500, 1000)
    assert res is not None
    table = np.array([[560, 440], [500, 500]])
    chi2, p, _, _ = sps.chi2_contingency(table, correction=False)
    assert res.p_value == pytest.approx(p)
    assert res.statistic**2 == pytest.approx(chi2)


def test_big_n_change_is_significant_a_handful_is_not() -> None:
    big = two_proportion_test(650, 1000, 550, 1000)
    small = two_proportion_test(4, 5, 3, 5)
    assert big is not None and big.significant
    assert small is not None and not small.significant
    assert two_proportion_test(0, 10, 0, 10) is None  # no variance: nothing to say


def test_poisson_rate_test() -> None:
    assert poisson_rate_test(1000, 1, 7 * 800, 7).significant  # type: ignore[union-attr]
    assert not poisson_rate_test(12, 1, 7 * 10, 7).significant  # type: ignore[union-attr]
    assert poisson_rate_test(0, 1, 0, 7) is None


def test_mean_interval_and_z_test() -> None:
    x = np.random.default_rng(3).normal(5, 2, 400)
    low, high = mean_interval(x)  # type: ignore[misc]
    t = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert (low, high) == pytest.approx(t, rel=1e-3)
    assert se_from_interval(low, high) == pytest.approx(sps.sem(x), rel=1e-6)
    assert mean_interval([1.0]) is None
    res = z_test(0.5, 0.1)
    assert res is not None and res.significant and res.p_value == pytest.approx(2 * sps.norm.sf(5))
    assert z_test(1.0, 0.0) is None


def _calibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    p = r.uniform(0, 1, n).round(2)
    return p, (r.uniform(0, 1, n) < p).astype(float)


def test_vectorised_bootstraps_equal_the_plain_loop() -> None:
    p, y = _calibrated(250, 1)
    fast = bootstrap_calibration_errors(p, y, resamples=120, seed=9)
    assert fast is not None
    slow_ece = bootstrap_interval(lambda a, b: ece_mce(reliability_bins(a, b))[0], [p, y], resamples=120, seed=9)
    slow_mce = bootstrap_interval(lambda a, b: ece_mce(reliability_bins(a, b))[1], [p, y], resamples=120, seed=9)
    assert fast[0] == pytest.approx(slow_ece)
    assert fast[1] == pytest.approx(slow_mce)
    assert bootstrap_auc(p, y, resamples=120, seed=9) == pytest.approx(
        bootstrap_interval(auc, [p, y], resamples=120, seed=9)
    )


def test_bootstrap_auc_covers_sklearn_and_narrows_with_n() -> None:
    p, y = _calibrated(2000, 2)
    low, high = bootstrap_auc(p, y, seed=1)  # type: ignore[misc]
    assert low < roc_auc_score(y, p) < high
    small = bootstrap_auc(p[:60], y[:60], seed=1)
    assert small is not None and small[1] - small[0] > high - low
    assert bootstrap_auc(p, y, seed=1) == bootstrap_auc(p, y, seed=1)  # seeded
    assert bootstrap_auc(p, np.ones_like(p)) is None  # one class: undefined


def test_intervals_overlap() -> None:
    assert intervals_overlap((0.6, 0.7), (0.69, 0.8))
    assert not intervals_overlap((0.6, 0.7), (0.71, 0.8))


def test_compare_rates_counts_and_noise() -> None:
    today = Observation(0.65, n=2000, successes=1300)
    week = [Observation(0.55, n=2000, successes=1100) for _ in range(7)]
    c = compare(today, week, "fraction", 1)
    assert c is not None and c.significant and c.direction == "up"
    assert c.baseline == pytest.approx(0.55) and c.delta == pytest.approx(0.10)
    assert c.pct_change == pytest.approx(0.10 / 0.55)
    noisy = compare(Observation(0.8, n=5, successes=4), [Observation(0.6, n=5, successes=3)], "fraction", 1)
    assert noisy is not None and noisy.significant is False
    counts = compare(Observation(30, n=30, is_count=True), [Observation(31, n=31, is_count=True)], "count", 0)
    assert counts is not None and counts.significant is False and counts.direction == "down"
    # A change invisible at the metric's precision is flat.
    flat = compare(Observation(0.70004), [Observation(0.70001)], "score", 3)
    assert flat is not None and flat.direction == "flat" and flat.significant is None
    assert compare(None, week, "fraction", 1) is None
    assert compare(today, week[:1], "fraction", 1, min_days=2) is None


def test_compare_bootstrap_intervals_by_overlap() -> None:
    up = compare(
        Observation(0.74, interval=(0.72, 0.76, "bootstrap")),
        [Observation(0.70, interval=(0.68, 0.71, "bootstrap"))],
        "score",
        3,
    )
    assert up is not None and up.significant is True
    same = compare(
        Observation(0.71, interval=(0.68, 0.74, "bootstrap")),
        [Observation(0.70, interval=(0.67, 0.73, "bootstrap"))],
        "score",
        3,
    )
    assert same is not None and same.significant is False

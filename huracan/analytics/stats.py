"""Statistics the metrics computer needs to tell signal from noise.

Intervals (Wilson for proportions, a normal interval for means and sums, a seeded
percentile bootstrap for anything else such as AUC or ECE) and the tests that decide
whether a change against yesterday or the 7-day mean is *significant*: the
two-proportion z-test for rates (Fisher's exact test when a cell is small), an exact
conditional test for event counts, and a z-test on interval-derived standard errors for
means. Small samples get exact tests because a normal approximation calls "4 → 0"
significant (p = 0.046) when the exact answer is p = 0.125 (#12).

Example::

    >>> low, high = wilson_interval(81, 100)
    >>> round(low, 4), round(high, 4)
    (0.7222, 0.8749)
    >>> two_proportion_test(510, 1000, 500, 1000).significant
    False
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "TestResult",
    "binomial_test",
    "bootstrap_auc",
    "bootstrap_calibration_errors",
    "bootstrap_interval",
    "fisher_exact",
    "intervals_overlap",
    "mean_interval",
    "normal_quantile",
    "poisson_rate_test",
    "se_from_interval",
    "sum_interval",
    "two_proportion_test",
    "wilson_interval",
    "z_test",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TestResult:
    """Outcome of a significance test: the statistic, its two-sided p-value, the verdict."""

    statistic: float
    p_value: float
    significant: bool


def normal_quantile(p: float) -> float:
    """The standard normal quantile (inverse CDF) at ``p``, 0 < p < 1.

    Acklam's rational approximation refined by one Halley step (|error| < 1e-12), so
    the computer needs no SciPy import.

    >>> round(normal_quantile(0.975), 6)
    1.959964
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"normal_quantile needs 0 < p < 1, got {p}")
    a = (
        -39.69683028665376,
        220.9460984245205,
        -275.9285104469687,
        138.3577518672690,
        -30.66479806614716,
        2.506628277459239,
    )
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572)
    c = (
        -0.007784894002430293,
        -0.3223964580411365,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    )
    d = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
    lo = 0.02425
    if p < lo:
        q = math.sqrt(-2 * math.log(p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        )
    elif p > 1 - lo:
        q = math.sqrt(-2 * math.log(1 - p))
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        )
    else:
        q = p - 0.5
        r = q * q
        x = (
            (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
            * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        )
    # One Halley refinement step against the exact CDF.
    e = 0.5 * math.erfc(-x / math.sqrt(2)) - p
    u = e * math.sqrt(2 * math.pi) * math.exp(x * x / 2)
    return x - u / (1 + x * u / 2)


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    return normal_quantile(0.5 + level / 2)


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``successes / n``.

    Unlike the normal interval it stays inside [0, 1] and is honest for small ``n``:
    3 wins out of 4 trades is anything from 30 % to 95 %.

    >>> [round(x, 3) for x in wilson_interval(3, 4)]
    [0.301, 0.954]
    """
    if n <= 0:
        raise ValueError(f"wilson_interval needs n > 0 trials, got n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..n, got {successes} of {n}")
    z = _z(level)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # The bounds are exactly 0 / 1 at the extremes (float rounding would leave 1e-17).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def mean_interval(values: Sequence[float] | FloatArray, level: float = 0.95) -> tuple[float, float] | None:
    """Normal interval of a mean (``mean ± z·sd/√n``); None with fewer than 2 values."""
    arr = np.asarray(values, dtype=float)
    if arr.size < 2:
        return None
    m = float(arr.mean())
    half = _z(level) * float(arr.std(ddof=1)) / math.sqrt(arr.size)
    return m - half, m + half


def sum_interval(n: int, mean: float, sd: float, level: float = 0.95) -> tuple[float, float] | None:
    """Normal interval of a sum of ``n`` i.i.d. values with the given mean and sd."""
    if n < 2 or not math.isfinite(sd):
        return None
    total = n * mean
    half = _z(level) * sd * math.sqrt(n)
    return total - half, total + half


def se_from_interval(low: float, high: float, level: float = 0.95) -> float:
    """The standard error implied by a symmetric normal interval."""
    return (high - low) / (2 * _z(level))


def z_test(delta: float, se: float, alpha: float = 0.05) -> TestResult | None:
    """Two-sided z-test of ``delta`` against 0 given its standard error (None if se ≤ 0)."""
    if not (se > 0 and math.isfinite(se)):
        return None
    z = delta / se
    p = _two_sided_p(z)
    return TestResult(z, p, p < alpha)


#: Exact tests sum at most this many probabilities; larger samples use the normal
#: approximation, which is accurate there.
_EXACT_MAX = 2_000


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _two_sided_exact(log_pmf: list[float], observed: int) -> float:
    """Two-sided p of an exact test: the mass of outcomes no more likely than the observed one."""
    cut = log_pmf[observed] + 1e-7  # relative tolerance for ties, as R and SciPy use
    top = max(log_pmf)
    mass = sum(math.exp(lp - top) for lp in log_pmf)
    tail = sum(math.exp(lp - top) for lp in log_pmf if lp <= cut)
    return min(1.0, tail / mass)


def binomial_test(k: int, n: int, p: float, alpha: float = 0.05) -> TestResult | None:
    """Exact two-sided binomial test of ``k`` successes in ``n`` trials against rate ``p``.

    >>> round(binomial_test(0, 4, 0.5).p_value, 4)
    0.125
    """
    if n <= 0 or not 0.0 < p < 1.0 or not 0 <= k <= n:
        return None
    if n > _EXACT_MAX:
        z = (k - n * p) / math.sqrt(n * p * (1 - p))
        pv = _two_sided_p(z)
        return TestResult(z, pv, pv < alpha)
    lp, lq = math.log(p), math.log1p(-p)
    log_pmf = [_log_choose(n, i) + i * lp + (n - i) * lq for i in range(n + 1)]
    pv = _two_sided_exact(log_pmf, k)
    return TestResult(k / n - p, pv, pv < alpha)


def fisher_exact(x1: int, n1: int, x0: int, n0: int, alpha: float = 0.05) -> TestResult | None:
    """Fisher's exact two-sided test of ``x1/n1`` against ``x0/n0`` (the 2×2 table's margins fixed).

    >>> round(fisher_exact(3, 4, 0, 4).p_value, 4)
    0.1429
    """
    if n1 <= 0 or n0 <= 0:
        return None
    k = x1 + x0
    if k == 0 or k == n1 + n0:
        return None
    lo, hi = max(0, k - n0), min(k, n1)
    base = _log_choose(n1 + n0, k)
    log_pmf = [_log_choose(n1, i) + _log_choose(n0, k - i) - base for i in range(lo, hi + 1)]
    pv = _two_sided_exact(log_pmf, x1 - lo)
    return TestResult(x1 / n1 - x0 / n0, pv, pv < alpha)


def two_proportion_test(x1: int, n1: int, x0: int, n0: int, alpha: float = 0.05) -> TestResult | None:
    """Is ``x1/n1`` different from ``x0/n0``? Pooled z-test, or Fisher's exact test when small.

    The z-test needs every expected cell of the 2×2 table to be at least 5; below that
    Fisher's test decides (it cannot call 3 of 4 against 0 of 4 significant). Returns
    None when either sample is empty or the pooled rate is 0 or 1 (no variance: nothing
    can be said).

    >>> two_proportion_test(600, 1000, 500, 1000).significant
    True
    >>> two_proportion_test(3, 4, 1, 4).significant
    False
    """
    if n1 <= 0 or n0 <= 0:
        return None
    pooled = (x1 + x0) / (n1 + n0)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    if var <= 0:
        return None
    if min(n1, n0) * min(pooled, 1 - pooled) < 5 and n1 + n0 <= _EXACT_MAX:
        return fisher_exact(x1, n1, x0, n0, alpha)
    z = (x1 / n1 - x0 / n0) / math.sqrt(var)
    p = _two_sided_p(z)
    return TestResult(z, p, p < alpha)


def poisson_rate_test(x1: float, t1: float, x0: float, t0: float, alpha: float = 0.05) -> TestResult | None:
    """Compare two Poisson counts ``x1`` over exposure ``t1`` and ``x0`` over ``t0``.

    Exact (conditional) test: given the total ``x1 + x0``, ``x1`` is binomial with rate
    ``t1 / (t1 + t0)`` when both rates are equal. Used for event counts: 1,000 trades
    against a 7-day total of 6,300 (exposure 7) is a real drop; 3 trades against 5 is
    not, and neither is 0 against yesterday's 4 (p = 0.125).

    >>> poisson_rate_test(1000, 1, 7700, 7).significant
    True
    >>> poisson_rate_test(3, 1, 5, 1).significant
    False
    >>> poisson_rate_test(0, 1, 4, 1).significant
    False
    """
    if t1 <= 0 or t0 <= 0:
        return None
    total = x1 + x0
    if total <= 0:
        return None
    if float(x1).is_integer() and float(x0).is_integer():
        return binomial_test(int(x1), int(total), t1 / (t1 + t0), alpha)
    rate = total / (t1 + t0)
    z = (x1 / t1 - x0 / t0) / math.sqrt(rate * (1 / t1 + 1 / t0))
    p = _two_sided_p(z)
    return TestResult(z, p, p < alpha)


def intervals_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """True when two intervals share at least one point."""
    return a[0] <= b[1] and b[0] <= a[1]


def bootstrap_auc(
    scores: Sequence[float] | FloatArray,
    labels: Sequence[float] | FloatArray,
    resamples: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Seeded percentile bootstrap interval of the ROC AUC, all resamples at once.

    Each resample is a vector of multiplicities over the rows; the Mann–Whitney AUC
    (ties count ½, as :func:`huracan.analytics.calibration.auc`) of a weighted sample is
    Σ_u pos_u · (neg below u + ½ neg_u) / (Σpos · Σneg) over the distinct scores u, so
    the work is a few cumulative sums. Resamples with one class only are skipped; None
    if fewer than half remain.
    """
    p = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=float)
    n = p.size
    if n < 2 or y.size != n:
        return None
    order = np.argsort(p, kind="mergesort")
    ps, ys = p[order], y[order]
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, (resamples, n))
    flat = (np.arange(resamples)[:, None] * n + idx).ravel()
    weights = np.bincount(flat, minlength=resamples * n).reshape(resamples, n)[:, order].astype(float)
    pos = np.add.reduceat(weights * ys, starts, axis=1)
    neg = np.add.reduceat(weights * (1 - ys), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    num = (pos * (below + 0.5 * neg)).sum(axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    ok = den > 0
    if ok.sum() < resamples / 2:
        return None
    alpha = (1 - level) / 2
    lo, hi = np.quantile(num[ok] / den[ok], [alpha, 1 - alpha])
    return float(lo), float(hi)


def bootstrap_interval(
    statistic: Callable[..., float | None],
    arrays: Sequence[Sequence[float] | FloatArray],
    resamples: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Seeded percentile bootstrap interval of ``statistic(*arrays)``.

    The arrays are resampled together (paired rows, e.g. predictions and outcomes).
    Resamples where the statistic is undefined (None, e.g. an AUC with one class) are
    skipped; None is returned if fewer than half are usable.

    >>> lo, hi = bootstrap_interval(lambda x: float(np.mean(x)), [np.arange(100.0)], seed=1)
    >>> lo < 49.5 < hi
    True
    """
    cols = [np.asarray(a, dtype=float) for a in arrays]
    if not cols or cols[0].size < 2:
        return None
    n = cols[0].size
    if any(c.size != n for c in cols):
        raise ValueError("bootstrap_interval: the arrays must have the same length (paired rows)")
    rng = np.random.default_rng(seed)
    values: list[float] = []
    for _ in range(resamples):
        idx = rng.integers(0, n, n)
        v = statistic(*(c[idx] for c in cols))
        if v is not None and math.isfinite(v):
            values.append(float(v))
    if len(values) < resamples / 2:
        return None
    alpha = (1 - level) / 2
    lo, hi = np.quantile(np.asarray(values), [alpha, 1 - alpha])
    return float(lo), float(hi)


def bootstrap_calibration_errors(
    predictions: Sequence[float] | FloatArray,
    outcomes: Sequence[float] | FloatArray,
    n_bins: int = 10,
    resamples: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Seeded percentile bootstrap intervals of ECE and MCE, all resamples at once.

    Uses the binning of :mod:`huracan.analytics.calibration` (equal-width bins,
    ``floor(p · B)``, 1.0 in the last bin) and its formulas, in the vectorised form
    ECE = Σ_b |Σy_b − Σp_b| / N and MCE = max_b |Σy_b − Σp_b| / n_b, so 500
    resamples cost a few bincounts instead of 500 Python binning passes.
    """
    p = np.asarray(predictions, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    n = p.size
    if n < 2 or y.size != n:
        return None
    bins = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, (resamples, n))
    # One flat bincount over (resample, bin) cells.
    cell = (np.arange(resamples)[:, None] * n_bins + bins[idx]).ravel()
    size = resamples * n_bins
    count = np.bincount(cell, minlength=size).reshape(resamples, n_bins)
    gap = np.abs(
        np.bincount(cell, weights=y[idx].ravel(), minlength=size)
        - np.bincount(cell, weights=p[idx].ravel(), minlength=size)
    ).reshape(resamples, n_bins)
    ece = gap.sum(axis=1) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        mce = np.where(count > 0, gap / np.maximum(count, 1), -np.inf).max(axis=1)
    alpha = (1 - level) / 2
    e_lo, e_hi = np.quantile(ece, [alpha, 1 - alpha])
    m_lo, m_hi = np.quantile(mce, [alpha, 1 - alpha])
    return (float(e_lo), float(e_hi)), (float(m_lo), float(m_hi))

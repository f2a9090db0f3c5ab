"""Calibration and discrimination math: reliability bins, ECE, MCE, Brier, log loss, AUC.

The learning tracker recomputes these from a ``calibration`` event's predictions and
outcomes instead of trusting the producer's reported numbers; :func:`check_calibration`
flags a disagreement.

Bins are equal-width on [0, 1]: bin *i* = floor(p · B) holds predictions in
[i/B, (i+1)/B), and the last bin also holds 1.0 (``sklearn``'s ``calibration_curve``
uses the same bins, up to float rounding exactly on a bin edge).

* ECE = Σ_b (n_b / N) · |observed_rate_b − mean_predicted_b|
* MCE = max_b |observed_rate_b − mean_predicted_b| over non-empty bins

Example::

    >>> r = check_calibration([0.2, 0.8, 0.9, 0.1], [0, 1, 1, 0])
    >>> round(r.ece, 3), r.auc
    (0.15, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_BINS",
    "DEFAULT_TOLERANCE",
    "CalibrationReport",
    "ReliabilityBin",
    "auc",
    "brier",
    "check_calibration",
    "ece_mce",
    "log_loss",
    "reliability_bins",
]

DEFAULT_BINS = 10
#: Absolute difference between a reported and a recomputed ECE/MCE that is flagged.
DEFAULT_TOLERANCE = 0.01
_EPS = 1e-15


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    #: None for an empty bin.
    mean_predicted: float | None
    observed_rate: float | None

    @property
    def gap(self) -> float | None:
        if self.mean_predicted is None or self.observed_rate is None:
            return None
        return abs(self.observed_rate - self.mean_predicted)


def _pairs(
    predictions: Sequence[float], outcomes: Sequence[int]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    p = np.asarray(predictions, dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    if p.shape != y.shape or p.ndim != 1:
        raise ValueError(f"predictions ({p.size}) and outcomes ({y.size}) must be flat and of equal length")
    if p.size and (np.any(p < 0) | np.any(p > 1) | ~np.all(np.isfinite(p))):
        raise ValueError("predictions must be probabilities in [0, 1]")
    if y.size and not np.all((y == 0) | (y == 1)):
        raise ValueError("outcomes must be 0 or 1")
    return p, y


def reliability_bins(
    predictions: Sequence[float], outcomes: Sequence[int], n_bins: int = DEFAULT_BINS
) -> list[ReliabilityBin]:
    """Equal-width reliability bins (empty bins included, with ``None`` rates)."""
    if n_bins < 1:
        raise ValueError(f"n_bins must be ≥ 1, got {n_bins}")
    p, y = _pairs(predictions, outcomes)
    idx = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    out = []
    for b in range(n_bins):
        mask = idx == b
        n = int(mask.sum())
        out.append(
            ReliabilityBin(
                lower=b / n_bins,
                upper=(b + 1) / n_bins,
                count=n,
                mean_predicted=float(p[mask].mean()) if n else None,
                observed_rate=float(y[mask].mean()) if n else None,
            )
        )
    return out


def ece_mce(bins: Sequence[ReliabilityBin]) -> tuple[float | None, float | None]:
    """Expected and maximum calibration error from bins; ``(None, None)`` with no samples."""
    total = sum(b.count for b in bins)
    gaps = [(b.count, b.gap) for b in bins if b.count and b.gap is not None]
    if total == 0 or not gaps:
        return None, None
    ece = sum(n * g for n, g in gaps) / total
    return float(ece), float(max(g for _, g in gaps))


def brier(predictions: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """Mean squared error of the probabilities; ``None`` with no samples."""
    p, y = _pairs(predictions, outcomes)
    return float(np.mean((p - y) ** 2)) if p.size else None


def log_loss(predictions: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15]."""
    p, y = _pairs(predictions, outcomes)
    if not p.size:
        return None
    q = np.clip(p, _EPS, 1 - _EPS)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def auc(predictions: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """ROC AUC as the Mann-Whitney statistic (ties count ½); ``None`` if one class is absent."""
    p, y = _pairs(predictions, outcomes)
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(p.size, dtype=np.float64)
    sp = p[order]
    # Average ranks over runs of equal predictions so ties count one half.
    i = 0
    while i < sp.size:
        j = i
        while j + 1 < sp.size and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    rank_sum = float(ranks[y == 1].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


@dataclass(frozen=True)
class CalibrationReport:
    """Recomputed calibration of one set of predictions, and what disagrees with the producer."""

    samples: int
    n_bins: int
    ece: float | None
    mce: float | None
    brier: float | None
    log_loss: float | None
    auc: float | None
    base_rate: float | None
    bins: list[ReliabilityBin]
    reported_ece: float | None = None
    reported_mce: float | None = None
    #: One sentence per reported value that differs from ours by more than the tolerance.
    disagreements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_calibration(
    predictions: Sequence[float],
    outcomes: Sequence[int],
    *,
    reported_ece: float | None = None,
    reported_mce: float | None = None,
    n_bins: int = DEFAULT_BINS,
    tolerance: float = DEFAULT_TOLERANCE,
    label: str = "calibration",
) -> CalibrationReport:
    """Recompute every calibration number and compare with the producer's.

    ``label`` names the source (e.g. the session id) in disagreement messages.
    """
    bins = reliability_bins(predictions, outcomes, n_bins)
    ece, mce = ece_mce(bins)
    p, y = _pairs(predictions, outcomes)
    problems = []
    for name, reported, ours in (("ECE", reported_ece, ece), ("MCE", reported_mce, mce)):
        if reported is None or ours is None:
            continue
        if abs(reported - ours) > tolerance:
            problems.append(
                f"{label}: reported {name} {reported:.4f} but the predictions give {ours:.4f} "
                f"({n_bins} equal-width bins, {p.size} samples; difference {abs(reported - ours):.4f} "
                f"> tolerance {tolerance}) — check the producer's binning"
            )
    return CalibrationReport(
        samples=int(p.size),
        n_bins=n_bins,
        ece=ece,
        mce=mce,
        brier=brier(p.tolist(), y.astype(int).tolist()),
        log_loss=log_loss(p.tolist(), y.astype(int).tolist()),
        auc=auc(p.tolist(), y.astype(int).tolist()),
        base_rate=float(y.mean()) if y.size else None,
        bins=bins,
        reported_ece=reported_ece,
        reported_mce=reported_mce,
        disagreements=problems,
    )

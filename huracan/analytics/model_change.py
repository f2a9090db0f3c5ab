"""How two models (or two training sessions) differ, with the evidence to say so.

Each model is measured on its own ``calibration`` event (out-of-time predictions and
outcomes): AUC and ECE/MCE with the seeded bootstrap intervals ``huracan metrics`` shows,
Brier score and log loss with the standard error of their per-prediction losses. A change
is significant when its 95 % interval — from both standard errors — excludes zero, and
only when both sides rest on the metric's minimum n. ``model_auc_change`` in the
snapshot, ``learning summary`` and ``models diff`` all call :func:`compare`, so they
say "better" about the same changes (#12).

Example::

    >>> a = Estimate(0.60, 0.02, 400); b = Estimate(0.70, 0.02, 400)
    >>> c = compare_estimates("auc", a, b)
    >>> round(c.delta, 2), c.significant, c.word
    (0.1, True, 'better')
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np

from huracan.analytics.calibration import auc, brier, ece_mce, log_loss, reliability_bins
from huracan.analytics.stats import (
    bootstrap_auc,
    bootstrap_calibration_errors,
    normal_quantile,
    se_from_interval,
)
from huracan.analytics.wording import change_word

__all__ = [
    "HIGHER_IS_BETTER",
    "Change",
    "Estimate",
    "changes_between",
    "compare",
    "compare_estimates",
    "estimates",
    "session_estimates",
]

#: Metrics compared between models, and whether higher is better.
HIGHER_IS_BETTER: dict[str, bool] = {"auc": True, "ece": False, "mce": False, "brier": False, "log_loss": False}
_KIND = {
    "auc": "discrimination",
    "ece": "calibration",
    "mce": "calibration",
    "brier": "calibration",
    "log_loss": "calibration",
}


def bootstrap_seed(day: date, salt: int) -> int:
    """The bootstrap seed of a day's model metric (salt 1: AUC, 2: ECE/MCE): recomputing reproduces it."""
    return day.toordinal() * 16 + salt


@dataclass(frozen=True)
class Estimate:
    """A model metric measured on ``n`` predictions, with its standard error (None: unknown)."""

    value: float
    se: float | None
    n: int


@dataclass(frozen=True)
class Change:
    """``after - before`` of one metric, its 95 % interval, significance and the word for it."""

    metric: str
    before: float
    after: float
    delta: float
    low: float | None
    high: float | None
    significant: bool | None
    word: str
    n_before: int | None = None
    n_after: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _loss_se(losses: np.ndarray) -> float | None:
    return float(losses.std(ddof=1) / math.sqrt(losses.size)) if losses.size >= 2 else None


def estimates(predictions: Sequence[float], outcomes: Sequence[int], day: date, resamples: int) -> dict[str, Estimate]:
    """AUC, ECE, MCE, Brier and log loss of one set of predictions, each with its standard error."""
    pl, yl = [float(x) for x in predictions], [int(x) for x in outcomes]
    p, y = np.asarray(pl, dtype=float), np.asarray(yl, dtype=float)
    n = int(p.size)
    out: dict[str, Estimate] = {}
    if n == 0:
        return out
    a = auc(pl, yl)
    if a is not None:
        iv = bootstrap_auc(p, y, resamples=resamples, seed=bootstrap_seed(day, 1))
        out["auc"] = Estimate(a, se_from_interval(*iv) if iv else None, n)
    ece, mce = ece_mce(reliability_bins(pl, yl))
    both = bootstrap_calibration_errors(p, y, resamples=resamples, seed=bootstrap_seed(day, 2))
    if ece is not None:
        out["ece"] = Estimate(ece, se_from_interval(*both[0]) if both else None, n)
    if mce is not None:
        out["mce"] = Estimate(mce, se_from_interval(*both[1]) if both else None, n)
    b = brier(pl, yl)
    if b is not None:
        out["brier"] = Estimate(b, _loss_se((p - y) ** 2), n)
    ll = log_loss(pl, yl)
    if ll is not None:
        q = np.clip(p, 1e-15, 1 - 1e-15)
        out["log_loss"] = Estimate(ll, _loss_se(-(y * np.log(q) + (1 - y) * np.log(1 - q))), n)
    return out


def compare_estimates(metric: str, before: Estimate, after: Estimate, min_n: int = 0) -> Change:
    """The change of ``metric`` from ``before`` to ``after`` with its evidence."""
    delta = after.value - before.value
    low = high = None
    significant: bool | None = None
    enough = min(before.n, after.n) >= min_n
    if enough and before.se is not None and after.se is not None:
        half = normal_quantile(0.975) * math.hypot(before.se, after.se)
        low, high = delta - half, delta + half
        significant = low > 0 or high < 0
    return Change(
        metric=metric,
        before=before.value,
        after=after.value,
        delta=delta,
        low=low,
        high=high,
        significant=significant,
        word=change_word(delta, significant, HIGHER_IS_BETTER.get(metric)),
        n_before=before.n,
        n_after=after.n,
    )


def compare(
    before: dict[str, Estimate], after: dict[str, Estimate], min_n: dict[str, int] | None = None
) -> dict[str, Change]:
    """Every metric both sides have; ``min_n`` per kind (``metrics.yaml``'s ``min_n:``)."""
    need = min_n or {}
    return {
        m: compare_estimates(m, before[m], after[m], need.get(_KIND[m], 0))
        for m in HIGHER_IS_BETTER
        if m in before and m in after
    }


_SESSION_CAL_SQL = """SELECT c.session_id, c.predictions, c.outcomes, s.day
FROM v_calibration c JOIN v_training_session s USING (session_id)
WHERE c.session_id IN (SELECT unnest(?))
QUALIFY row_number() OVER (PARTITION BY c.session_id ORDER BY c.ts DESC) = 1"""


def session_estimates(conn: Any, session_ids: Sequence[str], settings: Any) -> dict[str, dict[str, Estimate]]:
    """:func:`estimates` of each session's latest calibration event (sessions without one are left out).

    Seeded by the session's training day, so the intervals are those ``huracan metrics``
    computed for that day's model.
    """
    from huracan.store.journal import fetch_rows

    ids = [s for s in session_ids if s]
    if not ids:
        return {}
    out = {}
    for r in fetch_rows(conn, _SESSION_CAL_SQL, [ids]):
        preds = r["predictions"]
        outs = r["outcomes"]
        p = json.loads(preds) if isinstance(preds, str) else preds
        y = json.loads(outs) if isinstance(outs, str) else outs
        day = r["day"] if isinstance(r["day"], date) else date.fromisoformat(str(r["day"]))
        out[r["session_id"]] = estimates(p, y, day, settings.analytics.bootstrap_resamples)
    return out


def changes_between(
    conn: Any,
    before: tuple[str | None, dict[str, Any]],
    after: tuple[str | None, dict[str, Any]],
    settings: Any,
) -> dict[str, dict[str, Any]]:
    """``{metric: {before, after, delta, low, high, significant, word, improved, source}}``.

    ``before`` / ``after`` are (session id, reported metrics). When both sessions have a
    calibration event the recomputed metrics are compared with their evidence; otherwise
    the reported numbers are shown and ``word`` is "not judged" (no evidence either way).
    ``improved`` is True / False only for a significant change, None otherwise.
    """
    from huracan.plugins.builtin.metrics.catalog import load_catalog

    ids = [s for s in (before[0], after[0]) if s]
    est = session_estimates(conn, ids, settings) if len(ids) == 2 else {}
    out: dict[str, dict[str, Any]] = {}
    if before[0] in est and after[0] in est:
        for m, c in compare(est[before[0]], est[after[0]], load_catalog(settings).min_n).items():
            out[m] = {**c.to_dict(), "source": "recomputed"}
    for m in HIGHER_IS_BETTER:
        if m in out:
            continue
        b, a = before[1].get(m), after[1].get(m)
        if a is None or b is None:  # an optional metric one of the sessions did not report
            continue
        out[m] = {
            "metric": m, "before": b, "after": a, "delta": a - b, "low": None, "high": None,
            "significant": None, "word": "not judged", "source": "reported",
        }  # fmt: skip
    for d in out.values():
        d["improved"] = {"better": True, "worse": False}.get(d["word"])
    return out

"""What the Engine changed about itself on a day: feature importances and gate thresholds (#12).

One definition each, read by the metrics that carry the numbers (``feature_share``,
``gate_threshold_*`` in metrics.yaml) and by the digest's "What the Engine learned"
section, which names the features and gates those numbers are about
(:mod:`huracan.analytics.learned`):

* **feature moves** — the day's latest ``feature_importance`` event against the one of
  the training before it (up to 30 days back), each feature as its share of the model's
  total |importance| (:func:`~huracan.analytics.learning.normalise_importances`: the scale
  of ``learning features`` and the importance chart), largest |share change| first, and
  each feature's share averaged over the latest training of each of the 7 days before;
* **threshold changes** — the Engine's ``config_change`` events that moved a gate's
  threshold in a mode that day: the value before the day's first change, the value after
  its last, who and why (the last change's);
* **the what-if of a change** — the recorded decisions of the 7 days ending that day
  replayed at the new and at the old threshold (:mod:`huracan.analytics.gate_whatif`), and
  the threshold of the default grid that would have made the most;
* **regime moves** — per market regime, the average return of the shadow trades closed
  that day against those closed in the 7 days before (close-day grouping, as every
  shadow metric), with a Welch 95 % interval of the difference, largest |change| first;
  and the same regime's average return against the day before's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from huracan.analytics.learning import FeatureDrift, feature_drift, normalise_importances
from huracan.analytics.metric_context import MetricContext

if TYPE_CHECKING:
    from huracan.analytics.gate_rows import GateFrame

__all__ = [
    "FEATURES_SQL",
    "PREVIOUS_DAYS",
    "REGIME_DAYS",
    "REGIME_TRADES_SQL",
    "THRESHOLDS_SQL",
    "WEEK_DAYS",
    "WHATIF_DAYS",
    "FeatureMoves",
    "RegimeMove",
    "ThresholdChange",
    "ThresholdWhatIf",
    "feature_moves",
    "regime_moves",
    "threshold_changes",
    "threshold_what_if",
]

#: How far back the previous training's importances are looked for.
PREVIOUS_DAYS = 30
#: The days of recorded decisions a threshold change is replayed on (ending on its day).
WHATIF_DAYS = 7
#: The days before the day a feature's share is averaged over.
WEEK_DAYS = 7

FEATURES_SQL = """SELECT day, ts, session_id, model_id, importances
FROM v_feature_importance
WHERE day BETWEEN {start} AND {end}
ORDER BY ts, session_id"""

THRESHOLDS_SQL = """SELECT day, ts, gate, mode, key, old_value, new_value, author, reason
FROM v_config_change
WHERE gate IS NOT NULL AND mode IS NOT NULL AND day BETWEEN {start} AND {end}
ORDER BY ts, key"""


@dataclass(frozen=True)
class FeatureMoves:
    """The day's importances against the previous training's (and the 7 days before)."""

    session_id: str
    previous_session_id: str
    drift: FeatureDrift
    #: each feature's share averaged over the latest training of each of the 7 days before
    #: the day (0 where a training lacks it); empty when none of those days trained
    week: dict[str, float] = field(default_factory=dict)
    #: how many of the 7 days before had a training
    week_days: int = 0


def _importances(raw: Any) -> dict[str, float]:
    data = json.loads(raw) if isinstance(raw, str) else raw
    return {str(k): float(v) for k, v in dict(data).items()}


def feature_moves(ctx: MetricContext) -> FeatureMoves | None:
    """The feature moves of ``ctx.day`` (None without importances that day or before)."""

    def build() -> FeatureMoves | None:
        series = ctx.series(FEATURES_SQL, PREVIOUS_DAYS + 1)
        today = series.get(ctx.day, [])
        if not today:
            return None
        latest = today[-1]
        earlier = [r for d in sorted(series) for r in series[d] if r["ts"] < latest["ts"]]
        earlier = [r for r in earlier if r["session_id"] != latest["session_id"]]
        if not earlier:
            return None
        prev = earlier[-1]
        drift = feature_drift(_importances(prev["importances"]), _importances(latest["importances"]))
        week_start = ctx.day - timedelta(days=WEEK_DAYS)
        days = [normalise_importances(_importances(series[d][-1]["importances"]))
                for d in sorted(series) if week_start <= d < ctx.day and series[d]]  # fmt: skip
        names = {f for shares in days for f in shares} | {m.feature for m in drift.moves}
        week = {f: sum(shares.get(f, 0.0) for shares in days) / len(days) for f in names} if days else {}
        return FeatureMoves(str(latest["session_id"]), str(prev["session_id"]), drift, week, len(days))

    return ctx.memo(("feature_moves", ctx.day), build)


@dataclass(frozen=True)
class ThresholdChange:
    """A gate threshold the Engine moved on one day (first old value, last new value)."""

    gate: str
    mode: str
    before: float
    after: float
    author: str
    reason: str
    changes: int


def _number(v: Any) -> float | None:
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except ValueError:
            return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


def threshold_changes(ctx: MetricContext) -> dict[str, ThresholdChange]:
    """``{"gate.mode": change}`` of the numeric threshold changes logged on ``ctx.day``."""

    def build() -> dict[str, ThresholdChange]:
        out: dict[str, ThresholdChange] = {}
        for r in ctx.daily(THRESHOLDS_SQL):
            old, new = _number(r["old_value"]), _number(r["new_value"])
            if new is None:
                continue
            part = f"{r['gate']}.{r['mode']}"
            first = out.get(part)
            before = first.before if first else old
            if before is None:
                continue
            out[part] = ThresholdChange(
                gate=str(r["gate"]),
                mode=str(r["mode"]),
                before=before,
                after=new,
                author=str(r["author"] or ""),
                reason=str(r["reason"] or ""),
                changes=(first.changes if first else 0) + 1,
            )
        return out

    return ctx.memo(("threshold_changes", ctx.day), build)


@dataclass(frozen=True)
class ThresholdWhatIf:
    """A change replayed on the decisions of the :data:`WHATIF_DAYS` days ending on its day."""

    pnl_after: float
    pnl_before: float
    best_threshold: float | None
    best_pnl: float | None
    #: recorded decisions of that gate and mode in the window
    decisions: int
    #: of them, signals with a known outcome (what the P&L sums rest on)
    with_outcome: int


def _gate_frame(ctx: MetricContext, start: date) -> GateFrame:
    """The snapshot's one read of the gate decisions (:func:`huracan.analytics.gate_days.snapshot_frame`)."""
    from huracan.analytics.gate_days import snapshot_frame

    return snapshot_frame(ctx, start)


def threshold_what_if(ctx: MetricContext, part: str) -> ThresholdWhatIf | None:
    """The what-if of the change of ``part`` ("gate.mode") on ``ctx.day`` (None: no change)."""
    change = threshold_changes(ctx).get(part)
    if change is None:
        return None

    def build() -> ThresholdWhatIf:
        from huracan.analytics.gate_whatif import replay

        start = ctx.day - timedelta(days=WHATIF_DAYS - 1)
        sel = _gate_frame(ctx, start).rows(start, ctx.day, change.gate, change.mode)
        points, best = replay(sel, [change.after, change.before])
        at = {p.threshold: p for p in points}
        return ThresholdWhatIf(
            pnl_after=at[change.after].pnl_bps,
            pnl_before=at[change.before].pnl_bps,
            best_threshold=best.threshold if best else None,
            best_pnl=best.pnl_bps if best else None,
            decisions=len(sel),
            with_outcome=int(sel.has_outcome.sum()),
        )

    return ctx.memo(("threshold_what_if", ctx.day, part), build)


#: The days before the report day a regime's trades are compared with.
REGIME_DAYS = 7

REGIME_TRADES_SQL = """SELECT day, regime, return_bps
FROM v_shadow_outcome
WHERE NOT counterfactual AND day BETWEEN {start} AND {end}
ORDER BY day, ts, event_id"""


@dataclass(frozen=True)
class RegimeMove:
    """A regime's average shadow return on the day minus over the 7 days before."""

    regime: str
    today: float
    before: float
    delta: float
    #: Welch 95 % interval of ``delta`` (None with fewer than 2 trades on a side)
    low: float | None
    high: float | None
    n_today: int
    n_before: int
    #: the same regime's average return on the day minus the day before's, with its Welch
    #: interval; None when it did not trade the day before
    delta_1d: float | None = None
    low_1d: float | None = None
    high_1d: float | None = None
    n_yesterday: int = 0


def _welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float] | None:
    if a.size < 2 or b.size < 2:
        return None
    from huracan.analytics.stats import normal_quantile

    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    half = normal_quantile(0.975) * se
    d = float(a.mean() - b.mean())
    return d - half, d + half


def regime_moves(ctx: MetricContext) -> list[RegimeMove]:
    """Every regime traded on ``ctx.day`` and in the 7 days before, largest |change| first."""

    def build() -> list[RegimeMove]:
        series = ctx.series(REGIME_TRADES_SQL, REGIME_DAYS + 1)
        today: dict[str, list[float]] = {}
        before: dict[str, list[float]] = {}
        yesterday: dict[str, list[float]] = {}
        for d, rows in series.items():
            into = today if d == ctx.day else before
            for r in rows:
                into.setdefault(str(r["regime"]), []).append(float(r["return_bps"]))
                if d == ctx.day - timedelta(days=1):
                    yesterday.setdefault(str(r["regime"]), []).append(float(r["return_bps"]))
        out = []
        for regime in sorted(today.keys() & before.keys()):
            a, b = np.array(today[regime]), np.array(before[regime])
            y = np.array(yesterday.get(regime, []))
            iv, iv1 = _welch(a, b), _welch(a, y)
            out.append(
                RegimeMove(
                    regime=regime, today=float(a.mean()), before=float(b.mean()), delta=float(a.mean() - b.mean()),
                    low=iv[0] if iv else None, high=iv[1] if iv else None, n_today=int(a.size), n_before=int(b.size),
                    delta_1d=float(a.mean() - y.mean()) if y.size else None,
                    low_1d=iv1[0] if iv1 else None, high_1d=iv1[1] if iv1 else None, n_yesterday=int(y.size),
                )
            )  # fmt: skip
        out.sort(key=lambda m: (-abs(m.delta), m.regime))
        return out

    return ctx.memo(("regime_moves", ctx.day), build)

"""The history the digest's charts draw: read from the store's ``v_<type>`` views.

Uses only ``conn.execute(sql, params).fetchall()`` so that either a local read-only
DuckDB connection or the daemon's query proxy can stand in (docs/contracts.md,
"Read access while the daemon runs"). Nested event fields arrive as JSON text and are
decoded here.

Example::

    history = load_history(store.cursor(), date(2025, 11, 6))
    history.training[-1].auc
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

__all__ = ["CalibrationBin", "GatePass", "History", "TrainingPoint", "load_history"]


class _Cursor(Protocol):
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The part of a DuckDB connection (or the daemon proxy) this module uses."""

    def execute(self, query: str, parameters: Any = ...) -> Any: ...


@dataclass(frozen=True)
class TrainingPoint:
    day: date
    auc: float
    ece: float


@dataclass(frozen=True)
class GatePass:
    gate: str
    mode: str
    passed: int
    total: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


@dataclass(frozen=True)
class CalibrationBin:
    mean_predicted: float
    observed_rate: float
    count: int


@dataclass(frozen=True)
class History:
    """Up to ``days`` days ending at ``day`` (inclusive)."""

    day: date
    days: int = 30
    #: the day's last training session, one point per day
    training: tuple[TrainingPoint, ...] = ()
    #: mode -> ((day, summed return_bps of closed non-counterfactual shadow trades), ...)
    shadow_pnl_bps: dict[str, tuple[tuple[date, float], ...]] = field(default_factory=dict)
    #: pass counts per gate and mode on ``day``
    gate_pass: tuple[GatePass, ...] = ()
    calibration_model: str | None = None
    calibration: tuple[CalibrationBin, ...] = ()
    #: each feature's share of the model's total importance (``normalise_importances``)
    importance_now: dict[str, float] = field(default_factory=dict)
    importance_prev: dict[str, float] = field(default_factory=dict)


_TRAINING = """
SELECT day, arg_max(auc, ts) AS auc, arg_max(ece, ts) AS ece
FROM v_training_session WHERE day BETWEEN ? AND ?
GROUP BY day ORDER BY day
"""
_SHADOW = """
SELECT day, mode, sum(return_bps) AS pnl_bps
FROM v_shadow_outcome WHERE NOT counterfactual AND day BETWEEN ? AND ?
GROUP BY day, mode ORDER BY day, mode
"""
_GATES = """
SELECT gate, mode, count(*) FILTER (WHERE passed) AS passed, count(*) AS total
FROM v_gate_decision WHERE day = ?
GROUP BY gate, mode ORDER BY gate, mode
"""
_CALIBRATION = """
SELECT model_id, bins, predictions, outcomes
FROM v_calibration WHERE day <= ? ORDER BY ts DESC LIMIT 1
"""
_IMPORTANCE = """
SELECT importances FROM v_feature_importance WHERE day <= ? ORDER BY ts DESC LIMIT 2
"""
# The day's latest session's calibration event, to chart the AUC/ECE the metrics recompute.
_RECOMPUTED = """
SELECT s.day, arg_max(c.predictions, c.ts) AS predictions, arg_max(c.outcomes, c.ts) AS outcomes
FROM (SELECT day, arg_max(session_id, trained_at) AS session_id FROM v_training_session
      WHERE day BETWEEN ? AND ? GROUP BY day) s
JOIN v_calibration c USING (session_id)
GROUP BY s.day
"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def bins_from_predictions(predictions: list[float], outcomes: list[int]) -> list[CalibrationBin]:
    """The chart's points from equal-width reliability bins (the one binning, in
    :mod:`huracan.analytics.calibration`), for calibration events logged without ``bins``."""
    from huracan.analytics.calibration import reliability_bins

    return [
        CalibrationBin(b.mean_predicted, b.observed_rate, b.count)
        for b in reliability_bins(predictions, outcomes)
        if b.count and b.mean_predicted is not None and b.observed_rate is not None
    ]


def load_history(conn: Connection, day: date, days: int = 30) -> History:
    """Read the chart history for the ``days`` days ending at ``day``."""
    from huracan.analytics.calibration import auc, ece_mce, reliability_bins
    from huracan.analytics.learning import normalise_importances

    start = day - timedelta(days=days - 1)
    # AUC and ECE recomputed from each day's calibration event, as the snapshot's model_auc /
    # model_ece (#12); the training run's own numbers only where there is none.
    recomputed: dict[date, tuple[float | None, float | None]] = {}
    for d, preds, outs in conn.execute(_RECOMPUTED, [start, day]).fetchall():
        p, y = [float(x) for x in _json(preds) or []], [int(x) for x in _json(outs) or []]
        if p:
            recomputed[d] = (auc(p, y), ece_mce(reliability_bins(p, y))[0])
    training = tuple(
        TrainingPoint(d, *_prefer(recomputed.get(d), float(a), float(e)))
        for d, a, e in conn.execute(_TRAINING, [start, day]).fetchall()
    )
    pnl: dict[str, list[tuple[date, float]]] = {}
    for d, mode, bps in conn.execute(_SHADOW, [start, day]).fetchall():
        pnl.setdefault(str(mode), []).append((d, float(bps)))
    gates = tuple(GatePass(str(g), str(m), int(p), int(t)) for g, m, p, t in conn.execute(_GATES, [day]).fetchall())

    cal_model: str | None = None
    bins: list[CalibrationBin] = []
    row = conn.execute(_CALIBRATION, [day]).fetchall()
    if row:
        cal_model, raw_bins, preds, outs = row[0]
        decoded = _json(raw_bins) or []
        if decoded:
            bins = [CalibrationBin(b["mean_predicted"], b["observed_rate"], int(b["count"])) for b in decoded]
        else:
            bins = bins_from_predictions(_json(preds) or [], _json(outs) or [])

    imps = [_json(r[0]) or {} for r in conn.execute(_IMPORTANCE, [day]).fetchall()]
    return History(
        day=day,
        days=days,
        training=training,
        shadow_pnl_bps={m: tuple(v) for m, v in pnl.items()},
        gate_pass=gates,
        calibration_model=cal_model,
        calibration=tuple(bins),
        importance_now=normalise_importances({k: float(v) for k, v in (imps[0] if imps else {}).items()}),
        importance_prev=normalise_importances({k: float(v) for k, v in (imps[1] if len(imps) > 1 else {}).items()}),
    )


def _prefer(ours: tuple[float | None, float | None] | None, auc: float, ece: float) -> tuple[float, float]:
    if ours is None:
        return auc, ece
    return (auc if ours[0] is None else ours[0]), (ece if ours[1] is None else ours[1])

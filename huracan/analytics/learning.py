"""The learning tracker: training sessions, feature-importance evolution, calibration history.

Reads the store's ``v_training_session``, ``v_feature_importance`` and ``v_calibration``
views through any connection-like object (see :func:`huracan.store.journal.fetch_rows`).
ECE/MCE are recomputed from each ``calibration`` event's predictions and outcomes
(:mod:`huracan.analytics.calibration`); a producer's reported value that disagrees is
flagged, never silently used.

Feature drift between two sessions compares normalised importances (each |value| over
their sum): **L1** = Σ|after − before| over the union of features (0 = identical,
2 = disjoint) and **Spearman** = the Pearson correlation of their average ranks
(1 = same order). A feature's rank is 1 for the most important.

Example::

    >>> d = feature_drift({"a": 0.6, "b": 0.4}, {"a": 0.3, "b": 0.7})
    >>> round(d.l1, 2), round(d.spearman, 6), sorted((m.feature, m.rank_change) for m in d.moves)
    (0.6, -1.0, [('a', -1), ('b', 1)])
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from huracan.analytics.calibration import DEFAULT_BINS, DEFAULT_TOLERANCE, CalibrationReport, check_calibration
from huracan.analytics.performance import TradeStats
from huracan.config import Settings
from huracan.store.journal import TradeFilter, fetch_rows, shadow_trade_stats

__all__ = [
    "METRICS",
    "FeatureDrift",
    "FeatureMove",
    "LearningSummary",
    "calibration_history",
    "daily_summary",
    "feature_drift",
    "importance_history",
    "normalise_importances",
    "training_sessions",
]

#: Session metrics compared between sessions; for each, whether higher is better.
METRICS: dict[str, bool] = {"auc": True, "ece": False, "mce": False, "brier": False, "log_loss": False}

_UTC_DAY = "CAST(timezone('UTC', {col}) AS DATE)"


def _json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, str) else v


def _range(col: str, since: date | None, until: date | None) -> tuple[list[str], list[Any]]:
    conds, params = [], []
    if since is not None:
        conds.append(f"{_UTC_DAY.format(col=col)} >= CAST(? AS DATE)")
        params.append(since)
    if until is not None:
        conds.append(f"{_UTC_DAY.format(col=col)} <= CAST(? AS DATE)")
        params.append(until)
    return conds, params


def training_sessions(
    conn: Any, *, since: date | None = None, until: date | None = None, model_id: str | None = None
) -> list[dict[str, Any]]:
    """Training sessions by ``trained_at`` (UTC days, inclusive), oldest first."""
    conds, params = _range("trained_at", since, until)
    if model_id is not None:
        conds.append("starts_with(model_id, ?)")
        params.append(model_id)
    where = "WHERE " + " AND ".join(conds) if conds else ""
    return fetch_rows(
        conn,
        f"""SELECT session_id, model_id, learner, trained_at, {_UTC_DAY.format(col="trained_at")} AS day,
                   data_cutoff_timestamp, duration_s, samples_historical, samples_shadow,
                   samples_historical + samples_shadow AS samples_total, eval_samples,
                   auc, ece, mce, brier, log_loss
            FROM v_training_session {where} ORDER BY trained_at, session_id""",
        params,
    )


def importance_history(
    conn: Any, *, since: date | None = None, until: date | None = None, model_id: str | None = None
) -> list[dict[str, Any]]:
    """Feature-importance events, oldest first, ``importances`` parsed to a dict."""
    conds, params = _range("ts", since, until)
    if model_id is not None:
        conds.append("starts_with(model_id, ?)")
        params.append(model_id)
    where = "WHERE " + " AND ".join(conds) if conds else ""
    rows = fetch_rows(
        conn,
        f"SELECT session_id, model_id, ts, method, importances FROM v_feature_importance {where} ORDER BY ts",
        params,
    )
    for r in rows:
        r["importances"] = {k: float(v) for k, v in _json(r["importances"]).items()}
    return rows


@dataclass(frozen=True)
class FeatureMove:
    feature: str
    before: float
    after: float
    delta: float
    rank_before: int | None
    rank_after: int | None
    #: Positive = moved up (towards rank 1); None when the feature is new or gone.
    rank_change: int | None


@dataclass(frozen=True)
class FeatureDrift:
    l1: float
    spearman: float | None
    #: Every feature, largest |delta| of normalised importance first.
    moves: list[FeatureMove]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalise_importances(imp: Mapping[str, float]) -> dict[str, float]:
    """Each feature's share of the model's total |importance| (0..1, summing to 1): the one
    scale every face shows importances on — the CLI, the digest chart and its lines (#12)."""
    total = sum(abs(v) for v in imp.values())
    return {k: (abs(v) / total if total else 0.0) for k, v in imp.items()}


_normalise = normalise_importances


def _ranks(imp: Mapping[str, float]) -> dict[str, int]:
    return {k: i + 1 for i, k in enumerate(sorted(imp, key=lambda k: (-imp[k], k)))}


def _avg_ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(-x, kind="mergesort")
    ranks = np.empty(x.size)
    sx = x[order]
    i = 0
    while i < x.size:
        j = i
        while j + 1 < x.size and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def feature_drift(before: Mapping[str, float], after: Mapping[str, float]) -> FeatureDrift:
    """How feature importances moved from ``before`` to ``after`` (see the module docstring)."""
    b, a = _normalise(before), _normalise(after)
    feats = sorted(b.keys() | a.keys())
    vb = np.array([b.get(f, 0.0) for f in feats])
    va = np.array([a.get(f, 0.0) for f in feats])
    spearman = None
    if len(feats) >= 2:
        rb, ra = _avg_ranks(vb), _avg_ranks(va)
        if rb.std() > 0 and ra.std() > 0:
            spearman = float(np.corrcoef(rb, ra)[0, 1])
    rank_b, rank_a = _ranks(b), _ranks(a)
    moves = []
    for f in feats:
        rb_, ra_ = rank_b.get(f), rank_a.get(f)
        moves.append(
            FeatureMove(
                feature=f,
                before=b.get(f, 0.0),
                after=a.get(f, 0.0),
                delta=a.get(f, 0.0) - b.get(f, 0.0),
                rank_before=rb_,
                rank_after=ra_,
                rank_change=(rb_ - ra_) if rb_ is not None and ra_ is not None else None,
            )
        )
    moves.sort(key=lambda m: (-abs(m.delta), m.feature))
    return FeatureDrift(
        l1=float(np.abs(va - vb).sum()),
        spearman=spearman,
        moves=moves,
        added=sorted(a.keys() - b.keys()),
        removed=sorted(b.keys() - a.keys()),
    )


def producer_bin_count(bins: list[dict[str, Any]]) -> int:
    """How many equal-width bins the producer used, from the width of the bins it sent.

    Producers usually omit empty bins, so counting the ones sent would undercount (8 of
    10 bins sent would be recomputed with 8 and disagree for no real reason).

    >>> producer_bin_count([{"lower": 0.1, "upper": 0.2}, {"lower": 0.5, "upper": 0.6}])
    10
    >>> producer_bin_count([])
    10
    """
    for b in bins:
        width = float(b.get("upper", 0)) - float(b.get("lower", 0))
        if width > 0:
            return max(1, round(1 / width))
    return DEFAULT_BINS


def calibration_history(
    conn: Any,
    *,
    since: date | None = None,
    until: date | None = None,
    model_id: str | None = None,
    session_id: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[dict[str, Any]]:
    """Each ``calibration`` event recomputed: ``{session_id, model_id, ts, report}``, oldest first.

    The bin count follows the producer's bins when it sent any (a fair comparison),
    else 10 equal-width bins.
    """
    conds, params = _range("ts", since, until)
    for col, v in (("model_id", model_id), ("session_id", session_id)):
        if v is not None:
            conds.append(f"starts_with({col}, ?)")
            params.append(v)
    where = "WHERE " + " AND ".join(conds) if conds else ""
    rows = fetch_rows(
        conn,
        "SELECT session_id, model_id, ts, predictions, outcomes, reported_ece, reported_mce, bins "
        f"FROM v_calibration {where} ORDER BY ts",
        params,
    )
    out = []
    for r in rows:
        producer_bins = _json(r["bins"]) or []
        report = check_calibration(
            _json(r["predictions"]),
            _json(r["outcomes"]),
            reported_ece=r["reported_ece"],
            reported_mce=r["reported_mce"],
            n_bins=producer_bin_count(producer_bins),
            tolerance=tolerance,
            label=f"session {r['session_id']} (model {r['model_id'][:12]})",
        )
        out.append({"session_id": r["session_id"], "model_id": r["model_id"], "ts": r["ts"], "report": report})
    return out


@dataclass
class LearningSummary:
    """What the Engine learned on one UTC day; every number recomputable from the events."""

    day: date
    sessions: list[dict[str, Any]]
    samples_historical: int
    samples_shadow: int
    samples_total: int
    latest: dict[str, Any] | None
    previous: dict[str, Any] | None
    #: metric → {before, after, delta, low, high, significant, word, improved, source}
    metric_deltas: dict[str, dict[str, Any]]
    drift: FeatureDrift | None
    top_moves: list[FeatureMove]
    calibration: list[dict[str, Any]]
    performance_by_regime: dict[str, TradeStats]
    ready: bool | None
    readiness_reasons: list[str]
    #: Producer numbers that disagree with our recomputation.
    flags: list[str]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["calibration"] = [
            {**c, "report": c["report"].to_dict() if isinstance(c["report"], CalibrationReport) else c["report"]}
            for c in d["calibration"]
        ]
        return d


def daily_summary(conn: Any, day: date, settings: Settings, *, top: int = 5) -> LearningSummary:
    """The learning summary of ``day``: samples trained, metric deltas vs the previous session,
    top feature moves, recomputed calibration, shadow performance by regime, readiness."""
    from huracan.analytics.model_change import changes_between
    from huracan.analytics.readiness import end_of_day, model_readiness

    sessions = training_sessions(conn, since=day, until=day)
    before = training_sessions(conn, until=day)
    latest = sessions[-1] if sessions else None
    previous = None
    if latest is not None:
        idx = next(i for i, s in enumerate(before) if s["session_id"] == latest["session_id"])
        previous = before[idx - 1] if idx > 0 else None
    deltas: dict[str, dict[str, Any]] = {}
    if latest is not None and previous is not None:
        # Better / worse only from the evidence: the recomputed metrics with their intervals,
        # the same comparison as the snapshot's model_auc_change (#12).
        deltas = changes_between(
            conn,
            (previous["session_id"], {m: previous[m] for m in METRICS}),
            (latest["session_id"], {m: latest[m] for m in METRICS}),
            settings,
        )
    drift = None
    if latest is not None and previous is not None:
        imps = {r["session_id"]: r["importances"] for r in importance_history(conn, until=day)}
        if latest["session_id"] in imps and previous["session_id"] in imps:
            drift = feature_drift(imps[previous["session_id"]], imps[latest["session_id"]])
    calib = [c for s in sessions for c in calibration_history(conn, session_id=s["session_id"])]
    flags = [msg for c in calib for msg in c["report"].disagreements]
    ready: bool | None = None
    reasons: list[str] = []
    if latest is not None:
        # The one readiness rule, on the recomputed numbers, as of the end of the day.
        r = model_readiness(conn, [latest["model_id"]], settings, at=end_of_day(day))[latest["model_id"]]
        ready, reasons = r.ready, r.reasons
    return LearningSummary(
        day=day,
        sessions=sessions,
        samples_historical=sum(s["samples_historical"] for s in sessions),
        samples_shadow=sum(s["samples_shadow"] for s in sessions),
        samples_total=sum(s["samples_total"] for s in sessions),
        latest=latest,
        previous=previous,
        metric_deltas=deltas,
        drift=drift,
        top_moves=drift.moves[:top] if drift else [],
        calibration=calib,
        performance_by_regime=shadow_trade_stats(
            conn,
            TradeFilter(since=day, until=day),
            by="regime",
            annualization_days=settings.analytics.annualization_days,
        ),
        ready=ready,
        readiness_reasons=reasons,
        flags=flags,
    )

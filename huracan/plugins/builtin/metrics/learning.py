"""Learning metrics: the day's training run and the model it produced.

The day's model is the one of its latest ``training_session``. Discrimination and
calibration are *recomputed* from that session's ``calibration`` event (out-of-time
predictions and outcomes) with :mod:`huracan.analytics.calibration`, each with a
seeded bootstrap interval; the producer's own numbers are kept beside them
(``*_reported``) so a disagreement is visible.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from huracan.analytics.calibration import auc, brier, ece_mce, log_loss, reliability_bins
from huracan.analytics.metric_context import MetricContext, NoDataError
from huracan.analytics.model_change import Estimate, bootstrap_seed, compare_estimates
from huracan.analytics.stats import bootstrap_auc, bootstrap_calibration_errors, se_from_interval
from huracan.plugins import hookimpl
from huracan.plugins.builtin.metrics._common import count_result, pick
from huracan.plugins.builtin.metrics.catalog import build_specs
from huracan.plugins.types import MetricResult, MetricSpec

__all__ = ["CALIBRATION_SQL", "SESSIONS_SQL", "huracan_register_metrics", "latest_session"]

SESSIONS_SQL = """SELECT day, count(*) AS rows,
  sum(duration_s) AS duration_s,
  arg_max(session_id, trained_at) AS session_id,
  arg_max(model_id, trained_at) AS model_id,
  arg_max(auc, trained_at) AS auc,
  arg_max(ece, trained_at) AS ece,
  arg_max(mce, trained_at) AS mce,
  arg_max(brier, trained_at) AS brier,
  arg_max(log_loss, trained_at) AS log_loss,
  arg_max(samples_historical, trained_at) AS samples_historical,
  arg_max(samples_shadow, trained_at) AS samples_shadow,
  arg_max(eval_samples, trained_at) AS eval_samples
FROM v_training_session
WHERE day BETWEEN {start} AND {end}
GROUP BY day"""

CALIBRATION_SQL = """SELECT day, session_id, model_id, ts, predictions, outcomes, reported_ece, reported_mce
FROM v_calibration
WHERE day BETWEEN {start} AND {end}
ORDER BY day, ts"""

#: How far back the previous training session is looked for (AUC change).
PREVIOUS_SESSION_DAYS = 30


@dataclass(frozen=True)
class Evaluation:
    """The calibration event of the day's model, parsed, with recomputed statistics."""

    session_id: str
    predictions: list[float]
    outcomes: list[int]
    reported_ece: float | None
    reported_mce: float | None


def latest_session(ctx: MetricContext) -> dict[str, Any] | None:
    """The day's latest training session row (None when nothing trained that day)."""
    return pick(ctx.daily(SESSIONS_SQL))


def _session(ctx: MetricContext) -> dict[str, Any]:
    row = latest_session(ctx)
    if row is None:
        raise ctx.no_data(f"no training session on {ctx.day.isoformat()}", SESSIONS_SQL)
    return row


def evaluation(ctx: MetricContext) -> Evaluation:
    def build() -> Evaluation | None:
        rows = ctx.daily(CALIBRATION_SQL)
        if not rows:
            return None
        session = latest_session(ctx)
        # Prefer the calibration of the day's model; else the day's latest calibration.
        chosen = next((r for r in reversed(rows) if session and r["session_id"] == session["session_id"]), rows[-1])
        return Evaluation(
            session_id=chosen["session_id"],
            predictions=[float(x) for x in json.loads(chosen["predictions"])],
            outcomes=[int(x) for x in json.loads(chosen["outcomes"])],
            reported_ece=chosen["reported_ece"],
            reported_mce=chosen["reported_mce"],
        )

    ev = ctx.memo(("evaluation", ctx.day), build)
    if ev is None or len(ev.predictions) == 0:
        raise ctx.no_data(f"no calibration event (out-of-time predictions) on {ctx.day.isoformat()}", CALIBRATION_SQL)
    return ev


def _seed(day: date, salt: int) -> int:
    # Seeded by the day so a snapshot recomputed later has identical intervals (and
    # learning summary / models diff recompute the same ones).
    return bootstrap_seed(day, salt)


def recomputed_ece(p: Sequence[float], y: Sequence[int]) -> float | None:
    return ece_mce(reliability_bins(p, y))[0]


def _mce(p: Sequence[float], y: Sequence[int]) -> float | None:
    return ece_mce(reliability_bins(p, y))[1]


def _calibration_intervals(
    ctx: MetricContext, ev: Evaluation
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    return ctx.memo(
        ("calibration_bootstrap", ctx.day),
        lambda: bootstrap_calibration_errors(
            ev.predictions,
            ev.outcomes,
            resamples=ctx.settings.analytics.bootstrap_resamples,
            seed=_seed(ctx.day, 2),
        ),
    )


def _recomputed(ctx: MetricContext, name: str, fn: Any, salt: int, interval: bool = True) -> MetricResult:
    ev = evaluation(ctx)
    value = fn(ev.predictions, ev.outcomes)
    if value is None:
        raise ctx.no_data(f"{name} is undefined for session {ev.session_id} (one outcome class only)", CALIBRATION_SQL)
    iv = None
    if interval and name == "AUC":
        # The same seed and resamples as model_auc_change reads: one interval per day's AUC.
        found = auc_with_interval(ctx)
        b = found[2] if found else None
        iv = None if b is None else (b[0], b[1], "bootstrap")
    elif interval:
        both = _calibration_intervals(ctx, ev)
        if both is not None:
            lo, hi = both[0] if name == "ECE" else both[1]
            iv = (lo, hi, "bootstrap")
    n = len(ev.predictions)
    return ctx.result(value, CALIBRATION_SQL, 1, n=n, interval=iv)


def model_auc(ctx: MetricContext, part: str | None) -> MetricResult:
    return _recomputed(ctx, "AUC", auc, 1)


def model_ece(ctx: MetricContext, part: str | None) -> MetricResult:
    return _recomputed(ctx, "ECE", recomputed_ece, 2)


def model_mce(ctx: MetricContext, part: str | None) -> MetricResult:
    return _recomputed(ctx, "MCE", _mce, 3)


def model_brier(ctx: MetricContext, part: str | None) -> MetricResult:
    return _recomputed(ctx, "Brier score", brier, 4, interval=False)


def model_log_loss(ctx: MetricContext, part: str | None) -> MetricResult:
    return _recomputed(ctx, "log loss", log_loss, 5, interval=False)


def calibration_ece_gap(ctx: MetricContext, part: str | None) -> MetricResult:
    ev = evaluation(ctx)
    reported = ev.reported_ece
    if reported is None:
        row = latest_session(ctx)
        reported = row["ece"] if row and row["session_id"] == ev.session_id else None
    if reported is None:
        raise ctx.no_data(f"session {ev.session_id} reported no ECE to compare with", CALIBRATION_SQL)
    ours = recomputed_ece(ev.predictions, ev.outcomes)
    if ours is None:
        raise ctx.no_data("ECE could not be recomputed (no predictions)", CALIBRATION_SQL)
    sql = f"{CALIBRATION_SQL};\n{SESSIONS_SQL}"
    return ctx.result(abs(ours - reported), sql, 2, n=len(ev.predictions))


def _reported(column: str) -> Any:
    def compute(ctx: MetricContext, part: str | None) -> MetricResult:
        row = _session(ctx)
        if row[column] is None:  # optional in training_session: absent, never invented
            raise ctx.no_data(f"the Engine did not report {column} for its training session", SESSIONS_SQL)
        n = int(row["eval_samples"]) if row["eval_samples"] else None
        return ctx.result(float(row[column]), SESSIONS_SQL, [row], n=n)

    compute.__name__ = f"session_{column}"
    return compute


def training_sessions(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, SESSIONS_SQL, latest_session(ctx))


def auc_with_interval(ctx: MetricContext) -> tuple[float, int, tuple[float, float] | None] | None:
    """The day's recomputed AUC, its n and its bootstrap interval (the one ``model_auc`` shows)."""

    def build() -> tuple[float, int, tuple[float, float] | None] | None:
        try:
            ev = evaluation(ctx)
        except NoDataError:
            return None
        value = auc(ev.predictions, ev.outcomes)
        if value is None:
            return None
        iv = bootstrap_auc(
            ev.predictions, ev.outcomes, resamples=ctx.settings.analytics.bootstrap_resamples, seed=_seed(ctx.day, 1)
        )
        return value, len(ev.predictions), iv

    return ctx.memo(("auc_interval", ctx.day), build)


def model_auc_change(ctx: MetricContext, part: str | None) -> MetricResult:
    today = _session(ctx)
    series = ctx.series(SESSIONS_SQL, PREVIOUS_SESSION_DAYS + 1)
    earlier = [d for d in series if d < ctx.day]
    if not earlier:
        raise ctx.no_data(
            f"no earlier training session in the {PREVIOUS_SESSION_DAYS} days before {ctx.day.isoformat()}",
            SESSIONS_SQL,
            PREVIOUS_SESSION_DAYS + 1,
        )
    prev_day = max(earlier)
    prev = series[prev_day][0]
    rows = int(today["rows"]) + int(prev["rows"])
    now_auc, then_auc = auc_with_interval(ctx), auc_with_interval(ctx.at(prev_day))
    if now_auc is None or then_auc is None:
        # No predictions to recompute from: the producers' numbers, unjudged (no interval).
        delta = float(today["auc"]) - float(prev["auc"])
        sizes = [int(r["eval_samples"]) for r in (today, prev) if r["eval_samples"]]
        n = min(sizes) if len(sizes) == 2 else None
        return ctx.result(delta, SESSIONS_SQL, rows, days=PREVIOUS_SESSION_DAYS + 1, n=n)
    # The one comparison learning summary and models diff make (huracan.analytics.model_change).
    change = compare_estimates("auc", _estimate(then_auc), _estimate(now_auc))
    interval = None if change.low is None or change.high is None else (change.low, change.high, "normal")
    sql = f"{CALIBRATION_SQL};\n{SESSIONS_SQL}"
    n = min(now_auc[1], then_auc[1])
    return ctx.result(change.delta, sql, rows, days=PREVIOUS_SESSION_DAYS + 1, n=n, interval=interval)


def _estimate(found: tuple[float, int, tuple[float, float] | None]) -> Estimate:
    value, n, iv = found
    return Estimate(value, se_from_interval(*iv) if iv else None, n)


def _feature_share(before: bool, week: bool = False) -> Any:
    def compute(ctx: MetricContext, part: str | None) -> MetricResult:
        from huracan.analytics.engine_moves import FEATURES_SQL, PREVIOUS_DAYS, WEEK_DAYS, feature_moves
        from huracan.plugins.builtin.metrics.catalog import RANKS

        moves = feature_moves(ctx)
        rank = RANKS.index(part or RANKS[0])
        if moves is None or len(moves.drift.moves) <= rank:
            raise ctx.no_data(
                f"no feature importances of {ctx.day.isoformat()} and of a training before it to compare",
                FEATURES_SQL,
                PREVIOUS_DAYS + 1,
            )
        move = moves.drift.moves[rank]
        session = latest_session(ctx)
        evaluated = session["eval_samples"] if session and session["session_id"] == moves.session_id else None
        n = int(evaluated) if evaluated else None
        if week:
            if not moves.week:
                raise ctx.no_data(
                    f"no training in the {WEEK_DAYS} days before {ctx.day.isoformat()}", FEATURES_SQL, WEEK_DAYS + 1
                )
            share, rows, days = moves.week[move.feature], moves.week_days + 1, WEEK_DAYS + 1
        else:
            share, rows, days = move.before if before else move.after, 2, PREVIOUS_DAYS + 1
        return ctx.result(share, FEATURES_SQL, rows, days=days, n=n, subject=move.feature)

    compute.__name__ = "feature_share_7d" if week else "feature_share_before" if before else "feature_share"
    return compute


def samples_total(ctx: MetricContext, part: str | None) -> MetricResult:
    row = _session(ctx)
    total = int(row["samples_historical"]) + int(row["samples_shadow"])
    return ctx.result(total, SESSIONS_SQL, [row], n=total)


def _samples(column: str) -> Any:
    def compute(ctx: MetricContext, part: str | None) -> MetricResult:
        row = _session(ctx)
        return ctx.result(int(row[column]), SESSIONS_SQL, [row], n=int(row[column]))

    compute.__name__ = column
    return compute


COMPUTE = {
    "training_sessions": training_sessions,
    "training_duration_s": _reported("duration_s"),
    "model_auc": model_auc,
    "model_auc_reported": _reported("auc"),
    "model_auc_change": model_auc_change,
    "model_ece": model_ece,
    "model_ece_reported": _reported("ece"),
    "model_mce": model_mce,
    "model_brier": model_brier,
    "model_log_loss": model_log_loss,
    "calibration_ece_gap": calibration_ece_gap,
    "samples_historical": _samples("samples_historical"),
    "samples_shadow": _samples("samples_shadow"),
    "samples_total": samples_total,
    "feature_share": _feature_share(before=False),
    "feature_share_before": _feature_share(before=True),
    "feature_share_7d": _feature_share(before=False, week=True),
}


@hookimpl
def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
    """The learning metrics (category ``learning``)."""
    return build_specs("learning", COMPUTE, settings)

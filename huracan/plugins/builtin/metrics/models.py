"""Model registry and export metrics: registered, exported, acknowledged by Hamilton.

An export is *acknowledged* when Hamilton logs ``model_loaded`` for the exact SHA256;
it is *pending* when, at the end of the day, it is older than
``readiness.export_ack_timeout_h`` and still unacknowledged. Readiness uses the
registry's own rule (:meth:`huracan.store.registry.ModelRegistry.readiness`).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from huracan.analytics.calibration import auc
from huracan.analytics.metric_context import MetricContext, NoDataError
from huracan.plugins import hookimpl
from huracan.plugins.builtin.metrics._common import count_result, pick
from huracan.plugins.builtin.metrics.catalog import build_specs
from huracan.plugins.builtin.metrics.learning import (
    CALIBRATION_SQL,
    SESSIONS_SQL,
    evaluation,
    latest_session,
    recomputed_ece,
)
from huracan.plugins.types import MetricResult, MetricSpec

__all__ = ["EXPORTS_SQL", "huracan_register_metrics", "model_readiness"]

REGISTERED_SQL = """SELECT day, count(*) AS rows FROM v_model_registered
WHERE day BETWEEN {start} AND {end} GROUP BY day"""

EXPORT_COUNTS_SQL = """SELECT day, count(*) AS rows, count(*) FILTER (WHERE NOT ready) AS not_ready
FROM v_model_export WHERE day BETWEEN {start} AND {end} GROUP BY day"""

LOADED_SQL = """SELECT day, count(*) AS rows FROM v_model_loaded
WHERE day BETWEEN {start} AND {end} GROUP BY day"""

# Each export with Hamilton's first acknowledgement of that exact model (if any).
EXPORTS_SQL = """SELECT e.day, e.model_id, e.ts AS exported_at, min(l.ts) AS acked_at, 1 AS rows
FROM v_model_export e LEFT JOIN v_model_loaded l ON l.model_id = e.model_id AND l.ts >= e.ts
WHERE e.day BETWEEN {start} AND {end}
GROUP BY e.day, e.model_id, e.ts"""

#: Exports older than this are no longer chased for an acknowledgement.
ACK_LOOKBACK_DAYS = 7


def _end_of(ctx: MetricContext) -> datetime:
    return datetime.combine(ctx.day + timedelta(days=1), time(0), tzinfo=UTC)


def models_registered(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, REGISTERED_SQL, pick(ctx.daily(REGISTERED_SQL)))


def models_exported(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, EXPORT_COUNTS_SQL, pick(ctx.daily(EXPORT_COUNTS_SQL)))


def exports_not_ready(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, EXPORT_COUNTS_SQL, pick(ctx.daily(EXPORT_COUNTS_SQL)), "not_ready")


def models_acknowledged(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, LOADED_SQL, pick(ctx.daily(LOADED_SQL)))


def _exports(ctx: MetricContext) -> list[dict[str, Any]]:
    series = ctx.series(EXPORTS_SQL, ACK_LOOKBACK_DAYS)
    return [r for rows in series.values() for r in rows]


def exports_pending_ack(ctx: MetricContext, part: str | None) -> MetricResult:
    end = _end_of(ctx)
    timeout = timedelta(hours=ctx.settings.readiness.export_ack_timeout_h)
    rows = _exports(ctx)
    pending = sum(
        1 for r in rows if r["exported_at"] <= end - timeout and (r["acked_at"] is None or r["acked_at"] > end)
    )
    return ctx.result(pending, EXPORTS_SQL, len(rows), days=ACK_LOOKBACK_DAYS, n=len(rows))


def export_ack_latency_s(ctx: MetricContext, part: str | None) -> MetricResult:
    acked = [
        (r["acked_at"] - r["exported_at"]).total_seconds() for r in ctx.daily(EXPORTS_SQL) if r["acked_at"] is not None
    ]
    if not acked:
        raise ctx.no_data(f"no export of {ctx.day.isoformat()} was acknowledged by Hamilton yet", EXPORTS_SQL)
    return ctx.result(sum(acked) / len(acked), EXPORTS_SQL, len(acked), n=len(acked))


def model_readiness(ctx: MetricContext) -> tuple[str, bool, list[str]]:
    """(model id, ready, reasons) of the day's model by the registry's rule.

    Judged on the recomputed AUC and ECE when the calibration event exists (the same
    inputs as ``snapshot.readiness``), else on the training run's reported ones.
    """
    from huracan.store.registry import ModelRegistry

    session = latest_session(ctx)
    if session is None:
        raise ctx.no_data(f"no training session on {ctx.day.isoformat()}: no model to judge", SESSIONS_SQL)
    metrics = {"auc": float(session["auc"]), "ece": float(session["ece"])}
    try:
        ev = evaluation(ctx)
        ours_auc, ours_ece = auc(ev.predictions, ev.outcomes), recomputed_ece(ev.predictions, ev.outcomes)
        if ours_auc is not None:
            metrics["auc"] = ours_auc
        if ours_ece is not None:
            metrics["ece"] = ours_ece
    except NoDataError:
        pass  # no calibration event: judge the session's reported numbers
    samples = int(session["samples_historical"]) + int(session["samples_shadow"])
    ready, reasons = ModelRegistry(ctx.settings).readiness(metrics, samples)
    return str(session["model_id"]), ready, reasons


def model_ready(ctx: MetricContext, part: str | None) -> MetricResult:
    _, ready, _ = model_readiness(ctx)
    return ctx.result(1.0 if ready else 0.0, f"{SESSIONS_SQL};\n{CALIBRATION_SQL}", 2)


COMPUTE = {
    "models_registered": models_registered,
    "models_exported": models_exported,
    "exports_not_ready": exports_not_ready,
    "models_acknowledged": models_acknowledged,
    "exports_pending_ack": exports_pending_ack,
    "export_ack_latency_s": export_ack_latency_s,
    "model_ready": model_ready,
}


@hookimpl
def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
    """The model registry and export metrics (category ``models``)."""
    return build_specs("models", COMPUTE, settings)

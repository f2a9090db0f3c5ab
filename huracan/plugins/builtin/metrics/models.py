"""Model registry and export metrics: registered, exported, acknowledged by Hamilton.

Readiness and acknowledgement come from :mod:`huracan.analytics.readiness`, as in
``models show`` and ``models alerts``: a ready export is *pending* when, at the end of
the day, it is older than ``readiness.export_ack_timeout_h``, unacknowledged, and not
superseded by a later export Hamilton did acknowledge.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from huracan.analytics.metric_context import MetricContext
from huracan.plugins import hookimpl
from huracan.plugins.builtin.metrics._common import count_result, pick
from huracan.plugins.builtin.metrics.catalog import build_specs
from huracan.plugins.builtin.metrics.learning import CALIBRATION_SQL, SESSIONS_SQL, latest_session
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


def _window_end(ctx: MetricContext) -> datetime:
    return datetime.combine(ctx.cache.window_end + timedelta(days=1), time(0), tzinfo=UTC)


def exports_pending_ack(ctx: MetricContext, part: str | None) -> MetricResult:
    from huracan.analytics.readiness import PENDING_SQL, ack_history

    end = _end_of(ctx)
    timeout_h = ctx.settings.readiness.export_ack_timeout_h
    # One read of the window's exports and acknowledgements serves all eight days.
    history = ctx.memo("ack_history", lambda: ack_history(ctx.cache.conn, _window_end(ctx)))
    pending = history.pending(end, timeout_h)
    bound = f"-- pending at the end of {ctx.day.isoformat()} (timeout {timeout_h:g} h)\n" + PENDING_SQL.replace(
        "?", f"TIMESTAMPTZ '{end.isoformat()}'"
    )
    return MetricResult(
        value=float(len(pending)),
        query=bound,
        row_count=len(history.exported) + len(history.acked),
        tables=("v_model_export", "v_model_loaded"),
        n=len(pending),
    )


def export_ack_latency_s(ctx: MetricContext, part: str | None) -> MetricResult:
    acked = [
        (r["acked_at"] - r["exported_at"]).total_seconds() for r in ctx.daily(EXPORTS_SQL) if r["acked_at"] is not None
    ]
    if not acked:
        raise ctx.no_data(f"no export of {ctx.day.isoformat()} was acknowledged by Hamilton yet", EXPORTS_SQL)
    return ctx.result(sum(acked) / len(acked), EXPORTS_SQL, len(acked), n=len(acked))


def model_readiness(ctx: MetricContext) -> tuple[str, bool, list[str]]:
    """(model id, ready, reasons) of the day's model, by :func:`huracan.analytics.readiness.model_readiness`."""
    from huracan.analytics.readiness import model_readiness as readiness_of

    session = latest_session(ctx)
    if session is None:
        raise ctx.no_data(f"no training session on {ctx.day.isoformat()}: no model to judge", SESSIONS_SQL)
    mid = str(session["model_id"])

    def window() -> dict[str, Any]:
        # Every model of the window judged at once (readiness does not depend on the day).
        ids = [str(rows[0]["model_id"]) for rows in ctx.cache.fetch(SESSIONS_SQL, 0, 0).values() if rows]
        return readiness_of(ctx.cache.conn, ids, ctx.settings, at=_window_end(ctx))

    judged = ctx.memo("readiness", window)
    r = judged.get(mid) or readiness_of(ctx.cache.conn, [mid], ctx.settings, at=_end_of(ctx))[mid]
    return mid, r.ready, r.reasons


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

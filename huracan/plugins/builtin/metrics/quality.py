"""Data quality: leakage rejections, missing gate inputs, late outcomes, duplicates, orphans.

* Leakage rejections are the ``alert`` events named ``leakage_rejected`` the ingest
  path logs when it refuses an event (``no_data`` until that source exists).
* Missing features: signals whose ``features`` lack an input a gate reads (the
  ``measures`` of gates.yaml that are not Signal fields or model outputs).
* Late outcomes: outcome events (shadow and live) logged more than
  ``LATE_AFTER_S`` after their ``label_cutoff_timestamp``.
* Duplicate ids: events sharing an ``event_id`` within the day.
"""

from __future__ import annotations

from typing import Any

from huracan.analytics.metric_context import MetricContext
from huracan.events import Signal
from huracan.plugins import hookimpl
from huracan.plugins.builtin.metrics._common import count_result, pick, rate_result
from huracan.plugins.builtin.metrics.catalog import build_specs
from huracan.plugins.builtin.metrics.pipeline import EVENTS_SQL
from huracan.plugins.gates_config import load_gates_config
from huracan.plugins.types import MetricResult, MetricSpec

__all__ = ["LATE_AFTER_S", "LEAKAGE_ALERT", "huracan_register_metrics", "required_features"]

LEAKAGE_ALERT = "leakage_rejected"
LATE_AFTER_S = 3600
#: Gate inputs that are not signal features: model outputs computed at decision time.
MODEL_OUTPUTS = frozenset({"meta_prob"})

LEAKAGE_SQL = """SELECT day, count(*) AS reports, coalesce(sum(coalesce(value, 1)), 0) AS rejected
FROM v_alert
WHERE name = 'leakage_rejected' AND day BETWEEN {start} AND {end}
GROUP BY day"""

LATE_SQL = f"""SELECT day, count(*) AS rows,
  count(*) FILTER (WHERE ts > label_cutoff_timestamp + INTERVAL {LATE_AFTER_S} SECOND) AS late
FROM (
  SELECT day, ts, label_cutoff_timestamp FROM v_shadow_outcome WHERE day BETWEEN {{start}} AND {{end}}
  UNION ALL
  SELECT day, ts, label_cutoff_timestamp FROM v_live_outcome WHERE day BETWEEN {{start}} AND {{end}}
) o
GROUP BY day"""

# A closed trade whose open was never logged (looked for up to 2 days earlier).
ORPHANS_SQL = """SELECT o.day, count(*) AS rows, count(*) FILTER (WHERE t.trade_id IS NULL) AS orphans
FROM v_shadow_outcome o
LEFT JOIN (
  SELECT DISTINCT trade_id FROM v_shadow_trade WHERE day BETWEEN {start} - INTERVAL 2 DAY AND {end}
) t ON t.trade_id = o.trade_id
WHERE NOT o.counterfactual AND o.day BETWEEN {start} AND {end}
GROUP BY o.day"""

#: How far back a leakage report proves the source exists.
REPORT_LOOKBACK_DAYS = 8


def required_features(settings: Any) -> list[str]:
    """Signal features the gates read (gates.yaml ``measures``, minus Signal fields and model outputs)."""
    gates = load_gates_config(settings).gates
    fields = set(Signal.model_fields)
    return sorted({g.measures for g in gates.values()} - fields - MODEL_OUTPUTS)


def _missing_sql(features: list[str]) -> str:
    cond = "false" if not features else " OR ".join(f"json_extract(features, '$.{f}') IS NULL" for f in features)
    return f"""SELECT day, count(*) AS rows, count(*) FILTER (WHERE {cond}) AS missing
FROM v_signal
WHERE day BETWEEN {{start}} AND {{end}}
GROUP BY day"""


def leakage_rejections(ctx: MetricContext, part: str | None) -> MetricResult:
    series = ctx.series(LEAKAGE_SQL, REPORT_LOOKBACK_DAYS)
    # No report in the window could mean "nothing rejected" or "nobody reports": only the
    # daemon's ingest logs these, so without any in the window we cannot tell.
    if not series:
        raise ctx.no_data(
            f"no '{LEAKAGE_ALERT}' alert events in the {REPORT_LOOKBACK_DAYS} days to {ctx.day.isoformat()}: "
            "the ingest path does not report leakage rejections to the store yet",
            LEAKAGE_SQL,
        )
    row = pick(ctx.daily(LEAKAGE_SQL))
    return ctx.result(float(row["rejected"]) if row else 0.0, LEAKAGE_SQL, int(row["reports"]) if row else 0)


def _missing(ctx: MetricContext) -> tuple[str, dict[str, Any] | None]:
    sql = ctx.memo("missing_sql", lambda: _missing_sql(required_features(ctx.settings)))
    return sql, pick(ctx.daily(sql))


def signals_missing_features(ctx: MetricContext, part: str | None) -> MetricResult:
    sql, row = _missing(ctx)
    return count_result(ctx, sql, row, "missing")


def missing_features_rate(ctx: MetricContext, part: str | None) -> MetricResult:
    sql, row = _missing(ctx)
    return rate_result(ctx, sql, row, "missing", "rows", "signals")


def late_outcomes(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, LATE_SQL, pick(ctx.daily(LATE_SQL)), "late")


def duplicate_event_ids(ctx: MetricContext, part: str | None) -> MetricResult:
    row = pick(ctx.daily(EVENTS_SQL), source=None)
    dupes = int(row["rows"]) - int(row["distinct_ids"]) if row else 0
    return ctx.result(dupes, EVENTS_SQL, [row] if row else 0, n=int(row["rows"]) if row else 0)


def orphan_outcomes(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, ORPHANS_SQL, pick(ctx.daily(ORPHANS_SQL)), "orphans")


COMPUTE = {
    "leakage_rejections": leakage_rejections,
    "signals_missing_features": signals_missing_features,
    "missing_features_rate": missing_features_rate,
    "late_outcomes": late_outcomes,
    "duplicate_event_ids": duplicate_event_ids,
    "orphan_outcomes": orphan_outcomes,
}


@hookimpl
def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
    """The data-quality metrics (category ``data_quality``)."""
    return build_specs("data_quality", COMPUTE, settings)

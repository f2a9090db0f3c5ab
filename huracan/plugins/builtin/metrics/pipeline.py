"""Pipeline health: event volume by source, drops, kill switch, alerts, decision latency.

Drops and kill-switch time come from the ingest queue monitor's ``alert`` events
(:mod:`huracan.ingest.monitor`): ``ingest_dropping`` carries the events shed since the
previous check in ``value``; ``ingest_kill_switch`` opens a kill-switch episode and
``ingest_kill_switch_recovered`` closes it. The monitor rate-limits repeated alerts, so
the drop count is a lower bound; an episode still open at the end of the data counts
up to the end of the day.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from huracan.analytics.metric_context import MetricContext
from huracan.events import EVENT_TYPES
from huracan.plugins import hookimpl
from huracan.plugins.builtin.metrics._common import count_result, pick
from huracan.plugins.builtin.metrics.catalog import build_specs
from huracan.plugins.types import MetricResult, MetricSpec

__all__ = ["DROPS_ALERT", "EVENTS_SQL", "KILL_SWITCH_ALERT", "KILL_SWITCH_RECOVERED", "huracan_register_metrics"]

DROPS_ALERT = "ingest_dropping"
KILL_SWITCH_ALERT = "ingest_kill_switch"
KILL_SWITCH_RECOVERED = "ingest_kill_switch_recovered"

_UNION = "\n  UNION ALL ".join(
    f"SELECT day, source, event_id FROM v_{t} WHERE day BETWEEN {{start}} AND {{end}}" for t in sorted(EVENT_TYPES)
)
# One scan of every view gives volume by source and duplicate ids together.
EVENTS_SQL = f"""SELECT day, source, count(*) AS rows, count(DISTINCT event_id) AS distinct_ids
FROM (
  {_UNION}
) e
GROUP BY GROUPING SETS ((day, source), (day))"""

ALERTS_SQL = """SELECT day, count(*) AS rows,
  count(*) FILTER (WHERE severity = 'CRITICAL') AS critical,
  count(*) FILTER (WHERE severity = 'ERROR') AS error,
  count(*) FILTER (WHERE severity = 'WARNING') AS warning,
  count(*) FILTER (WHERE name = 'ingest_dropping') AS drop_reports,
  coalesce(sum(value) FILTER (WHERE name = 'ingest_dropping'), 0) AS dropped
FROM v_alert
WHERE day BETWEEN {start} AND {end}
GROUP BY day"""

# Decision latency: a trace's end is the latest span end.
LATENCY_SQL = """WITH t AS (
  SELECT day, list_max(list_transform(
           from_json(spans, '[{"start_offset_ms": "DOUBLE", "duration_ms": "DOUBLE"}]'),
           lambda s: s.start_offset_ms + s.duration_ms)) AS total_ms
  FROM v_decision_trace
  WHERE day BETWEEN {start} AND {end}
)
SELECT day, count(*) AS rows,
  quantile_cont(total_ms, 0.5) AS p50_ms,
  quantile_cont(total_ms, 0.95) AS p95_ms
FROM t GROUP BY day"""

GATE_LATENCY_SQL = """SELECT day, count(*) AS rows, quantile_cont(latency_ms, 0.95) AS p95_ms
FROM v_gate_decision
WHERE day BETWEEN {start} AND {end}
GROUP BY day"""

KILL_SQL = """SELECT day, ts, name, 1 AS rows FROM v_alert
WHERE name IN ('ingest_kill_switch', 'ingest_kill_switch_recovered') AND day BETWEEN {start} AND {end}
ORDER BY ts"""
#: Days looked back for a kill-switch episode that began before the report day.
KILL_LOOKBACK_DAYS = 2


def events_total(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, EVENTS_SQL, pick(ctx.daily(EVENTS_SQL), source=part))


def events_dropped(ctx: MetricContext, part: str | None) -> MetricResult:
    row = pick(ctx.daily(ALERTS_SQL))
    value = float(row["dropped"]) if row else 0.0
    return ctx.result(value, ALERTS_SQL, int(row["drop_reports"]) if row else 0)


def kill_switch_s(ctx: MetricContext, part: str | None) -> MetricResult:
    series = ctx.series(KILL_SQL, KILL_LOOKBACK_DAYS + 1)
    rows = sorted((r for rs in series.values() for r in rs), key=lambda r: r["ts"])
    day_start = datetime.combine(ctx.day, time(0), tzinfo=UTC)
    day_end = day_start + timedelta(days=1)
    total, opened = 0.0, None
    for r in rows:
        if r["name"] == KILL_SWITCH_ALERT and opened is None:
            opened = r["ts"]
        elif r["name"] == KILL_SWITCH_RECOVERED and opened is not None:
            total += _overlap(opened, r["ts"], day_start, day_end)
            opened = None
    if opened is not None:
        total += _overlap(opened, day_end, day_start, day_end)
    return ctx.result(total, KILL_SQL, len(rows), days=KILL_LOOKBACK_DAYS + 1, n=len(rows))


def _overlap(a: datetime, b: datetime, lo: datetime, hi: datetime) -> float:
    return max(0.0, (min(b, hi) - max(a, lo)).total_seconds())


def _alerts(column: str) -> Any:
    def compute(ctx: MetricContext, part: str | None) -> MetricResult:
        return count_result(ctx, ALERTS_SQL, pick(ctx.daily(ALERTS_SQL)), column)

    compute.__name__ = f"alerts_{column}"
    return compute


def _latency(sql: str, column: str, what: str) -> Any:
    def compute(ctx: MetricContext, part: str | None) -> MetricResult:
        row = pick(ctx.daily(sql))
        if not row or row[column] is None:
            raise ctx.no_data(f"no {what} on {ctx.day.isoformat()}", sql)
        return ctx.result(float(row[column]), sql, [row], n=int(row["rows"]))

    compute.__name__ = column
    return compute


COMPUTE = {
    "events_total": events_total,
    "events_dropped": events_dropped,
    "kill_switch_s": kill_switch_s,
    "alerts_critical": _alerts("critical"),
    "alerts_error": _alerts("error"),
    "alerts_warning": _alerts("warning"),
    "decision_latency_p50_ms": _latency(LATENCY_SQL, "p50_ms", "decision traces"),
    "decision_latency_p95_ms": _latency(LATENCY_SQL, "p95_ms", "decision traces"),
    "gate_latency_p95_ms": _latency(GATE_LATENCY_SQL, "p95_ms", "gate decisions"),
}


@hookimpl
def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
    """The pipeline-health metrics (category ``pipeline``)."""
    return build_specs("pipeline", COMPUTE, settings)

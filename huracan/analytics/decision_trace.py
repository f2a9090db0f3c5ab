"""Decision traces: where the time goes between a signal and its shadow trade.

The Engine logs one ``decision_trace`` per signal: spans (``signal``, ``features``, one
per gate, ``shadow_trade``…) with start offsets and durations. :func:`trace_signal`
lays one out as a timeline beside each gate's verdict and flags the *bottleneck* —
any step taking more than :data:`BOTTLENECK_SHARE` of the total; :func:`trace_stats`
gives avg / p95 per step over a day.

Both take a connection-like reader over the ``v_*`` views (``execute().fetchall()``).

Example (CLI): ``huracan trace SIGNAL_ID`` and ``huracan trace stats --date 2025-11-06``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

__all__ = [
    "BOTTLENECK_SHARE",
    "StepStats",
    "Timeline",
    "TraceNotFound",
    "TraceStats",
    "TraceStep",
    "trace_signal",
    "trace_stats",
]

#: A step taking more than this share of a decision's total time is its bottleneck.
BOTTLENECK_SHARE = 0.20

_SPANS_JSON = '[{"name": "VARCHAR", "start_offset_ms": "DOUBLE", "duration_ms": "DOUBLE"}]'


class TraceNotFound(LookupError):
    """No decision trace was logged for the signal."""


class TraceStep(BaseModel):
    name: str
    start_ms: float
    duration_ms: float
    #: share of the decision's total time (None when the total is 0)
    share: float | None
    bottleneck: bool
    #: for gate steps: the gate's verdict, value and threshold
    passed: bool | None = None
    value: float | None = None
    threshold: float | None = None


class Timeline(BaseModel):
    signal_id: str
    ts: datetime
    outcome: str
    #: wall time from the first span's start to the last span's end
    total_ms: float
    steps: list[TraceStep]
    bottlenecks: list[str]


def trace_signal(conn: Any, signal_id: str) -> Timeline:
    """The timeline of one decision (the newest trace if it was logged twice)."""
    row = conn.execute(
        "SELECT ts, CAST(spans AS VARCHAR), outcome FROM v_decision_trace WHERE signal_id = ? ORDER BY ts DESC LIMIT 1",
        [signal_id],
    ).fetchone()
    if row is None:
        raise TraceNotFound(
            f"no decision trace for signal {signal_id!r} (looked in v_decision_trace); the Engine logs one "
            "per signal when tracing is on — check the id, or that its day is ingested"
        )
    ts, spans_json, outcome = row
    spans = sorted(json.loads(spans_json), key=lambda s: (s["start_offset_ms"], s["name"]))
    gates = {
        g: (p, v, t)
        for g, p, v, t in conn.execute(
            "SELECT gate, passed, value, threshold FROM v_gate_decision WHERE signal_id = ? ORDER BY ts",
            [signal_id],
        ).fetchall()
    }
    start = min(s["start_offset_ms"] for s in spans)
    total = max(s["start_offset_ms"] + s["duration_ms"] for s in spans) - start
    steps = []
    for s in spans:
        share = s["duration_ms"] / total if total > 0 else None
        verdict = gates.get(s["name"])
        steps.append(
            TraceStep(
                name=s["name"],
                start_ms=s["start_offset_ms"] - start,
                duration_ms=s["duration_ms"],
                share=share,
                bottleneck=share is not None and share > BOTTLENECK_SHARE,
                passed=verdict[0] if verdict else None,
                value=verdict[1] if verdict else None,
                threshold=verdict[2] if verdict else None,
            )
        )
    return Timeline(
        signal_id=signal_id,
        ts=ts,
        outcome=outcome,
        total_ms=total,
        steps=steps,
        bottlenecks=[s.name for s in steps if s.bottleneck],
    )


class StepStats(BaseModel):
    name: str
    count: int
    avg_ms: float
    p95_ms: float
    max_ms: float
    #: mean share of its decision's total time
    avg_share: float | None
    #: decisions in which this step was a bottleneck
    bottleneck_count: int


class TraceStats(BaseModel):
    day: date | None
    traces: int
    total_avg_ms: float | None
    total_p95_ms: float | None
    steps: list[StepStats]
    #: steps whose average share of the total exceeds BOTTLENECK_SHARE
    bottlenecks: list[str]


_STATS_SQL = f"""
WITH s AS (
    SELECT event_id, unnest(from_json(CAST(spans AS VARCHAR), '{_SPANS_JSON}')) AS sp
    FROM v_decision_trace WHERE day = CAST(? AS DATE)
), t AS (
    SELECT event_id, sp.name AS name, sp.start_offset_ms AS st, sp.duration_ms AS d FROM s
), tot AS (
    SELECT event_id, max(st + d) - min(st) AS total FROM t GROUP BY event_id
)
SELECT name, count(*), avg(d), quantile_cont(d, 0.95), max(d),
       avg(d / nullif(total, 0)),
       count(*) FILTER (WHERE total > 0 AND d > {BOTTLENECK_SHARE} * total),
       avg(st)
FROM t JOIN tot USING (event_id)
GROUP BY name
"""

_TOTAL_SQL = f"""
WITH s AS (
    SELECT event_id, unnest(from_json(CAST(spans AS VARCHAR), '{_SPANS_JSON}')) AS sp
    FROM v_decision_trace WHERE day = CAST(? AS DATE)
), tot AS (
    SELECT event_id, max(sp.start_offset_ms + sp.duration_ms) - min(sp.start_offset_ms) AS total
    FROM s GROUP BY event_id
)
SELECT count(*), avg(total), quantile_cont(total, 0.95) FROM tot
"""


def trace_stats(conn: Any, day: date | None = None) -> TraceStats:
    """Per step over ``day`` (default: the last day with Engine data): count, avg, p95, max, bottlenecks."""
    from huracan.analytics.days import report_day

    day = report_day(conn, day)
    if day is None:
        return TraceStats(day=None, traces=0, total_avg_ms=None, total_p95_ms=None, steps=[], bottlenecks=[])
    n, total_avg, total_p95 = conn.execute(_TOTAL_SQL, [day]).fetchone()
    rows = sorted(conn.execute(_STATS_SQL, [day]).fetchall(), key=lambda r: (r[7], r[0]))
    steps = [
        StepStats(
            name=r[0],
            count=r[1],
            avg_ms=r[2],
            p95_ms=r[3],
            max_ms=r[4],
            avg_share=r[5],
            bottleneck_count=r[6],
        )
        for r in rows
    ]
    return TraceStats(
        day=day,
        traces=int(n),
        total_avg_ms=total_avg,
        total_p95_ms=total_p95,
        steps=steps,
        bottlenecks=[s.name for s in steps if s.avg_share is not None and s.avg_share > BOTTLENECK_SHARE],
    )

"""Gate metrics: pass rates, block accuracy, what the blocks cost, overall flow.

A *block* is a signal a gate failed; its counterfactual ``shadow_outcome``
(``counterfactual = true``, ``blocked_by`` naming the failed gates) says what the trade
would have done. A block is *good* when that trade would have lost.

Grouping (#12): every gate metric counts on the day the gate **decided** — the same
rows as ``huracan gates report`` (:data:`huracan.analytics.gate_rows.GATE_ROWS_SQL`): one
decision per (signal, gate), the last if logged twice, judged by the signal's outcome
whenever it closed. Shadow-trading metrics count on the day a trade closed.

``PASS_SQL`` and ``BLOCKS_SQL`` are the definitions (and each value's provenance); the
computer builds their rows from the snapshot's one columnar read of the decisions
(:mod:`huracan.analytics.gate_days`), which a test holds equal to the SQL.
"""

from __future__ import annotations

from typing import Any

from huracan.analytics.gate_days import window_rows
from huracan.analytics.gate_rows import GATE_ROWS_SQL
from huracan.analytics.metric_context import MetricContext
from huracan.analytics.snapshot import Targets
from huracan.plugins import hookimpl
from huracan.plugins.builtin.metrics._common import count_result, pick, rate_result
from huracan.plugins.builtin.metrics.catalog import build_specs
from huracan.plugins.gates_config import GatesConfig, load_gates_config
from huracan.plugins.types import MetricResult, MetricSpec

__all__ = ["BLOCKS_SQL", "FLOW_SQL", "PASS_SQL", "huracan_register_metrics", "pass_rate_targets"]

# One decision per (signal, gate): the last, as the gate report counts them.
_DECISIONS = """WITH g AS (
  SELECT day, signal_id, gate, mode, passed FROM v_gate_decision
  WHERE day BETWEEN {start} AND {end}
  QUALIFY row_number() OVER (PARTITION BY signal_id, gate ORDER BY ts DESC) = 1
)"""

PASS_SQL = (
    _DECISIONS
    + """
SELECT day, gate, mode, count(*) AS rows, count(*) FILTER (WHERE passed) AS passed
FROM g
GROUP BY GROUPING SETS ((day, gate, mode), (day, gate))"""
)

# Each decision with its signal's outcome (the counterfactual one for a block), by the
# day the gate decided; ``gate`` NULL rows are per signal (blocked by any gate). Sums run
# in signal order: the same value whichever tier (hot or archive) the rows come from.
BLOCKS_SQL = (
    _DECISIONS
    + """, o AS (
  SELECT signal_id, arg_max(return_bps, ts) AS return_bps, arg_max(win, ts) AS win
  FROM v_shadow_outcome WHERE signal_id IN (SELECT signal_id FROM g) GROUP BY signal_id
), s AS (
  SELECT signal_id, max(day) AS day, bool_or(NOT passed) AS blocked FROM g GROUP BY signal_id
)
SELECT g.day, g.gate, count(*) AS rows,
  count(*) FILTER (WHERE NOT o.win) AS good_blocks,
  count(*) FILTER (WHERE o.win) AS blocked_winners,
  sum(o.return_bps ORDER BY signal_id) AS blocked_pnl_bps,
  NULL AS winners
FROM g JOIN o USING (signal_id) WHERE NOT g.passed
GROUP BY g.day, g.gate
UNION ALL
SELECT s.day, NULL AS gate, count(*) FILTER (WHERE s.blocked) AS rows,
  count(*) FILTER (WHERE s.blocked AND NOT o.win) AS good_blocks,
  count(*) FILTER (WHERE s.blocked AND o.win) AS blocked_winners,
  sum(o.return_bps ORDER BY signal_id) FILTER (WHERE s.blocked) AS blocked_pnl_bps,
  count(*) FILTER (WHERE o.win) AS winners
FROM s JOIN o USING (signal_id)
GROUP BY s.day"""
)

# A signal's gate decisions may be logged just after midnight: look one day ahead.
FLOW_SQL = """SELECT s.day, count(*) AS rows,
  count(*) FILTER (WHERE g.n_gates > 0 AND g.n_failed = 0) AS passed,
  count(*) FILTER (WHERE g.n_failed > 0) AS blocked,
  count(*) FILTER (WHERE g.n_gates IS NULL) AS ungated
FROM v_signal s
LEFT JOIN (
  SELECT signal_id, count(*) AS n_gates, count(*) FILTER (WHERE NOT passed) AS n_failed
  FROM v_gate_decision WHERE day BETWEEN {start} AND {end} + INTERVAL 1 DAY
  GROUP BY signal_id
) g USING (signal_id)
WHERE s.day BETWEEN {start} AND {end}
GROUP BY s.day"""


def pass_rate_targets(config: GatesConfig, gate: str, mode: str) -> Targets | None:
    """The pass-rate target of ``gate`` in ``mode`` from gates.yaml (None if it has none)."""
    cfg = config.gates.get(gate)
    return None if cfg is None else cfg.pass_rate_targets.get(mode)


def gate_pass_rate(ctx: MetricContext, part: str | None) -> MetricResult:
    assert part is not None  # registered with parts only
    gate, _, mode = part.partition(".")
    row = pick(window_rows(ctx, "pass"), gate=gate, mode=mode or None)
    return rate_result(ctx, PASS_SQL, row, "passed", "rows", f"{gate} decisions")


def gate_accuracy(ctx: MetricContext, part: str | None) -> MetricResult:
    row = pick(window_rows(ctx, "blocks"), gate=part)
    return rate_result(ctx, BLOCKS_SQL, row, "good_blocks", "rows", f"{part} blocks with a known outcome")


def gate_blocked_pnl_bps(ctx: MetricContext, part: str | None) -> MetricResult:
    row = pick(window_rows(ctx, "blocks"), gate=part)
    if not row or not row["rows"]:
        raise ctx.no_data(f"no blocked signal decided on {ctx.day.isoformat()} has an outcome yet", BLOCKS_SQL)
    return ctx.result(float(row["blocked_pnl_bps"] or 0.0), BLOCKS_SQL, [row], n=int(row["rows"]))


def gate_blocked_winners_share(ctx: MetricContext, part: str | None) -> MetricResult:
    total = pick(window_rows(ctx, "blocks"), gate=None)
    winners = int(total["winners"] or 0) if total else 0
    if winners == 0:
        raise ctx.no_data(f"no winning outcome among the signals decided on {ctx.day.isoformat()}", BLOCKS_SQL)
    row = pick(window_rows(ctx, "blocks"), gate=part)
    blocked = int(row["blocked_winners"]) if row else 0
    return ctx.result(blocked / winners, BLOCKS_SQL, [r for r in (total, row) if r], n=winners, successes=blocked)


def _flow(ctx: MetricContext) -> dict[str, Any] | None:
    return pick(ctx.daily(FLOW_SQL))


def signals(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, FLOW_SQL, _flow(ctx))


def signals_passed(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, FLOW_SQL, _flow(ctx), "passed")


def signals_blocked(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, FLOW_SQL, _flow(ctx), "blocked")


def signals_ungated(ctx: MetricContext, part: str | None) -> MetricResult:
    return count_result(ctx, FLOW_SQL, _flow(ctx), "ungated")


def gate_overall_pass_rate(ctx: MetricContext, part: str | None) -> MetricResult:
    return rate_result(ctx, FLOW_SQL, _flow(ctx), "passed", "rows", "signals")


def gates_too_strict(ctx: MetricContext, part: str | None) -> MetricResult:
    rows = [r for r in window_rows(ctx, "pass") if r["mode"] is not None]
    if not rows:
        raise ctx.no_data(f"no gate decisions on {ctx.day.isoformat()}", PASS_SQL)
    config = ctx.memo("gates_config", lambda: load_gates_config(ctx.settings))
    strict = 0
    for r in rows:
        t = pass_rate_targets(config, r["gate"], r["mode"])
        if t is not None and t.min is not None and r["passed"] / r["rows"] < t.min:
            strict += 1
    return ctx.result(strict, PASS_SQL, rows, n=len(rows))


def _threshold(which: str) -> Any:
    """The ``gate_threshold_*`` metrics of a change (:mod:`huracan.analytics.engine_moves`)."""

    def compute(ctx: MetricContext, part: str | None) -> MetricResult:
        from huracan.analytics.engine_moves import THRESHOLDS_SQL, WHATIF_DAYS, threshold_changes, threshold_what_if

        assert part is not None  # registered with parts only
        change = threshold_changes(ctx).get(part)
        if change is None:
            raise ctx.no_data(f"the Engine did not move the {part} threshold on {ctx.day.isoformat()}", THRESHOLDS_SQL)
        if which in ("set", "before"):
            moved = change.after if which == "set" else change.before
            return ctx.result(moved, THRESHOLDS_SQL, change.changes, n=change.changes)
        w = threshold_what_if(ctx, part)
        assert w is not None
        value = {"after": w.pnl_after, "before_pnl": w.pnl_before, "best": w.best_threshold}[which]
        if value is None:
            raise ctx.no_data(f"no {part} decisions in the {WHATIF_DAYS} days to {ctx.day.isoformat()}", THRESHOLDS_SQL)
        sql = f"{THRESHOLDS_SQL};\n{GATE_ROWS_SQL}"
        return ctx.result(value, sql, w.decisions, days=WHATIF_DAYS, n=w.with_outcome)

    compute.__name__ = f"gate_threshold_{which}"
    return compute


COMPUTE = {
    "gate_pass_rate": gate_pass_rate,
    "gate_accuracy": gate_accuracy,
    "gate_blocked_pnl_bps": gate_blocked_pnl_bps,
    "gate_blocked_winners_share": gate_blocked_winners_share,
    "signals": signals,
    "signals_passed": signals_passed,
    "signals_blocked": signals_blocked,
    "signals_ungated": signals_ungated,
    "gate_overall_pass_rate": gate_overall_pass_rate,
    "gates_too_strict": gates_too_strict,
    "gate_threshold_set": _threshold("set"),
    "gate_threshold_before": _threshold("before"),
    "gate_threshold_whatif_bps": _threshold("after"),
    "gate_threshold_whatif_before_bps": _threshold("before_pnl"),
    "gate_threshold_whatif_best": _threshold("best"),
}


@hookimpl
def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
    """The gate metrics (category ``gates``); per-mode pass-rate targets come from gates.yaml."""
    config = load_gates_config(settings)

    def targets(metric_id: str, part: str) -> Targets | None:
        if metric_id != "gate_pass_rate" or "." not in part:
            return None
        gate, mode = part.split(".", 1)
        return pass_rate_targets(config, gate, mode)

    return build_specs("gates", COMPUTE, settings, part_targets=targets)

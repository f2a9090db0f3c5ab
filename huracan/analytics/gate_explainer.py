"""Why a signal was blocked, and whether each gate earns its keep.

Three questions, each a function over a connection-like reader of the ``v_*`` views
(only ``execute(...).fetchall()`` / ``fetch_arrow_table()`` is used, so the daemon's
remote reader stands in for DuckDB):

* :func:`explain_signal` — per gate a sentence ("Meta-label REJECTED: predicted win
  probability 42.0% below 45.0%"), the margin, what would have to change ("needs
  +3.0 pp"), and what the trade made or would have made (the counterfactual outcome).
* :func:`gate_report` — per gate and mode: pass rate vs target and a verdict
  (a 0 % pass rate is ``too_strict`` and says so loudly), block accuracy (a *good
  block* blocked a loser, a *bad block* a winner), the same for blocks where the gate
  was the *sole* blocker, the P&L of the blocked trades, and a what-if summary.
* :func:`what_if` (in :mod:`huracan.analytics.gate_whatif`) — the same numbers if the
  threshold had been elsewhere, from the values and outcomes already recorded.

The metrics computer reuses :func:`gate_rows` and :func:`gate_stats` for its per-gate
metrics, with :data:`GATE_ROWS_SQL` as provenance.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from huracan.analytics.gate_rows import GATE_ROWS_SQL, GateRows, day_or_last, gate_rows, load_gates
from huracan.analytics.gate_whatif import WhatIfSummary, summarize_what_if
from huracan.analytics.snapshot import Targets
from huracan.plugins.types import GateSpec

__all__ = [
    "GATE_ROWS_SQL",
    "GateExplanation",
    "GateReport",
    "GateStats",
    "OutcomeInfo",
    "SignalExplanation",
    "SignalNotFound",
    "explain_signal",
    "format_delta",
    "format_value",
    "gate_report",
    "gate_rows",
    "gate_stats",
    "gate_title",
]

Verdict = Literal["too_strict", "too_loose", "ok", "no_data", "no_target"]
BlockQuality = Literal["good_block", "bad_block"]


class SignalNotFound(LookupError):
    """No signal and no gate decision has the requested id."""


# -- formatting ------------------------------------------------------------------------


def gate_title(name: str) -> str:
    """A gate's name as a sentence starts it: ``meta_label`` → "Meta-label", ``cost_gate`` → "Cost gate"."""
    if name.endswith("_gate"):
        return name[: -len("_gate")].replace("_", " ").capitalize() + " gate"
    return "-".join(name.split("_")).capitalize()


def format_value(v: float, unit: str) -> str:
    """A gate value in its unit: fractions as percent, bps with the unit, ratios with ×.

    >>> format_value(0.42, "fraction"), format_value(3.0, "bps"), format_value(0.7, "ratio")
    ('42.0%', '3.0 bps', '0.70×')
    """
    if unit == "fraction":
        return f"{v * 100:.1f}%"
    if unit == "bps":
        return f"{v:.1f} bps"
    if unit == "ratio":
        return f"{v:.2f}×"
    if unit in ("", "score"):
        return f"{v:.2f}"
    return f"{v:.2f} {unit}"


def format_delta(d: float, unit: str) -> str:
    """A signed change in the value's unit: fractions in percentage points.

    >>> format_delta(0.03, "fraction"), format_delta(-1.25, "bps")
    ('+3.0 pp', '-1.2 bps')
    """
    if unit == "fraction":
        return f"{d * 100:+.1f} pp"
    if unit == "bps":
        return f"{d:+.1f} bps"
    if unit in ("", "score", "ratio"):
        return f"{d:+.2f}"
    return f"{d:+.2f} {unit}"


# -- one signal ------------------------------------------------------------------------


class GateExplanation(BaseModel):
    gate: str
    mode: str
    passed: bool
    value: float
    threshold: float
    direction: Literal["above", "below"]
    unit: str
    #: how far the value cleared (+) or missed (-) the threshold, in the value's unit
    margin: float
    #: ``margin / |threshold|`` (None for a zero threshold)
    margin_rel: float | None
    #: the change in value the gate needed, e.g. "needs +3.0 pp" (None when it passed)
    needs: str | None
    sentence: str


class OutcomeInfo(BaseModel):
    return_bps: float
    win: bool
    counterfactual: bool
    exit_reason: str | None = None
    holding_seconds: float | None = None


class SignalExplanation(BaseModel):
    signal_id: str
    ts: datetime | None = None
    symbol: str | None = None
    mode: str | None = None
    side: str | None = None
    verdict: Literal["passed", "blocked", "not_evaluated"]
    blocked_by: list[str]
    gates: list[GateExplanation]
    outcome: OutcomeInfo | None = None
    block_quality: BlockQuality | None = None
    summary: str


def _explain_gate(row: tuple[Any, ...], spec: GateSpec | None) -> GateExplanation:
    gate, mode, passed, value, threshold, direction = row
    unit = spec.unit if spec else ""
    phrase = (spec.phrase or spec.measures) if spec else "value"
    margin = value - threshold if direction == "above" else threshold - value
    rel = margin / abs(threshold) if threshold else None
    title = gate_title(gate)
    v, t = format_value(value, unit), format_value(threshold, unit)
    if passed:
        where = "at" if value == threshold else ("above" if value > threshold else "below")
        sentence, needs = f"{title} PASSED: {phrase} {v} {where} {t}", None
    else:
        where = "below" if direction == "above" else "above"
        needs = "needs " + format_delta(threshold - value, unit)
        rel_txt = f" ({rel:+.1%} relative)" if rel is not None else ""
        sentence = f"{title} REJECTED: {phrase} {v} {where} {t}; {needs}{rel_txt}"
    return GateExplanation(
        gate=gate,
        mode=mode,
        passed=passed,
        value=value,
        threshold=threshold,
        direction=direction,
        unit=unit,
        margin=margin,
        margin_rel=rel,
        needs=needs,
        sentence=sentence,
    )


def explain_signal(conn: Any, signal_id: str, gates: Mapping[str, GateSpec] | None = None) -> SignalExplanation:
    """Explain every gate's verdict on one signal and what its trade made (or would have).

    ``gates`` gives units and phrases (``Plugins.gates()``; default: the packaged gates.yaml).
    Raises :class:`SignalNotFound` when the store has no trace of ``signal_id``.
    """
    specs = load_gates(gates)
    sig = conn.execute(
        "SELECT ts, symbol, mode, side FROM v_signal WHERE signal_id = ? ORDER BY ts DESC LIMIT 1", [signal_id]
    ).fetchone()
    decisions = conn.execute(
        "SELECT gate, mode, passed, value, threshold, direction FROM v_gate_decision "
        "WHERE signal_id = ? QUALIFY row_number() OVER (PARTITION BY gate ORDER BY ts DESC) = 1 ORDER BY gate",
        [signal_id],
    ).fetchall()
    if sig is None and not decisions:
        raise SignalNotFound(
            f"no signal {signal_id!r} in the store (looked in v_signal and v_gate_decision); "
            "check the id, or the day it happened is not ingested yet"
        )
    out = conn.execute(
        "SELECT return_bps, win, counterfactual, exit_reason, holding_seconds FROM v_shadow_outcome "
        "WHERE signal_id = ? ORDER BY ts DESC LIMIT 1",
        [signal_id],
    ).fetchone()
    order = {name: i for i, name in enumerate(specs)}
    explained = sorted(
        (_explain_gate(tuple(r), specs.get(r[0])) for r in decisions), key=lambda g: (order.get(g.gate, 99), g.gate)
    )
    blocked_by = [g.gate for g in explained if not g.passed]
    verdict: Literal["passed", "blocked", "not_evaluated"] = (
        "not_evaluated" if not explained else ("blocked" if blocked_by else "passed")
    )
    outcome = (
        OutcomeInfo(return_bps=out[0], win=out[1], counterfactual=out[2], exit_reason=out[3], holding_seconds=out[4])
        if out
        else None
    )
    quality: BlockQuality | None = None
    if verdict == "blocked" and outcome is not None:
        quality = "bad_block" if outcome.win else "good_block"
    return SignalExplanation(
        signal_id=signal_id,
        ts=sig[0] if sig else None,
        symbol=sig[1] if sig else None,
        mode=sig[2] if sig else (explained[0].mode if explained else None),
        side=sig[3] if sig else None,
        verdict=verdict,
        blocked_by=blocked_by,
        gates=explained,
        outcome=outcome,
        block_quality=quality,
        summary=_summary(verdict, blocked_by, outcome, quality),
    )


def _summary(verdict: str, blocked_by: list[str], outcome: OutcomeInfo | None, quality: str | None) -> str:
    if verdict == "not_evaluated":
        return "No gate decision was recorded for this signal."
    if verdict == "passed":
        head = "Passed every gate and opened a shadow trade."
        if outcome is None:
            return head + " The trade has no recorded outcome yet."
        return head + f" It made {outcome.return_bps:+.1f} bps ({'a winner' if outcome.win else 'a loser'})."
    names = ", ".join(gate_title(g) for g in blocked_by)
    head = f"Blocked by {names}."
    if outcome is None:
        return head + " No counterfactual outcome is recorded, so whether the block was right is unknown."
    kind = "a good block: it would have lost" if quality == "good_block" else "a bad block: it would have won"
    return head + f" Had it traded it would have made {outcome.return_bps:+.1f} bps — {kind}."


# -- per gate over a day ---------------------------------------------------------------


class GateStats(BaseModel):
    """One gate in one mode over the rows given to :func:`gate_stats`."""

    gate: str
    mode: str
    threshold: float | None
    n: int
    passed: int
    pass_rate: float | None
    targets: Targets | None
    verdict: Verdict
    verdict_reason: str
    blocks: int
    #: blocks whose counterfactual outcome is known
    blocks_with_outcome: int
    good_blocks: int
    bad_blocks: int
    accuracy: float | None
    sole_blocks: int
    sole_good_blocks: int
    sole_accuracy: float | None
    #: what the blocked trades would have made, summed (negative: the gate saved that much)
    blocked_pnl_bps: float
    #: the same over blocks where this gate alone blocked (the gate's own effect)
    sole_blocked_pnl_bps: float


class GateReport(BaseModel):
    day: date | None
    gates: list[GateStats]
    what_if: list[WhatIfSummary]
    query: str = GATE_ROWS_SQL

    def get(self, gate: str, mode: str) -> GateStats | None:
        return next((g for g in self.gates if g.gate == gate and g.mode == mode), None)


def _verdict(n: int, rate: float | None, t: Targets | None) -> tuple[Verdict, str]:
    if n == 0 or rate is None:
        return "no_data", "no decisions recorded"
    if rate == 0.0:
        return "too_strict", f"0% PASS RATE: blocked all {n} signals — the gate is shut"
    if t is None:
        return "no_target", f"pass rate {rate:.1%}; no target set in gates.yaml"
    if t.min is not None and rate < t.min:
        return "too_strict", f"pass rate {rate:.1%} below the {t.min:.1%} minimum"
    if t.max is not None and rate > t.max:
        return "too_loose", f"pass rate {rate:.1%} above the {t.max:.1%} maximum"
    return "ok", f"pass rate {rate:.1%} within target"


def gate_stats(rows: GateRows, gate: str, mode: str, spec: GateSpec | None = None) -> GateStats:
    """Pass rate, verdict, block accuracy and blocked P&L for one gate and mode."""
    import numpy as np

    sel = rows.select(gate, mode)
    n = int(sel.passed.size)
    passed = int(sel.passed.sum())
    blocked = ~sel.passed
    known = blocked & sel.has_outcome
    good = known & ~sel.win
    sole = known & (sel.n_failed == 1)
    rate = passed / n if n else None
    targets = spec.pass_rate_targets.get(mode) if spec else None
    verdict, reason = _verdict(n, rate, targets)
    threshold = float(sel.threshold[-1]) if n else (spec.thresholds.get(mode) if spec else None)
    return GateStats(
        gate=gate,
        mode=mode,
        threshold=threshold,
        n=n,
        passed=passed,
        pass_rate=rate,
        targets=targets,
        verdict=verdict,
        verdict_reason=reason,
        blocks=int(blocked.sum()),
        blocks_with_outcome=int(known.sum()),
        good_blocks=int(good.sum()),
        bad_blocks=int((known & sel.win).sum()),
        accuracy=float(good.sum() / known.sum()) if known.any() else None,
        sole_blocks=int(sole.sum()),
        sole_good_blocks=int((sole & ~sel.win).sum()),
        sole_accuracy=float((sole & ~sel.win).sum() / sole.sum()) if sole.any() else None,
        blocked_pnl_bps=float(np.sum(sel.return_bps[known])),
        sole_blocked_pnl_bps=float(np.sum(sel.return_bps[sole])),
    )


def gate_report(conn: Any, day: date | None = None, gates: Mapping[str, GateSpec] | None = None) -> GateReport:
    """Every gate × mode on ``day`` (default: the last day with Engine data, :mod:`huracan.analytics.days`).

    Gates that are configured but logged nothing still appear (``no_data``), so a gate
    the Engine silently stopped evaluating is visible.
    """
    specs = load_gates(gates)
    the_day = day_or_last(conn, day)
    rows = gate_rows(conn, the_day, the_day)
    pairs = set(rows.pairs()) | {(g, m) for g, s in specs.items() for m in s.thresholds}
    order = {name: i for i, name in enumerate(specs)}
    pairs_sorted = sorted(pairs, key=lambda p: (order.get(p[0], 99), p[0], p[1]))
    stats = [gate_stats(rows, g, m, specs.get(g)) for g, m in pairs_sorted]
    summaries = [summarize_what_if(rows, g, m, specs.get(g)) for g, m in pairs_sorted]
    return GateReport(day=the_day, gates=stats, what_if=[s for s in summaries if s is not None])

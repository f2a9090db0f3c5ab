"""The gate metrics' daily rows, computed from the snapshot's gate frame instead of SQL.

``PASS_SQL`` and ``BLOCKS_SQL`` (:mod:`huracan.plugins.builtin.metrics.gates`) define
the per-day gate metrics, and their text stays each metric's provenance: anyone can
re-run it. The metrics computer reads the decisions of its window once, as columns
(:class:`~huracan.analytics.gate_rows.GateFrame`, shared with the threshold what-if),
and builds the same rows here — one decision per (signal, gate) over the window (the
last), counted on the day it was decided, sums in ``signal_id`` order as the SQL adds
them — instead of running both queries (at 10× the trading volume they were a quarter
of the snapshot's CPU).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from huracan.analytics.engine_moves import WHATIF_DAYS
from huracan.analytics.gate_rows import EPOCH, Decisions, GateFrame
from huracan.analytics.metric_context import MetricContext, NoDataError, _is_missing_table, tables_of

__all__ = ["block_rows", "pass_rows", "snapshot_frame", "window_rows"]

Rows = dict[date, list[dict[str, Any]]]


def snapshot_frame(ctx: MetricContext, start: date | None = None) -> GateFrame:
    """The decisions of the computer's window and of every what-if window ending in it,
    fetched once per snapshot; a ``start`` outside it (a context built by hand) gets its own."""
    cache = ctx.cache
    frame: GateFrame = ctx.memo(
        "gate_frame", lambda: _fetch(cache.conn, cache.window_start - timedelta(days=WHATIF_DAYS - 1), cache.window_end)
    )
    first = cache.window_start if start is None else start
    if frame.covers(first, ctx.day):
        return frame
    return ctx.memo(("gate_frame", first, ctx.day), lambda: _fetch(cache.conn, first, ctx.day))


def _fetch(conn: Any, start: date, end: date) -> GateFrame:
    try:
        return GateFrame.fetch(conn, start, end)
    except Exception as exc:  # as the query cache words it: a store that never saw such events
        if _is_missing_table(exc):
            sql = "SELECT * FROM v_gate_decision, v_shadow_outcome"
            raise NoDataError(
                f"the store has no table for gate decisions or outcomes yet: {str(exc).splitlines()[0]}",
                tables=tables_of(sql),
            ) from exc
        raise


def window_rows(ctx: MetricContext, which: str) -> list[dict[str, Any]]:
    """``ctx.day``'s rows of ``"pass"`` or ``"blocks"`` (PASS_SQL / BLOCKS_SQL over the window)."""

    def build() -> Rows:
        cache = ctx.cache
        frame = snapshot_frame(ctx.at(cache.window_end), cache.window_start)
        d = frame.decisions(cache.window_start, cache.window_end)
        return pass_rows(d) if which == "pass" else block_rows(d)

    return ctx.memo(("gate_window_rows", which), build).get(ctx.day, [])


def _day(n: Any) -> date:
    return EPOCH + timedelta(days=int(n))


def _groups(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct key tuple (in key order) and every row's group number."""
    if keys[0].size == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    combined = np.zeros(keys[0].size, dtype=np.int64)
    for k in keys:  # small non-negative codes: one int64 key per tuple
        k = k - k.min()
        combined = combined * (int(k.max()) + 1) + k
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def _ordered_sum(values: np.ndarray) -> float:
    """``sum(v ORDER BY signal_id)`` of values already in signal order: added one by one, as DuckDB does."""
    return float(np.cumsum(values)[-1])


def pass_rows(d: Decisions) -> Rows:
    """``PASS_SQL``'s rows by day: per (day, gate, mode) and per (day, gate), decisions and passes."""
    out: Rows = {}
    for keys, with_mode in (((d.day, d.gate_code, d.mode_code), True), ((d.day, d.gate_code), False)):
        first, grp = _groups(*keys)
        rows = np.bincount(grp, minlength=first.size)
        passed = np.bincount(grp, weights=d.passed, minlength=first.size)
        for k, i in enumerate(first):
            out.setdefault(_day(d.day[i]), []).append(
                {
                    "day": _day(d.day[i]),
                    "gate": d.gate_names[d.gate_code[i]],
                    "mode": d.mode_names[d.mode_code[i]] if with_mode else None,
                    "rows": int(rows[k]),
                    "passed": int(passed[k]),
                }
            )
    return out


def block_rows(d: Decisions) -> Rows:
    """``BLOCKS_SQL``'s rows by day: per (decision day, gate) the failed decisions with an outcome;
    per signal day (its last decision's day) the blocked signals with an outcome and the winners."""
    out: Rows = {}
    idx = np.flatnonzero(~d.passed & d.has_outcome)  # in signal order
    first, grp = _groups(d.day[idx], d.gate_code[idx])
    for k in range(first.size):
        sel = idx[grp == k]
        win, i = d.win[sel], sel[0]
        out.setdefault(_day(d.day[i]), []).append(
            {
                "day": _day(d.day[i]),
                "gate": d.gate_names[d.gate_code[i]],
                "rows": int(sel.size),
                "good_blocks": int((~win).sum()),
                "blocked_winners": int(win.sum()),
                "blocked_pnl_bps": _ordered_sum(d.return_bps[sel]),
                "winners": None,
            }
        )
    if d.sid.size == 0:
        return out
    # One entry per signal (rows are grouped by signal): the outcome columns are the signal's.
    starts = np.flatnonzero(np.r_[True, d.sid[1:] != d.sid[:-1]])
    sday = np.maximum.reduceat(d.day, starts)
    blocked = np.logical_or.reduceat(~d.passed, starts)
    known = d.has_outcome[starts]
    s_day, s_blocked = sday[known], blocked[known]
    s_win, s_ret = d.win[starts][known], d.return_bps[starts][known]
    for day_n in np.unique(s_day):
        on = s_day == day_n
        b = on & s_blocked
        out.setdefault(_day(day_n), []).append(
            {
                "day": _day(day_n),
                "gate": None,
                "rows": int(b.sum()),
                "good_blocks": int((b & ~s_win).sum()),
                "blocked_winners": int((b & s_win).sum()),
                "blocked_pnl_bps": _ordered_sum(s_ret[b]) if b.any() else None,
                "winners": int((on & s_win).sum()),
            }
        )
    return out

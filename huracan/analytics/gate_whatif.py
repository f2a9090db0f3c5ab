"""Threshold what-if: what a gate would have done at other thresholds, from recorded data.

For every recorded decision we know the gate's input value, whether the *other* gates
passed, and the signal's outcome (the shadow trade's close, or the counterfactual
outcome of a blocked signal). Moving one gate's threshold therefore changes, exactly:
its pass rate, which signals it blocks (and whether they were losers: the good-block
rate), and which signals would have traded — and what they made.

Example (CLI): ``huracan gates what-if meta_label --mode scalp``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from huracan.analytics.gate_rows import GATE_ROWS_SQL, GateRows, day_or_last, gate_rows, load_gates
from huracan.plugins.types import GateSpec

__all__ = [
    "WhatIf",
    "WhatIfPoint",
    "WhatIfSummary",
    "default_thresholds",
    "replay",
    "summarize_what_if",
    "what_if",
]


class WhatIfPoint(BaseModel):
    threshold: float
    is_current: bool
    pass_rate: float | None
    blocks: int
    #: share of blocked signals (with a known outcome) that were losers
    good_block_rate: float | None
    #: signals that would have traded: this gate passes at ``threshold`` and every other gate passed
    traded: int
    traded_with_outcome: int
    win_rate: float | None
    #: what those trades made, summed
    pnl_bps: float


class WhatIf(BaseModel):
    gate: str
    mode: str
    direction: Literal["above", "below"]
    start: date | None
    end: date | None
    n: int
    current_threshold: float | None
    points: list[WhatIfPoint]
    #: the point with the highest P&L (ties: the one closest to the current threshold)
    best: WhatIfPoint | None
    query: str = GATE_ROWS_SQL


class WhatIfSummary(BaseModel):
    gate: str
    mode: str
    current_threshold: float | None
    current_pnl_bps: float
    best_threshold: float | None
    best_pnl_bps: float | None
    ideal_pass_rate: float | None
    #: the threshold at which the recorded values would have met the ideal pass rate
    threshold_for_ideal: float | None


def default_thresholds(values: np.ndarray, current: float | None, n: int = 11) -> list[float]:
    """``n`` evenly spaced thresholds over the 5th–95th percentile of ``values``, plus ``current``."""
    if values.size == 0:
        return [current] if current is not None else []
    lo, hi = (float(x) for x in np.quantile(values, [0.05, 0.95]))
    if current is not None:
        lo, hi = min(lo, current), max(hi, current)
    grid = {round(float(x), 6) for x in np.linspace(lo, hi, n)}
    if current is not None:
        grid.add(current)
    return sorted(grid)


def _passes(values: np.ndarray, t: float, direction: str) -> np.ndarray:
    return values >= t if direction == "above" else values <= t


def _point(sel: GateRows, t: float, direction: str, current: float | None) -> WhatIfPoint:
    ok = _passes(sel.value, t, direction)
    blocked = ~ok & sel.has_outcome
    traded = ok & sel.others_passed
    known = traded & sel.has_outcome
    n = sel.value.size
    return WhatIfPoint(
        threshold=t,
        is_current=current is not None and bool(np.isclose(t, current)),
        pass_rate=float(ok.mean()) if n else None,
        blocks=int((~ok).sum()),
        good_block_rate=float((blocked & ~sel.win).sum() / blocked.sum()) if blocked.any() else None,
        traded=int(traded.sum()),
        traded_with_outcome=int(known.sum()),
        win_rate=float((known & sel.win).sum() / known.sum()) if known.any() else None,
        pnl_bps=float(sel.return_bps[known].sum()),
    )


def _best(points: list[WhatIfPoint], current: float | None) -> WhatIfPoint | None:
    if not points:
        return None
    ref = current if current is not None else 0.0
    return max(points, key=lambda p: (round(p.pnl_bps, 9), -abs(p.threshold - ref)))


def _sweep(
    sel: GateRows, direction: str, current: float | None, thresholds: Sequence[float] | None
) -> list[WhatIfPoint]:
    grid = sorted(set(thresholds)) if thresholds else default_thresholds(sel.value, current)
    return [_point(sel, float(t), direction, current) for t in grid]


def _threshold_for_rate(values: np.ndarray, rate: float, direction: str) -> float | None:
    if values.size == 0:
        return None
    q = 1.0 - rate if direction == "above" else rate
    return float(np.quantile(values, min(max(q, 0.0), 1.0)))


def what_if(
    conn: Any,
    gate: str,
    mode: str,
    thresholds: Sequence[float] | None = None,
    start: date | None = None,
    end: date | None = None,
    gates: Mapping[str, GateSpec] | None = None,
) -> WhatIf:
    """Sweep ``gate``'s threshold in ``mode`` over recorded decisions of ``start..end``.

    Days default to the 7 days ending on the last day with Engine data; thresholds
    to :func:`default_thresholds`. Raises ``LookupError`` for a gate nobody registered
    that has no recorded decisions either.
    """
    specs = load_gates(gates)
    end = day_or_last(conn, end)
    start = start or (end - timedelta(days=6) if end else None)
    sel = gate_rows(conn, start, end).select(gate, mode)
    spec = specs.get(gate)
    if spec is None and len(sel) == 0:
        raise LookupError(
            f"unknown gate {gate!r}: no plugin registers it and no decisions were recorded for it; "
            f"known gates: {', '.join(specs)}"
        )
    direction: str = str(sel.direction[-1]) if len(sel) else (spec.direction if spec else "above")
    current = float(sel.threshold[-1]) if len(sel) else (spec.thresholds.get(mode) if spec else None)
    points = _sweep(sel, direction, current, thresholds)
    return WhatIf(
        gate=gate,
        mode=mode,
        direction="below" if direction == "below" else "above",
        start=start,
        end=end,
        n=len(sel),
        current_threshold=current,
        points=points,
        best=_best(points, current),
    )


def summarize_what_if(rows: GateRows, gate: str, mode: str, spec: GateSpec | None) -> WhatIfSummary | None:
    """The gate report's one-line what-if: the best threshold on the default grid and the ideal-rate one."""
    sel = rows.select(gate, mode)
    if len(sel) == 0:
        return None
    direction = str(sel.direction[-1])
    current = float(sel.threshold[-1])
    points = _sweep(sel, direction, current, None)
    best = _best(points, current)
    cur = next((p for p in points if p.is_current), _point(sel, current, direction, current))
    targets = spec.pass_rate_targets.get(mode) if spec else None
    ideal = targets.ideal if targets else None
    return WhatIfSummary(
        gate=gate,
        mode=mode,
        current_threshold=current,
        current_pnl_bps=cur.pnl_bps,
        best_threshold=best.threshold if best else None,
        best_pnl_bps=best.pnl_bps if best else None,
        ideal_pass_rate=ideal,
        threshold_for_ideal=_threshold_for_rate(sel.value, ideal, direction) if ideal is not None else None,
    )


def replay(sel: GateRows, thresholds: Sequence[float]) -> tuple[list[WhatIfPoint], WhatIfPoint | None]:
    """``sel`` (one gate and mode) at each of ``thresholds``, and the best point of the default
    grid with them (None without decisions): what a threshold change would have done (#12)."""
    if len(sel) == 0:
        empty = GateRows.empty()
        return [_point(empty, float(t), "above", None) for t in thresholds], None
    direction = str(sel.direction[-1])
    current = float(sel.threshold[-1])
    asked = [_point(sel, float(t), direction, current) for t in thresholds]
    grid = [_point(sel, t, direction, current) for t in default_thresholds(sel.value, current)]
    return asked, _best(grid + asked, current)

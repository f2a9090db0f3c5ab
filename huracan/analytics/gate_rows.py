"""The recorded gate decisions joined with each signal's outcome, as numpy columns.

One query (:data:`GATE_ROWS_SQL`) feeds the gate report, the threshold what-if and
the metrics computer's per-gate metrics, so they all count the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from huracan.plugins.types import GateSpec

__all__ = ["GATE_ROWS_SQL", "GateRows", "day_or_last", "gate_rows", "load_gates"]

#: One row per (signal, gate) — the last decision if one was logged twice — with how
#: many gates failed that signal and its outcome (the shadow trade's close, or the
#: counterfactual outcome of a blocked signal; the newest if several).
GATE_ROWS_SQL = """
WITH g AS (
    SELECT signal_id, gate, mode, passed, value, threshold, direction, ts
    FROM v_gate_decision
    WHERE day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
    QUALIFY row_number() OVER (PARTITION BY signal_id, gate ORDER BY ts DESC) = 1
), o AS (
    SELECT signal_id, arg_max(return_bps, ts) AS return_bps, arg_max(win, ts) AS win
    FROM v_shadow_outcome
    WHERE signal_id IN (SELECT signal_id FROM g)
    GROUP BY signal_id
)
SELECT g.gate, g.mode, g.passed, g.value, g.threshold, g.direction,
       count(*) FILTER (WHERE NOT g.passed) OVER (PARTITION BY g.signal_id) AS n_failed,
       o.return_bps, o.win
FROM g LEFT JOIN o ON o.signal_id = g.signal_id
ORDER BY g.ts, g.gate
""".strip()


@dataclass(frozen=True)
class GateRows:
    """Column arrays of :data:`GATE_ROWS_SQL`; ``has_outcome`` marks rows whose outcome is known."""

    gate: np.ndarray
    mode: np.ndarray
    passed: np.ndarray
    value: np.ndarray
    threshold: np.ndarray
    direction: np.ndarray
    n_failed: np.ndarray
    has_outcome: np.ndarray
    return_bps: np.ndarray
    win: np.ndarray

    @classmethod
    def empty(cls) -> GateRows:
        e = np.array([], dtype=object)
        f = np.array([], dtype=float)
        b = np.array([], dtype=bool)
        return cls(e, e, b, f, f, e, np.array([], dtype=int), b, f, b)

    def __len__(self) -> int:
        return int(self.passed.size)

    def select(self, gate: str, mode: str) -> GateRows:
        """The rows of one gate in one mode."""
        m = (self.gate == gate) & (self.mode == mode)
        return GateRows(**{k: getattr(self, k)[m] for k in self.__dataclass_fields__})

    def pairs(self) -> list[tuple[str, str]]:
        """The distinct (gate, mode) pairs present."""
        return sorted({(str(g), str(m)) for g, m in zip(self.gate, self.mode, strict=True)})

    @property
    def others_passed(self) -> np.ndarray:
        """Whether every *other* gate passed the row's signal."""
        return (self.n_failed - (~self.passed).astype(int)) == 0


def gate_rows(conn: Any, start: date | None, end: date | None) -> GateRows:
    """Fetch :data:`GATE_ROWS_SQL` for the UTC days ``start..end`` (empty when either is None)."""
    if start is None or end is None:
        return GateRows.empty()
    rows = conn.execute(GATE_ROWS_SQL, [start, end]).fetchall()
    if not rows:
        return GateRows.empty()
    cols = list(zip(*rows, strict=True))
    ret = np.array([np.nan if r is None else r for r in cols[7]], dtype=float)
    return GateRows(
        gate=np.array(cols[0], dtype=object),
        mode=np.array(cols[1], dtype=object),
        passed=np.array(cols[2], dtype=bool),
        value=np.array(cols[3], dtype=float),
        threshold=np.array(cols[4], dtype=float),
        direction=np.array(cols[5], dtype=object),
        n_failed=np.array(cols[6], dtype=int),
        has_outcome=~np.isnan(ret),
        return_bps=np.nan_to_num(ret, nan=0.0),
        win=np.array([bool(w) for w in cols[8]], dtype=bool),
    )


def day_or_last(conn: Any, day: date | None) -> date | None:
    """``day``, or the report day of :func:`huracan.analytics.days.report_day` (None for an empty store)."""
    from huracan.analytics.days import report_day

    return report_day(conn, day)


def load_gates(gates: Mapping[str, GateSpec] | None) -> dict[str, GateSpec]:
    """``gates`` as a dict, or the packaged gates.yaml's gates when None."""
    if gates is not None:
        return dict(gates)
    from huracan.plugins.builtin.gates import gate_specs
    from huracan.plugins.gates_config import load_gates_config

    return {g.name: g for g in gate_specs(load_gates_config())}

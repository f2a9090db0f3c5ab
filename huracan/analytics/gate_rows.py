"""The recorded gate decisions joined with each signal's outcome, as numpy columns.

One definition (:data:`GATE_ROWS_SQL`) feeds the gate report, the threshold what-if and
the metrics computer's per-gate metrics, so they all count the same rows.

:class:`GateFrame` is how those rows are read: one columnar fetch of the raw decisions
of a span of days (:data:`FRAME_SQL`), from which :meth:`GateFrame.rows` derives the
rows :data:`GATE_ROWS_SQL` gives for any window inside the span. The metrics snapshot
replays a threshold change on the 7 days ending on each day it computes; one fetch
serves all of them instead of one query and a Python tuple per row each (#12: the
snapshot at 10× the trading volume cost 6.5× the CPU, 71 % of it here).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from huracan.plugins.types import GateSpec

__all__ = [
    "EPOCH",
    "FRAME_SQL",
    "GATE_ROWS_SQL",
    "Decisions",
    "GateFrame",
    "GateRows",
    "day_or_last",
    "gate_rows",
    "load_gates",
]

#: One row per (signal, gate) — the last decision if one was logged twice — with how
#: many gates failed that signal and its outcome (the shadow trade's close, or the
#: counterfactual outcome of a blocked signal; the newest if several). Both the
#: dedup and ``n_failed`` see only the window's days.
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

#: Every decision of the days ``?..?`` (not yet deduplicated: that depends on the
#: window) with its signal's outcome, which does not; ``sid`` numbers the signals in
#: ``signal_id`` order, so the numpy side never handles the id strings.
FRAME_SQL = """
WITH g AS (
    SELECT signal_id, gate, mode, passed, value, threshold, direction, ts, day
    FROM v_gate_decision
    WHERE day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
), o AS (
    SELECT signal_id, arg_max(return_bps, ts) AS return_bps, arg_max(win, ts) AS win
    FROM v_shadow_outcome
    WHERE signal_id IN (SELECT signal_id FROM g)
    GROUP BY signal_id
), s AS (
    SELECT signal_id, row_number() OVER (ORDER BY signal_id) AS sid
    FROM (SELECT DISTINCT signal_id FROM g)
)
SELECT s.sid, g.gate, g.mode, g.passed, g.value, g.threshold, g.direction,
       epoch_us(g.ts) AS ts_us, datediff('day', DATE '1970-01-01', g.day) AS day_n,
       o.return_bps IS NOT NULL AS has_outcome, coalesce(o.return_bps, 0.0) AS return_bps,
       coalesce(o.win, false) AS win
FROM g JOIN s USING (signal_id) LEFT JOIN o USING (signal_id)
""".strip()

#: Day numbers count from here (``day_n`` in :data:`FRAME_SQL`).
EPOCH = date(1970, 1, 1)
_TEXT = frozenset({"gate", "mode", "direction"})
_WARNINGS_LOCK = threading.Lock()


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


def _columns(cur: Any, text: frozenset[str]) -> dict[str, Any]:
    """A result's columns as numpy arrays (NULL: NaN in a float column, else None); each ``text``
    column as ``(sorted names + [None], codes)``. Arrow when the connection offers it (a local
    DuckDB cursor, the daemon's proxy); rows for anything keeping only the minimal contract."""
    if hasattr(cur, "to_arrow_table"):
        # DuckDB notes the copy a DB-API cursor makes; the contract allows only this call.
        # catch_warnings swaps process-wide state: one thread at a time (jobs run in threads).
        with _WARNINGS_LOCK, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
            table = cur.to_arrow_table()
        return {n: _arrow_column(c, n in text) for n, c in zip(table.column_names, table.columns, strict=True)}
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return {n: _py_column(list(c), n in text) for n, c in zip(names, cols, strict=True)}


def _arrow_column(col: Any, text: bool) -> Any:
    if text:
        enc = col.combine_chunks().dictionary_encode()
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return _sorted_codes(enc.dictionary.to_pylist(), codes)
    if col.null_count:
        return np.array(col.to_pylist(), dtype=object)
    return col.to_numpy()


def _py_column(values: list[Any], text: bool) -> Any:
    if text:
        index: dict[str, int] = {}
        codes = np.array([-1 if v is None else index.setdefault(v, len(index)) for v in values], dtype=np.int64)
        return _sorted_codes(list(index), codes)
    return np.array(values, dtype=object)


def _sorted_codes(names: list[str], codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber ``codes`` (-1: NULL) so that their order is the names' order (SQL sorts NULL last)."""
    order = sorted(range(len(names)), key=names.__getitem__)
    remap = np.empty(len(names) + 1, dtype=np.int64)
    remap[order] = np.arange(len(names))
    remap[-1] = len(names)  # -1 indexes the last slot: NULL
    return np.array([*(names[i] for i in order), None], dtype=object), remap[codes]


def _day_n(d: date) -> int:
    return (d - EPOCH).days


class GateFrame:
    """The raw decisions of ``start..end`` in columns, and :data:`GATE_ROWS_SQL`'s rows of any window inside.

    Fetch with :meth:`fetch`; :meth:`rows` deduplicates per (signal, gate) and counts
    each signal's failed gates over the window's days only, as the SQL does, so a
    signal whose decisions straddle a window's edge is counted the same way.
    """

    def __init__(self, start: date, end: date, cols: Mapping[str, np.ndarray]) -> None:
        self.start, self.end = start, end
        self._gates, gate = cols["gate"]
        self._modes, mode = cols["mode"]
        self._dirs, direction = cols["direction"]
        sid = np.asarray(cols["sid"], dtype=np.int64)
        ts = np.asarray(cols["ts_us"], dtype=np.int64)
        # Newest first within each (signal, gate): a window keeps its first row of a group.
        order = np.lexsort((-ts, gate, sid))
        self._sid, self._gate, self._ts = sid[order], gate[order], ts[order]
        self._mode, self._dir = mode[order], direction[order]
        self._day = np.asarray(cols["day_n"], dtype=np.int64)[order]
        self._passed = np.asarray(cols["passed"], dtype=bool)[order]
        self._value = np.asarray(cols["value"], dtype=float)[order]
        self._threshold = np.asarray(cols["threshold"], dtype=float)[order]
        self._has_outcome = np.asarray(cols["has_outcome"], dtype=bool)[order]
        self._return = np.asarray(cols["return_bps"], dtype=float)[order]
        self._win = np.asarray(cols["win"], dtype=bool)[order]
        self._group = sid[order] * (len(self._gates) + 1) + gate[order]

    @classmethod
    def fetch(cls, conn: Any, start: date, end: date) -> GateFrame:
        """One query (:data:`FRAME_SQL`) for the UTC days ``start..end``."""
        return cls(start, end, _columns(conn.execute(FRAME_SQL, [start, end]), _TEXT))

    def covers(self, start: date, end: date) -> bool:
        """Whether ``start..end`` lies inside the fetched days."""
        return self.start <= start and end <= self.end

    def _kept(self, start: date, end: date) -> np.ndarray:
        """Indices of the window's last decision per (signal, gate), in (signal, gate) order."""
        if not self.covers(start, end):
            raise ValueError(f"days {start}..{end} are outside the fetched {self.start}..{self.end}")
        idx = np.flatnonzero((self._day >= _day_n(start)) & (self._day <= _day_n(end)))
        grp = self._group[idx]
        first = np.ones(idx.size, dtype=bool)
        first[1:] = grp[1:] != grp[:-1]
        return idx[first]

    def decisions(self, start: date, end: date) -> Decisions:
        """The window's decisions, one per (signal, gate), grouped by signal."""
        keep = self._kept(start, end)
        return Decisions(
            day=self._day[keep],
            sid=self._sid[keep],
            gate_code=self._gate[keep],
            mode_code=self._mode[keep],
            gate_names=self._gates,
            mode_names=self._modes,
            passed=self._passed[keep],
            has_outcome=self._has_outcome[keep],
            return_bps=self._return[keep],
            win=self._win[keep],
        )

    def rows(self, start: date, end: date, gate: str | None = None, mode: str | None = None) -> GateRows:
        """:data:`GATE_ROWS_SQL`'s rows for ``start..end`` (a window inside the frame), in its
        order; only those of ``gate`` / ``mode`` when given (the counts still see every gate)."""
        keep = self._kept(start, end)
        if keep.size == 0:
            return GateRows.empty()
        sid = self._sid[keep]
        failed = np.bincount(sid, weights=~self._passed[keep], minlength=int(sid.max()) + 1)
        n_failed = failed.astype(np.int64)[sid]
        want = np.ones(keep.size, dtype=bool)
        if gate is not None:
            want &= self._gates[self._gate[keep]] == gate
        if mode is not None:
            want &= self._modes[self._mode[keep]] == mode
        keep, n_failed = keep[want], n_failed[want]
        # ORDER BY ts, gate; ties, which the SQL leaves unordered, by signal_id
        order = np.lexsort((self._sid[keep], self._gate[keep], self._ts[keep]))
        keep, n_failed = keep[order], n_failed[order]
        return GateRows(
            gate=self._gates[self._gate[keep]],
            mode=self._modes[self._mode[keep]],
            passed=self._passed[keep],
            value=self._value[keep],
            threshold=self._threshold[keep],
            direction=self._dirs[self._dir[keep]],
            n_failed=n_failed,
            has_outcome=self._has_outcome[keep],
            return_bps=self._return[keep],
            win=self._win[keep],
        )


@dataclass(frozen=True)
class Decisions:
    """A window's decisions (:meth:`GateFrame.decisions`): one per (signal, gate), rows of a
    signal together and signals in ``signal_id`` order; the outcome columns are the signal's."""

    #: days since :data:`EPOCH`
    day: np.ndarray
    #: the signal's rank in ``signal_id`` order
    sid: np.ndarray
    gate_code: np.ndarray
    mode_code: np.ndarray
    #: names by code (codes follow the names' order; the last entry, None, is NULL)
    gate_names: np.ndarray
    mode_names: np.ndarray
    passed: np.ndarray
    has_outcome: np.ndarray
    return_bps: np.ndarray
    win: np.ndarray


def gate_rows(conn: Any, start: date | None, end: date | None) -> GateRows:
    """:data:`GATE_ROWS_SQL`'s rows for the UTC days ``start..end`` (empty when either is None)."""
    if start is None or end is None:
        return GateRows.empty()
    return GateFrame.fetch(conn, start, end).rows(start, end)


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

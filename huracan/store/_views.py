"""The ``v_<type>`` views over both tiers, and the lock that keeps them consistent.

A view is ``hot UNION ALL BY NAME cold``. The cold side is the type's Delta table as
of one version (its ``to_pyarrow_dataset()``, registered on the cursor): a commit made
by a roll in progress stays invisible until the roll has removed the same rows from hot
and swapped in the new version, under the write side of :class:`RWLock`. Queries hold
the read side, so no query sees a row in both tiers or in neither.

After a crash between the Delta commit and the delete from hot, both tiers hold those
rows until the next roll reconciles them. For every (type, day) present in both tiers
the view's hot side therefore drops rows whose ``event_id`` is in that day's cold
partition; this reads those few partitions only, and no (type, day) overlaps in normal
operation except for late events of an archived day.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import duckdb

from huracan.store.cold import ColdArchive, ColdTable
from huracan.store.hot import HotDB, quote, sql_type, table_name, view_name
from huracan.store.schema import arrow_schema

__all__ = ["RWLock", "ViewState", "install_views"]


class RWLock:
    """Many readers or one writer; a waiting writer blocks new readers (no starvation).

    Not re-entrant: a thread holding the read side must not take it again.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass
class ViewState:
    """What the views are built from: one generation of the cold tables' snapshots.

    ``cold_error`` set means the archive could not be read at the last refresh: every
    ``v_<type>`` view then raises it (issue 15: never a silently partial answer), while
    the hot tables, ingest and the job ledger keep working.
    """

    generation: int = 0
    tables: dict[str, ColdTable] = field(default_factory=dict)
    overlap: dict[str, list[date]] = field(default_factory=dict)
    cold_error: str | None = None

    @classmethod
    def build(
        cls,
        hot: HotDB,
        cur: duckdb.DuckDBPyConnection,
        generation: int,
        tables: dict[str, ColdTable],
        cold_error: str | None = None,
    ) -> ViewState:
        """The views' state over ``tables``: finds the (type, day)s present in both tiers."""
        if cold_error:
            return cls(generation, cold_error=cold_error)
        overlap: dict[str, list[date]] = {}
        for etype, table in tables.items():
            if table_name(etype) not in hot.columns or not table.rows_by_day:
                continue
            hot_days = {r[0] for r in cur.execute(f"SELECT DISTINCT day FROM {table_name(etype)}").fetchall()}
            both = sorted(hot_days & set(table.rows_by_day))
            if both:
                overlap[etype] = both
        return cls(generation, tables, overlap)


def _failing_arm(etype: str, message: str) -> str:
    # Every column is computed from error(): DuckDB cannot prove this arm empty or prune
    # it (a constant NULL column would let a filter on it fold the arm away), so any query
    # that reads the view raises, whatever it filters or projects.
    lit = "'" + message.replace("'", "''") + "'"
    cols = ", ".join(f"CAST(_c._e AS {sql_type(f.type)}) AS {quote(f.name)}" for f in arrow_schema(etype))
    return f"SELECT {cols} FROM (SELECT error({lit}) AS _e) AS _c"


def install_views(
    cur: duckdb.DuckDBPyConnection, hot: HotDB, cold: ColdArchive, state: ViewState, types: list[str]
) -> None:
    """(Re)create the temp views ``v_<type>`` for ``types`` on ``cur`` (views are per connection)."""
    for etype in types:
        hot_sql = hot.source(etype)
        if state.cold_error:
            sql = f"{hot_sql} UNION ALL BY NAME {_failing_arm(etype, state.cold_error)}"
            cur.execute(f"CREATE OR REPLACE TEMP VIEW {view_name(etype)} AS {sql}")
            continue
        table = state.tables.get(etype)
        if table is None:
            cur.execute(f"CREATE OR REPLACE TEMP VIEW {view_name(etype)} AS {hot_sql}")
            continue
        src = f"_huracan_cold_{etype}"
        # Re-registering replaces the previous generation's dataset on this cursor.
        cur.register(src, table.dataset)
        days = state.overlap.get(etype)
        if days:
            lits = ", ".join(f"DATE '{d.isoformat()}'" for d in days)
            hot_sql = (
                f"SELECT * FROM ({hot_sql}) AS h WHERE NOT (h.day IN ({lits}) AND h.event_id IN "
                f"(SELECT event_id FROM {src} WHERE day IN ({lits})))"
            )
        cur.execute(
            f"CREATE OR REPLACE TEMP VIEW {view_name(etype)} AS {hot_sql} UNION ALL BY NAME SELECT * FROM {src}"
        )

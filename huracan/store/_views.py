"""The ``v_<type>`` views over both tiers, and the lock that keeps them consistent.

A view is ``hot UNION ALL BY NAME cold``. The cold side lists its files explicitly
(from the archive listing taken at the last refresh), never a glob: a file published by
a roll in progress stays invisible until the roll has removed the same rows from hot
and refreshed the listing, under the write side of :class:`RWLock`. Queries hold the
read side, so no query sees a row in both tiers or in neither.

After a crash between publishing a file and deleting its rows from hot, both tiers
hold those rows until the next roll reconciles them. For every (type, day) present in
both tiers the view's hot side therefore drops rows whose ``event_id`` is in that day's
cold files; this costs a scan of those few cold files only, and no (type, day) overlaps
in normal operation except for late events of an archived day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow.dataset as ds

from huracan.store.cold import ColdArchive, ColdFile
from huracan.store.hot import HotDB, table_name, view_name

__all__ = ["RWLock", "ViewState", "install_views"]

log = logging.getLogger(__name__)


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
    """What the views are built from: one generation of the cold listing."""

    generation: int = 0
    files: dict[str, list[ColdFile]] = field(default_factory=dict)
    overlap: dict[str, list[date]] = field(default_factory=dict)
    datasets: dict[str, ds.Dataset] = field(default_factory=dict)
    #: Why the cold archive could not be read (the views then show the hot tier only).
    cold_error: str | None = None

    @classmethod
    def build(cls, hot: HotDB, cold: ColdArchive, cur: duckdb.DuckDBPyConnection, generation: int) -> ViewState:
        files: dict[str, list[ColdFile]] = {}
        try:
            listing = cold.files()
        except OSError as exc:
            # Ingest must keep running when the archive (say S3) is unreachable: serve
            # the hot tier, say so loudly, and retry at the next refresh.
            log.warning("cold archive %s unreadable, queries see the hot tier only: %s", cold.uri, exc)
            return cls(generation, cold_error=str(exc))
        for f in listing:
            files.setdefault(f.type, []).append(f)
        overlap: dict[str, list[date]] = {}
        for etype, flist in files.items():
            if table_name(etype) not in hot.columns:
                continue
            cold_days = {f.day for f in flist}
            hot_days = {r[0] for r in cur.execute(f"SELECT DISTINCT day FROM {table_name(etype)}").fetchall()}
            both = sorted(cold_days & hot_days)
            if both:
                overlap[etype] = both
        datasets = {} if cold.is_local else {t: cold.dataset(fl) for t, fl in files.items()}
        return cls(generation, files, overlap, datasets)


def _cold_source(etype: str, state: ViewState, cold: ColdArchive) -> str:
    if cold.is_local:
        return cold.duckdb_source(state.files[etype])
    return f"_huracan_cold_{etype}"


def install_views(
    cur: duckdb.DuckDBPyConnection, hot: HotDB, cold: ColdArchive, state: ViewState, types: list[str]
) -> None:
    """(Re)create the temp views ``v_<type>`` for ``types`` on ``cur`` (views are per connection)."""
    for etype in types:
        hot_sql = hot.source(etype)
        if etype not in state.files:
            cur.execute(f"CREATE OR REPLACE TEMP VIEW {view_name(etype)} AS {hot_sql}")
            continue
        if not cold.is_local:
            # Re-registering replaces the previous generation's dataset on this cursor.
            cur.register(f"_huracan_cold_{etype}", state.datasets[etype])
        src = _cold_source(etype, state, cold)
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

"""The nightly roll: hot days older than ``store.hot_days`` move to the cold Delta tables.

For each event type with hot days on or before the cutoff, in one DuckDB transaction:

1. read those days' rows (one snapshot) and append them to the type's Delta table as
   **one commit**, upgraded to the current schema version on the way; the commit
   records the night as a Delta app transaction (``huracan-roll``, version = the
   cutoff as days since the epoch) and the days and row count in its metadata;
2. delete the same rows from hot — the same snapshot, so rows that arrived meanwhile
   stay — and commit, under the views' write lock together with the swap to the new
   table version, so no query sees those rows twice or not at all.

A crash before the Delta commit leaves only unreferenced data files (no reader sees
them; ``VACUUM`` removes them) and every row still in hot: the next roll does the night
again. A crash between the commit and the hot delete leaves the rows in both tiers; the
views hide the hot copies (see :mod:`huracan.store._views`) and the next roll begins
by reconciling: it deletes from hot every row whose ``event_id`` the table already
holds for that day, and appends only the rest. A rerun therefore never adds a row twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import duckdb

from huracan.events import EVENT_TYPES
from huracan.store.cold import ROLL_APP_ID, ROW_GROUP_SIZE
from huracan.store.hot import quote, table_name

if TYPE_CHECKING:
    from huracan.store.store import Store

__all__ = ["RollReport", "RolledTable", "cutoff_day", "reconcile", "roll"]

_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class RolledTable:
    """One event type's night: the days and rows of its one Delta commit."""

    type: str
    days: list[date]
    rows: int
    version: int
    uri: str


@dataclass
class RollReport:
    """What a roll did. ``reconciled`` counts hot rows removed because a previous,
    interrupted roll had already archived them."""

    cutoff: date
    moved: list[RolledTable] = field(default_factory=list)
    reconciled: int = 0

    @property
    def rows(self) -> int:
        return sum(m.rows for m in self.moved)

    @property
    def days(self) -> list[date]:
        return sorted({d for m in self.moved for d in m.days})

    def as_dict(self) -> dict[str, object]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "rows": self.rows,
            "commits": len(self.moved),
            "days": [d.isoformat() for d in self.days],
            "reconciled": self.reconciled,
            "moved": [
                {
                    "type": m.type,
                    "days": [d.isoformat() for d in m.days],
                    "rows": m.rows,
                    "version": m.version,
                    "table": m.uri,
                }
                for m in self.moved
            ],
        }


def cutoff_day(now: datetime, hot_days: int) -> date:
    """The newest day that is rolled: with ``hot_days=7`` on Nov 13, days up to Nov 6 go cold."""
    return now.astimezone(UTC).date() - timedelta(days=hot_days)


def roll(store: Store, now: datetime | None = None) -> RollReport:
    """Move every hot day ``<= cutoff_day(now, hot_days)`` to cold: one commit per table; idempotent."""
    if store.read_only:
        raise PermissionError("the store is open read-only; the roll needs the writer (the daemon, or no daemon)")
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"roll(now=...) must be timezone-aware (got naive {now.isoformat()})")
    report = RollReport(cutoff=cutoff_day(now, store.settings.store.hot_days))
    store.refresh()  # the tables as they are now, another process's writes included
    if store.cold_error:
        from huracan.store.cold import ArchiveUnavailable

        raise ArchiveUnavailable(store.cold_error)
    report.reconciled = reconcile(store)
    for etype in EVENT_TYPES:
        rolled = archive_type(store, etype, report.cutoff)
        if rolled is not None:
            report.moved.append(rolled)
    return report


def archive_type(store: Store, etype: str, cutoff: date) -> RolledTable | None:
    """Move ``etype``'s hot days ``<= cutoff`` to its Delta table in one commit (None if none)."""
    name = table_name(etype)
    if name not in store.hot.columns:
        return None
    cur = store.hot.con.cursor()
    try:
        cur.begin()  # one snapshot: the rows appended are exactly the rows deleted
        days = [
            r[0]
            for r in cur.execute(f"SELECT DISTINCT day FROM {name} WHERE day <= ? ORDER BY day", [cutoff]).fetchall()
        ]
        if not days:
            cur.rollback()
            return None
        rows = int(cur.execute(f"SELECT count(*) FROM {name} WHERE day <= ?", [cutoff]).fetchall()[0][0])
        cols = ", ".join(quote(c) for c in store.hot.columns[name])
        reader = cur.sql(f"SELECT {cols} FROM {name} WHERE day <= ? ORDER BY day, ts, event_id", params=[cutoff])
        meta = {"roll": {"cutoff": cutoff.isoformat(), "days": [d.isoformat() for d in days], "rows": rows}}
        table = store.cold.append(
            etype,
            reader.to_arrow_reader(batch_size=ROW_GROUP_SIZE),
            metadata=meta,
            transaction=(ROLL_APP_ID, (cutoff - _EPOCH).days),
        )
        _delete_rolled(cur, name, cutoff)
        store.swap_views({etype: table}, before=cur.commit)
        return RolledTable(etype, days, rows, table.version, table.uri)
    except BaseException:
        _rollback(cur)
        raise
    finally:
        cur.close()


def _delete_rolled(cur: duckdb.DuckDBPyConnection, name: str, cutoff: date) -> None:
    # Inside the reading transaction: rows ingested since it began are not touched.
    cur.execute(f"DELETE FROM {name} WHERE day <= ?", [cutoff])


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    try:
        cur.rollback()
    except duckdb.Error:
        pass  # no transaction open any more


def reconcile(store: Store) -> int:
    """Finish interrupted rolls: drop hot rows the cold tables already hold; return how many."""
    n = 0
    for etype, days in list(store._views.overlap.items()):
        table = store._views.tables[etype]
        ids = table.event_ids(days)
        if not ids.num_rows:
            continue
        cur = store.hot.con.cursor()
        tmp = "_huracan_archived_ids"
        try:
            cur.register(tmp, ids)
            cur.begin()
            lits = ", ".join(f"DATE '{d.isoformat()}'" for d in days)
            res = cur.execute(
                f"DELETE FROM {table_name(etype)} WHERE day IN ({lits}) AND event_id IN (SELECT event_id FROM {tmp})"
            ).fetchone()
            n += int(res[0]) if res else 0
            store.swap_views({}, before=cur.commit)
        except BaseException:
            _rollback(cur)
            raise
        finally:
            cur.close()
    return n

"""The nightly roll: hot days older than ``store.hot_days`` move to the cold archive.

For each (type, day) to move:

1. read the day's rows in one DuckDB snapshot and publish them as one Parquet file
   under a name derived from their event ids (atomic: see :mod:`huracan.store.cold`);
2. delete from hot exactly the rows whose ``event_id`` is in that day's cold files, in
   one transaction, committed under the views' write lock together with the refresh
   of the cold listing, so no query sees those rows twice or not at all.

A crash (or an error) between 1 and 2 leaves the rows in both tiers; the views hide
the hot copies (see :mod:`huracan.store._views`) and the next roll begins by
reconciling: step 2 for every (type, day) present in both tiers. Rerunning is
therefore always safe and leaves every event exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa

from huracan.events import EVENT_TYPES
from huracan.store.cold import ROW_GROUP_SIZE, ColdFile, part_name
from huracan.store.hot import quote, table_name

if TYPE_CHECKING:
    from huracan.store.store import Store

__all__ = ["RollReport", "RolledDay", "archive_day", "delete_archived", "reconcile", "roll"]


@dataclass(frozen=True)
class RolledDay:
    """One (type, day) moved to cold."""

    type: str
    day: date
    rows: int
    path: str
    bytes: int


@dataclass
class RollReport:
    """What a roll did. ``reconciled`` counts hot rows removed because a previous,
    interrupted roll had already archived them."""

    cutoff: date
    moved: list[RolledDay] = field(default_factory=list)
    reconciled: int = 0

    @property
    def rows(self) -> int:
        return sum(m.rows for m in self.moved)

    @property
    def days(self) -> list[date]:
        return sorted({m.day for m in self.moved})

    def as_dict(self) -> dict[str, object]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "rows": self.rows,
            "files": len(self.moved),
            "days": [d.isoformat() for d in self.days],
            "reconciled": self.reconciled,
            "moved": [
                {"type": m.type, "day": m.day.isoformat(), "rows": m.rows, "path": m.path, "bytes": m.bytes}
                for m in self.moved
            ],
        }


def cutoff_day(now: datetime, hot_days: int) -> date:
    """The newest day that is rolled: with ``hot_days=7`` on Nov 13, days up to Nov 6 go cold."""
    return now.astimezone(UTC).date() - timedelta(days=hot_days)


def roll(store: Store, now: datetime | None = None) -> RollReport:
    """Move every hot day ``<= cutoff_day(now, hot_days)`` to cold; idempotent."""
    if store.read_only:
        raise PermissionError("the store is open read-only; the roll needs the writer (the daemon, or no daemon)")
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"roll(now=...) must be timezone-aware (got naive {now.isoformat()})")
    report = RollReport(cutoff=cutoff_day(now, store.settings.store.hot_days))
    try:
        report.reconciled = reconcile(store)
        for etype in EVENT_TYPES:
            for day in _hot_days(store, etype, report.cutoff):
                cf, rows = archive_day(store, etype, day)
                delete_archived(store, etype, day)
                report.moved.append(RolledDay(etype, day, rows, cf.path, cf.size))
    finally:
        # Whatever happened, let the views see what is now in cold (an interrupted
        # roll's file included: the views hide its hot duplicates).
        with store._lock.write():
            store.refresh()
    return report


def _hot_days(store: Store, etype: str, cutoff: date) -> list[date]:
    if table_name(etype) not in store.hot.columns:
        return []
    cur = store.hot.con.cursor()
    try:
        rows = cur.execute(f"SELECT DISTINCT day FROM {table_name(etype)} WHERE day <= ? ORDER BY day", [cutoff])
        return [r[0] for r in rows.fetchall()]
    finally:
        cur.close()


def archive_day(store: Store, etype: str, day: date) -> tuple[ColdFile, int]:
    """Publish hot rows of (``etype``, ``day``) as one cold file; hot is left as is."""
    cur = store.hot.con.cursor()
    try:
        cur.begin()  # one snapshot for the ids (the file name) and the rows
        ids = cur.execute(f"SELECT event_id FROM {table_name(etype)} WHERE day = ?", [day]).fetchall()
        name = part_name(r[0] for r in ids)
        cols = ", ".join(quote(c) for c in store.hot.columns[table_name(etype)] if c not in ("type", "day"))
        sql = f"SELECT {cols} FROM {table_name(etype)} WHERE day = ? ORDER BY ts, event_id"
        reader = cur.sql(sql, params=[day]).to_arrow_reader(batch_size=ROW_GROUP_SIZE)
        schema = _utc_schema(reader.schema)
        cf = store.cold.publish(etype, day, _cast(reader, schema), name=name, schema=schema)
        cur.commit()
        return cf, len(ids)
    finally:
        cur.close()


def _utc_schema(schema: pa.Schema) -> pa.Schema:
    # DuckDB labels its timestamps 'Etc/UTC'; write the archive as plain 'UTC' like the hot schema.
    fields = [
        f.with_type(pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) and f.type.tz else f for f in schema
    ]
    return pa.schema(fields)


def _cast(reader: pa.RecordBatchReader, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        yield batch.cast(schema)


def delete_archived(store: Store, etype: str, day: date) -> int:
    """Delete from hot the rows of (``etype``, ``day``) already in cold; return how many."""
    files = [f for f in store.cold.files(etype) if f.day == day]
    ids = store.cold.read_event_ids(files)
    if not ids.num_rows:
        return 0
    cur = store.hot.con.cursor()
    name = "_huracan_archived_ids"
    try:
        cur.register(name, ids)
        cur.begin()
        res = cur.execute(
            f"DELETE FROM {table_name(etype)} WHERE day = ? AND event_id IN (SELECT event_id FROM {name})", [day]
        ).fetchone()
        with store._lock.write():
            cur.commit()
            store.refresh()
        return int(res[0]) if res else 0
    finally:
        cur.close()


def reconcile(store: Store) -> int:
    """Finish interrupted rolls: drop hot rows already archived; return how many."""
    n = 0
    for etype, days in list(store._views.overlap.items()):
        for day in days:
            n += delete_archived(store, etype, day)
    return n

"""What `huracan status` reports about the store, computed the same way by the daemon
(over its own store) and by the CLI (over a read-only one).

Counts come from the hot tables (plain SQL) and the Delta logs of the cold tables (a
commit records each file's row count), so no archive data file is read: a year of
archive used to cost ~3 CPU-seconds of Parquet reads per call locally, and a GET per
file on S3. Only the newest day of each type is read through the views, for the time
of the last event; and (type, day)s present in both tiers after an interrupted roll are
counted through the views, which drop the duplicates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from huracan.analytics.days import last_data_day
from huracan.config import Settings
from huracan.events import EVENT_TYPES
from huracan.store.hot import view_name

if TYPE_CHECKING:
    from huracan.store import Store

__all__ = ["store_size_bytes", "store_status"]


def store_size_bytes(settings: Settings, store: Store | None = None) -> dict[str, int]:
    """Bytes on disk: the hot DuckDB file (+ WAL) and the archive's live files.

    With ``store``, the archive's size is the sum its Delta logs record for the files
    the tables hold now (works on S3; files a later VACUUM would drop are not counted).
    Without it, a local archive's data files are summed from the filesystem.
    """
    hot = sum(p.stat().st_size for p in settings.data_dir.glob("hot.duckdb*") if p.is_file())
    if store is not None and store.cold_error is None:
        return {"hot_bytes": hot, "cold_bytes": sum(t.bytes for t in store.cold_tables.values())}
    cold = 0
    cold_uri = settings.cold_uri
    if "://" not in cold_uri or cold_uri.startswith("file://"):
        from pathlib import Path

        root = Path(cold_uri.removeprefix("file://"))
        if root.exists():
            cold = sum(p.stat().st_size for p in root.rglob("*.parquet") if p.is_file())
    return {"hot_bytes": hot, "cold_bytes": cold}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _type_counts(store: Store, conn: Any, etype: str, today: date) -> tuple[int, int, Any]:
    """(total, today, last ts) of one event type over both tiers."""
    hot_days = {
        _as_date(d): int(n)
        for d, n in conn.execute(f"SELECT day, count(*) FROM ({store.hot.source(etype)}) GROUP BY day").fetchall()
    }
    table = store.cold_tables.get(etype)
    cold_days = dict(table.rows_by_day) if table is not None else {}
    both = set(hot_days) & set(cold_days)
    if both:
        # An interrupted roll leaves a day in both tiers until the next roll; the view
        # counts it without the duplicates (late events of an archived day are not).
        lits = ", ".join(f"DATE '{d.isoformat()}'" for d in sorted(both))
        sql = f"SELECT day, count(*) FROM {view_name(etype)} WHERE day IN ({lits}) GROUP BY day"
        merged = {_as_date(d): int(n) for d, n in conn.execute(sql).fetchall()}
        for d in both:
            hot_days[d], cold_days[d] = merged.get(d, 0), 0
    per_day = {d: hot_days.get(d, 0) + cold_days.get(d, 0) for d in set(hot_days) | set(cold_days)}
    if not per_day:
        return 0, 0, None
    # A row's day is its ts's UTC day: the newest ts is on the newest day.
    last = max(per_day)
    # With the archive unreachable every view raises: the hot tier is all there is to read.
    src = f"({store.hot.source(etype)})" if store.cold_error else view_name(etype)
    last_ts = conn.execute(f"SELECT max(ts) FROM {src} WHERE day = ?", [last]).fetchone()[0]
    return sum(per_day.values()), per_day.get(today, 0), last_ts


def store_status(settings: Settings, store: Store) -> dict[str, Any]:
    """Event counts by type (today and total), the last day with data, and sizes.

    With the archive unreachable, ``archive_error`` says why and the counts are the hot
    tier's only (``partial`` is true): status is what an operator reads to find out what
    is wrong, so it answers, and says loudly what it could not count.
    """
    today = datetime.now(UTC).date()
    conn = store.cursor()  # first: it retries an archive that was unreachable
    cold_error = store.cold_error
    by_type: dict[str, dict[str, int]] = {}
    stamps = []
    for t in sorted(EVENT_TYPES):
        total, on_today, last_ts = _type_counts(store, conn, t, today)
        by_type[t] = {"total": total, "today": on_today}
        if last_ts is not None:
            stamps.append(last_ts)
    last_ts = max(stamps, default=None)
    day = None if cold_error else last_data_day(conn)
    return {
        "data_dir": str(settings.data_dir),
        "partial": cold_error is not None,
        "archive_error": cold_error,
        "events_total": sum(v["total"] for v in by_type.values()),
        "events_today": sum(v["today"] for v in by_type.values()),
        "events_by_type": by_type,
        "last_event_at": last_ts.isoformat() if last_ts else None,
        # the day every per-day command reports by default (huracan.analytics.days)
        "last_data_day": day.isoformat() if day else None,
        "store": store_size_bytes(settings, store),
    }

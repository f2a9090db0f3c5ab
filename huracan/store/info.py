"""What the store holds: sizes, rows per type and tier, days held (``huracan store info``).

Works over any *connection-like* object (a local store cursor or the daemon's remote
connection, see ``huracan.daemon.access``): the hot side is read with plain SQL, the
cold side from the Delta tables' logs (row counts and sizes are in the log: no data
file is read), which need no DuckDB lock.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from huracan.config import Settings
from huracan.events import EVENT_TYPES
from huracan.store.cold import ROLL_APP_ID, ColdArchive
from huracan.store.hot import table_name

__all__ = ["store_info"]

_EPOCH = date(1970, 1, 1)


def _days(days: set[date]) -> dict[str, Any]:
    return {
        "count": len(days),
        "first": min(days).isoformat() if days else None,
        "last": max(days).isoformat() if days else None,
    }


def store_info(settings: Settings, conn: Any) -> dict[str, Any]:
    """Sizes, rows per type (hot / cold) and days held in each tier, and each cold table.

    ``conn`` needs only ``execute(sql, params).fetchall()``. Raises
    :class:`huracan.store.cold.ArchiveUnavailable` when the archive cannot be read.
    """
    parts = [f"SELECT '{t}' AS t, day, count(*) AS n FROM {table_name(t)} GROUP BY day" for t in sorted(EVENT_TYPES)]
    # A store nothing has written to yet has no hot file (and so no ev_ tables): it is empty.
    hot_rows = conn.execute(" UNION ALL ".join(parts), []).fetchall() if settings.hot_db_path.exists() else []
    cold = ColdArchive(settings.cold_uri)
    tables = cold.load_all()
    types: dict[str, dict[str, int]] = {t: {"hot": 0, "cold": 0} for t in sorted(EVENT_TYPES)}
    hot_days: set[date] = set()
    for t, day, n in hot_rows:
        types[t]["hot"] += int(n)
        hot_days.add(day if isinstance(day, date) else date.fromisoformat(str(day)))
    cold_days: set[date] = set()
    for t, table in tables.items():
        types[t]["cold"] = table.rows
        cold_days.update(table.rows_by_day)
    hot_path = settings.hot_db_path
    wal = hot_path.with_name(hot_path.name + ".wal")
    hot_bytes = sum(p.stat().st_size for p in (hot_path, wal) if p.exists())
    last_rolls = [v for t in tables.values() if (v := t.table.transaction_version(ROLL_APP_ID)) is not None]
    return {
        "hot_path": str(hot_path),
        "cold_uri": cold.uri,
        "hot_days_setting": settings.store.hot_days,
        "bytes": {"hot": hot_bytes, "cold": sum(t.bytes for t in tables.values())},
        "files": {"cold": sum(t.files for t in tables.values())},
        "rows": {
            "hot": sum(v["hot"] for v in types.values()),
            "cold": sum(v["cold"] for v in types.values()),
        },
        "types": types,
        "days": {"hot": _days(hot_days), "cold": _days(cold_days)},
        "last_roll_cutoff": (
            _EPOCH.fromordinal(_EPOCH.toordinal() + max(last_rolls)).isoformat() if last_rolls else None
        ),
        "tables": {
            t: {"uri": table.uri, "version": table.version, "rows": table.rows, "files": table.files}
            for t, table in sorted(tables.items())
        },
    }

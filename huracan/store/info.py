"""What the store holds: sizes, rows per type and tier, days held (``huracan store info``).

Works over any *connection-like* object (a local store cursor or the daemon's remote
connection, see ``huracan.daemon.access``): the hot side is read with plain SQL, the
cold side from the archive's listing and Parquet footers, which need no DuckDB lock.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from huracan.config import Settings
from huracan.events import EVENT_TYPES
from huracan.store.cold import ColdArchive
from huracan.store.hot import table_name

__all__ = ["store_info"]


def _days(days: set[date]) -> dict[str, Any]:
    return {
        "count": len(days),
        "first": min(days).isoformat() if days else None,
        "last": max(days).isoformat() if days else None,
    }


def store_info(settings: Settings, conn: Any) -> dict[str, Any]:
    """Sizes, rows per type (hot / cold) and days held in each tier.

    ``conn`` needs only ``execute(sql, params).fetchall()``.
    """
    parts = [f"SELECT '{t}' AS t, day, count(*) AS n FROM {table_name(t)} GROUP BY day" for t in sorted(EVENT_TYPES)]
    # A store nothing has written to yet has no hot file (and so no ev_ tables): it is empty.
    hot_rows = conn.execute(" UNION ALL ".join(parts), []).fetchall() if settings.hot_db_path.exists() else []
    cold = ColdArchive(settings.cold_uri)
    files = cold.files()
    counts = cold.row_counts(files)
    types: dict[str, dict[str, int]] = {t: {"hot": 0, "cold": 0} for t in sorted(EVENT_TYPES)}
    hot_days: set[date] = set()
    for t, day, n in hot_rows:
        types[t]["hot"] += int(n)
        hot_days.add(day if isinstance(day, date) else date.fromisoformat(str(day)))
    for f, n in zip(files, counts, strict=True):
        types.setdefault(f.type, {"hot": 0, "cold": 0})["cold"] += n
    hot_path = settings.hot_db_path
    wal = hot_path.with_name(hot_path.name + ".wal")
    hot_bytes = sum(p.stat().st_size for p in (hot_path, wal) if p.exists())
    return {
        "hot_path": str(hot_path),
        "cold_uri": settings.cold_uri,
        "hot_days_setting": settings.store.hot_days,
        "bytes": {"hot": hot_bytes, "cold": sum(f.size for f in files)},
        "files": {"cold": len(files)},
        "rows": {
            "hot": sum(v["hot"] for v in types.values()),
            "cold": sum(v["cold"] for v in types.values()),
        },
        "types": types,
        "days": {"hot": _days(hot_days), "cold": _days({f.day for f in files})},
    }

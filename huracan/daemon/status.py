"""What `huracan status` reports about the store, computed the same way by the daemon
(over its own connection) and by the CLI (over a read-only one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from huracan.analytics.days import last_data_day
from huracan.config import Settings
from huracan.events import EVENT_TYPES

__all__ = ["store_size_bytes", "store_status"]


def store_size_bytes(settings: Settings) -> dict[str, int]:
    hot = sum(p.stat().st_size for p in settings.data_dir.glob("hot.duckdb*") if p.is_file())
    cold = 0
    cold_uri = settings.cold_uri
    if "://" not in cold_uri or cold_uri.startswith("file://"):
        from pathlib import Path

        root = Path(cold_uri.removeprefix("file://"))
        if root.exists():
            cold = sum(p.stat().st_size for p in root.rglob("*.parquet") if p.is_file())
    return {"hot_bytes": hot, "cold_bytes": cold}


def store_status(settings: Settings, conn: Any) -> dict[str, Any]:
    """Event counts by type (today and total), the last day with data, and sizes."""
    today = datetime.now(UTC).date()
    parts = [
        f"SELECT '{t}' AS type, count(*) AS total, count(*) FILTER (WHERE day = ?) AS today, max(ts) AS last_ts "
        f"FROM v_{t}"
        for t in sorted(EVENT_TYPES)
    ]
    rows = conn.execute(" UNION ALL ".join(parts), [today] * len(parts)).fetchall()
    by_type = {r[0]: {"total": int(r[1]), "today": int(r[2])} for r in rows}
    last_ts = max((r[3] for r in rows if r[3] is not None), default=None)
    day = last_data_day(conn)
    return {
        "data_dir": str(settings.data_dir),
        "events_total": sum(v["total"] for v in by_type.values()),
        "events_today": sum(v["today"] for v in by_type.values()),
        "events_by_type": by_type,
        "last_event_at": last_ts.isoformat() if last_ts else None,
        # the day every per-day command reports by default (huracan.analytics.days)
        "last_data_day": day.isoformat() if day else None,
        "store": store_size_bytes(settings),
    }

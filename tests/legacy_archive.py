"""An archive exactly as releases before Delta Lake (issue 15) wrote it, for migrate tests.

The writer below is the old release's ``ColdArchive.publish`` and the roll's column
selection, kept verbatim in substance: one zstd Parquet file per (type, day) at
``<root>/type=<type>/day=<YYYY-MM-DD>/part-<sha256 of the sorted ids>[:16].parquet``,
``type`` and ``day`` in the path only, rows ordered by ``ts, event_id``, row groups of
122,880. It goes through any pyarrow filesystem (moto S3 included).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from huracan.events import EventBase
from huracan.store.location import Location
from huracan.store.schema import events_to_arrow, group_by_type

ROW_GROUP_SIZE = 122_880


def part_name(event_ids: Iterable[str]) -> str:
    h = hashlib.sha256()
    for eid in sorted(event_ids):
        h.update(eid.encode())
        h.update(b"\n")
    return f"part-{h.hexdigest()[:16]}.parquet"


def publish(uri: str, event_type: str, day: date, table: pa.Table) -> str:
    """Write one legacy part file; ``table`` must not hold ``type`` / ``day``."""
    loc = Location.parse(uri)
    fs = loc.filesystem()
    path = f"{loc.path}/type={event_type}/day={day.isoformat()}/{part_name(table['event_id'].to_pylist())}"
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as out, pq.ParquetWriter(out, table.schema, compression="zstd") as writer:
        for batch in table.combine_chunks().to_batches(max_chunksize=ROW_GROUP_SIZE):
            writer.write_batch(batch, row_group_size=ROW_GROUP_SIZE)
    return path


def write_legacy_archive(uri: str, events: list[EventBase]) -> dict[str, int]:
    """Archive ``events`` the old way, one file per (type, day); rows per type."""
    counts: dict[str, int] = {}
    for etype, group in group_by_type(events).items():
        table = events_to_arrow(group)
        for day in sorted(set(table["day"].to_pylist())):
            part = table.filter(pc.equal(table["day"], pa.scalar(day, pa.date32())))
            part = part.sort_by([("ts", "ascending"), ("event_id", "ascending")]).drop_columns(["type", "day"])
            publish(uri, etype, day, part)
        counts[etype] = table.num_rows
    return counts


def v1_shadow_outcome(event_id: str, ts: datetime, pnl_pct: float, win: bool) -> pa.Table:
    """One row as a release before schema v2 stored it: ``pnl_pct``, no return_bps / counterfactual / blocked_by."""
    return pa.table(
        {
            "event_id": [event_id],
            "schema_version": pa.array([1], pa.int32()),
            "ts": pa.array([ts], pa.timestamp("us", tz="UTC")),
            "severity": ["INFO"],
            "source": ["engine"],
            "decision_timestamp": pa.array([ts], pa.timestamp("us", tz="UTC")),
            "label_cutoff_timestamp": pa.array([ts + timedelta(hours=1)], pa.timestamp("us", tz="UTC")),
            "signal_id": [f"sig-{event_id}"],
            "trade_id": [f"tr-{event_id}"],
            "symbol": ["ETH-USD"],
            "mode": ["scalp"],
            "regime": ["trend"],
            "side": ["long"],
            "entry_price": [3000.0],
            "exit_price": [3000.0 * (1 + pnl_pct / 100)],
            "pnl_pct": [pnl_pct],
            "win": [win],
            "holding_seconds": [600.0],
            "exit_reason": ["take_profit"],
            "model_id": pa.array([None], pa.string()),
        }
    )


def junk(uri: str, event_type: str, day: date) -> None:
    """What a crashed old writer or a tool leaves beside the parts: not data."""
    loc = Location.parse(uri)
    fs = loc.filesystem()
    base = f"{loc.path}/type={event_type}/day={day.isoformat()}"
    for name in (".part-x.parquet", "_SUCCESS", "part-0123456789abcdef.parquet.tmp"):
        with fs.open_output_stream(f"{base}/{name}") as out:
            out.write(b"not parquet")
    assert isinstance(fs, pafs.FileSystem)

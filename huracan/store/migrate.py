"""``huracan store migrate``: the pre-Delta Parquet archive becomes the Delta tables.

Releases before issue 15 wrote the cold tier as plain files::

    <root>/type=<type>/day=<YYYY-MM-DD>/part-<digest>.parquet

(``type`` and ``day`` in the path only; older files may hold an older schema version,
e.g. a v1 ``shadow_outcome`` with ``pnl_pct``). Migration reads each type's files with
their schemas unified, upgrades old rows (:mod:`huracan.store.upgrade`), appends them to
``<root>/<type>/`` as **one** Delta commit marked with the app transaction
``huracan-migrate``, checks the table gained exactly the files' row count, and only then
deletes the old files. A rerun after a crash finds the mark, appends nothing, and
finishes the deletion: never a row twice, never a row lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from huracan.store.cold import ColdArchive, unreachable

__all__ = ["MIGRATE_APP_ID", "MigrateReport", "MigratedTable", "migrate"]

#: The Delta app transaction that marks a table as holding its migrated Parquet rows.
MIGRATE_APP_ID = "huracan-migrate"
_PART = re.compile(r"/type=(?P<type>[a-z0-9_]+)/day=(?P<day>\d{4}-\d{2}-\d{2})/part-[0-9a-f]{8,64}\.parquet$")
_PARTITIONING = pa.schema([("type", pa.string()), ("day", pa.date32())])


@dataclass(frozen=True)
class MigratedTable:
    """One event type moved from Parquet files to its Delta table."""

    type: str
    files: int
    rows: int
    days: int
    version: int
    already_done: bool  # a previous, interrupted run had committed it


@dataclass
class MigrateReport:
    """What ``huracan store migrate`` did."""

    uri: str
    tables: list[MigratedTable] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def as_dict(self) -> dict[str, object]:
        return {
            "cold_uri": self.uri,
            "rows": self.rows,
            "tables": [t.__dict__ for t in self.tables],
        }


@dataclass(frozen=True)
class _File:
    type: str
    day: date
    path: str


def migrate(cold: ColdArchive, progress: Callable[[str], None] | None = None) -> MigrateReport:
    """Migrate every legacy Parquet file under ``cold`` into its type's Delta table; idempotent."""
    say = progress or (lambda _msg: None)
    _, legacy = cold.listing()
    report = MigrateReport(cold.uri)
    for etype in legacy:
        files = _files(cold, etype)
        table = cold.load(etype)
        done = table is not None and table.table.transaction_version(MIGRATE_APP_ID) is not None
        rows = sum(_row_counts(cold, files)) if files else 0
        if files and not done:
            say(f"{etype}: {len(files)} files, {rows:,} rows")
            before = table.rows if table is not None else 0
            meta = {"migrate": {"files": len(files), "rows": rows, "from": "type=<type>/day=<day>/*.parquet"}}
            table = cold.append(etype, _batches(cold, files), metadata=meta, transaction=(MIGRATE_APP_ID, 1))
            if table.rows - before != rows:
                raise RuntimeError(
                    f"migrating {etype}: the Delta table gained {table.rows - before:,} rows for {rows:,} in the "
                    "Parquet files; the files were kept. Report this with `huracan store info --json`"
                )
        if table is not None:
            report.tables.append(
                MigratedTable(etype, len(files), rows, len({f.day for f in files}), table.version, done)
            )
        _delete_legacy(cold, etype)
    if cold.is_local:  # the old release staged files beside the root
        staging = Path(cold.loc.path).parent / f".{Path(cold.loc.path).name}.staging"
        if staging.is_dir() and not any(staging.iterdir()):
            staging.rmdir()
    return report


def _files(cold: ColdArchive, etype: str) -> list[_File]:
    base = f"{cold.loc.path}/type={etype}"
    try:
        infos = cold.fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
    except OSError as exc:
        raise unreachable(cold.loc, exc) from None
    out = []
    for info in infos:
        m = _PART.search(info.path) if info.type == pafs.FileType.File else None
        if m is not None and m["type"] == etype:  # temp files, _SUCCESS, hidden files: not data
            out.append(_File(etype, date.fromisoformat(m["day"]), info.path))
    return sorted(out, key=lambda f: (f.day, f.path))


def _footers(cold: ColdArchive, files: list[_File]) -> list[pq.FileMetaData]:
    def read(path: str) -> pq.FileMetaData:
        with cold.fs.open_input_file(path) as fh:
            return pq.read_metadata(fh)

    # In parallel: on an object store each footer is a round trip.
    with ThreadPoolExecutor(max_workers=min(16, len(files))) as pool:
        return list(pool.map(read, [f.path for f in files]))


def _row_counts(cold: ColdArchive, files: list[_File]) -> list[int]:
    return [m.num_rows for m in _footers(cold, files)]


def _batches(cold: ColdArchive, files: list[_File]) -> Iterator[pa.RecordBatch]:
    # Files of different releases differ (v1 pnl_pct, later fields): scan them under one
    # unified schema; type and day come back from the path.
    schemas = [m.schema.to_arrow_schema().remove_metadata() for m in _footers(cold, files)]
    schema = pa.unify_schemas([*schemas, _PARTITIONING], promote_options="permissive")
    dataset = ds.dataset(
        [f.path for f in files],
        schema=schema,
        format="parquet",
        filesystem=cold.fs,
        partitioning=ds.partitioning(_PARTITIONING, flavor="hive"),
        partition_base_dir=cold.loc.path,
    )
    return dataset.to_batches(batch_size=65_536)


def _delete_legacy(cold: ColdArchive, etype: str) -> None:
    try:
        cold.fs.delete_dir(f"{cold.loc.path}/type={etype}")
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise unreachable(cold.loc, exc) from None

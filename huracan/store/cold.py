"""The cold archive: one Delta Lake table per event type, partitioned by ``day`` (issue 15).

Layout under ``store.cold_uri`` (a local path or ``s3://…``)::

    <root>/<type>/_delta_log/…            the table's transaction log
    <root>/<type>/day=<YYYY-MM-DD>/*.parquet

Each table is a real table: Spark (delta-spark), Trino (Delta connector), Polars
(``scan_delta``) and DuckDB read it with no options, and its schema is the table's
(:func:`huracan.store.upgrade.archive_schema`; a new nullable field merges in). Rows
are always the current schema version: see :mod:`huracan.store.upgrade`.

Writes are Delta commits made by delta-rs: all of a commit's rows become visible at
once or not at all, and a writer killed before its commit leaves only unreferenced
files that no reader sees. On S3, delta-rs commits with conditional writes
(put-if-absent), which AWS S3 and moto honour, so no locking provider is needed.

Opening costs one LIST of the root plus, per table, the log since its last checkpoint
(a checkpoint every :data:`CHECKPOINT_INTERVAL` commits): independent of the number of
days held. No data file or footer is read until a query needs it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from deltalake import CommitProperties, DeltaTable, Transaction, WriterProperties, write_deltalake
from deltalake.exceptions import SchemaMismatchError, TableNotFoundError

from huracan.events import EVENT_TYPES
from huracan.store.location import Location, one_line
from huracan.store.upgrade import current_reader

__all__ = [
    "CHECKPOINT_INTERVAL",
    "ROLL_APP_ID",
    "ArchiveUnavailable",
    "ColdArchive",
    "ColdTable",
    "archive_error",
]

#: Commits between checkpoints: opening reads at most this many JSON commits per table.
CHECKPOINT_INTERVAL = 10
#: The Delta app-transaction id of the nightly roll; its version is the roll's cutoff day
#: (days since 1970-01-01), so ``transaction_version`` tells the last night rolled.
ROLL_APP_ID = "huracan-roll"
#: DuckDB's own row-group size: smaller groups cost per-group overhead on every scan.
ROW_GROUP_SIZE = 122_880
_LEGACY_PREFIX = "type="


class ArchiveUnavailable(OSError):
    """The cold archive cannot be read or written: queries that need it fail, loudly.

    The message is one line, names the archive (never its credentials) and says what to
    do; every message starts ``the cold archive <uri>`` so any face can recognise it.
    """


_MESSAGE = re.compile(r"the cold archive \S+ (?:is unreachable|needs migrating): [^\n]*")


def archive_error(exc: BaseException | str) -> ArchiveUnavailable | None:
    """The :class:`ArchiveUnavailable` inside ``exc``, if it is one or wraps one's message.

    A view over an unreachable archive fails inside DuckDB, and through the daemon the
    message arrives inside an HTTP error: this finds it wherever it travelled.
    """
    if isinstance(exc, ArchiveUnavailable):
        return exc
    m = _MESSAGE.search(str(exc))
    return ArchiveUnavailable(m.group(0).rstrip(" .\"'}")) if m else None


def unreachable(loc: Location, cause: BaseException | str) -> ArchiveUnavailable:
    return ArchiveUnavailable(
        f"the cold archive {loc.base_uri} is unreachable: {one_line(cause)} "
        "— answers need the archived days; check store.cold_uri, the network and the credentials"
    )


def needs_migrating(loc: Location) -> ArchiveUnavailable:
    return ArchiveUnavailable(
        f"the cold archive {loc.base_uri} needs migrating: it holds the pre-Delta Parquet layout "
        "(type=<type>/day=<day>/*.parquet) — stop the daemon and run `huracan store migrate`"
    )


@dataclass(frozen=True)
class ColdTable:
    """One event type's Delta table, as of one version."""

    type: str
    uri: str
    version: int
    table: DeltaTable = field(repr=False, compare=False)
    rows_by_day: dict[date, int] = field(repr=False)
    files: int
    bytes: int
    dataset: ds.Dataset = field(repr=False, compare=False)

    @property
    def days(self) -> list[date]:
        return sorted(self.rows_by_day)

    @property
    def rows(self) -> int:
        return sum(self.rows_by_day.values())

    def event_ids(self, days: Iterable[date]) -> pa.Table:
        """The ``event_id`` column of ``days`` (partition-pruned: only those days' files are read)."""
        wanted = sorted(set(days) & set(self.rows_by_day))
        if not wanted:
            return pa.table({"event_id": pa.array([], pa.string())})
        flt = pc.field("day").isin(pa.array(wanted, pa.date32()))
        return self.dataset.to_table(columns=["event_id"], filter=flt)


def _dataset(
    schema: pa.Schema, fs: pafs.FileSystem, paths: list[str], days: list[date], sizes: list[int]
) -> ds.Dataset:
    """A pyarrow dataset over a table version's files, each tagged with its ``day``.

    Built from the log's add actions rather than ``DeltaTable.to_pyarrow_dataset()``:
    that one attaches every file's min/max statistics as an expression, which costs
    ~0.4 ms of CPU per file at open (2 s for a year of 15 tables) and buys nothing here,
    where a file is one day of one table and the day is what queries filter on. Our
    tables use neither deletion vectors nor column mapping, which would need more.
    """
    fmt = ds.ParquetFileFormat(default_fragment_scan_options=ds.ParquetFragmentScanOptions(pre_buffer=True))
    field = pc.field("day")
    fragments = [
        fmt.make_fragment(
            path, filesystem=fs, partition_expression=field == pa.scalar(day, pa.date32()), file_size=size
        )
        for path, day, size in zip(paths, days, sizes, strict=True)
    ]
    return ds.FileSystemDataset(fragments, schema, fmt, fs)


class ColdArchive:
    """The Delta tables under ``uri`` (a local path or an ``s3://`` URI).

    Example::

        >>> import tempfile
        >>> from huracan.samples import sample_events
        >>> from huracan.store.schema import events_to_arrow
        >>> arc = ColdArchive(tempfile.mkdtemp())
        >>> arc.append("alert", events_to_arrow(list(sample_events("alert", n=3)))).version
        0
        >>> arc.load("alert").rows
        3
    """

    def __init__(self, uri: str):
        self.loc = Location.parse(uri)
        self.uri = self.loc.base_uri  # without the query: may be shown to people
        self.is_local = self.loc.is_local
        self._fs: pafs.FileSystem | None = None

    @property
    def fs(self) -> pafs.FileSystem:
        if self._fs is None:
            self._fs = self.loc.filesystem()
        return self._fs

    def table_uri(self, event_type: str) -> str:
        """The URI an outside engine opens for ``event_type``'s table."""
        return self.loc.child(event_type).base_uri

    @property
    def storage_options(self) -> dict[str, str]:
        """delta-rs ``storage_options`` for this archive (also what Polars' ``scan_delta`` takes)."""
        return self.loc.storage_options

    # --- listing -------------------------------------------------------------------

    def listing(self) -> tuple[list[str], list[str]]:
        """(event types with a table directory, event types in the legacy Parquet layout).

        One LIST of the root. Raises :class:`ArchiveUnavailable` when it cannot be read.
        """
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(self.loc.path, recursive=False, allow_not_found=True))
        except OSError as exc:
            raise unreachable(self.loc, exc) from None
        tables, legacy = [], []
        for info in infos:
            if info.type != pafs.FileType.Directory:
                continue
            name = info.base_name
            if name in EVENT_TYPES:
                tables.append(name)
            elif name.startswith(_LEGACY_PREFIX) and name[len(_LEGACY_PREFIX) :] in EVENT_TYPES:
                legacy.append(name[len(_LEGACY_PREFIX) :])
        return sorted(tables), sorted(legacy)

    def check_layout(self) -> list[str]:
        """The event types that have a table; :class:`ArchiveUnavailable` if unreachable or legacy."""
        tables, legacy = self.listing()
        if legacy:
            raise needs_migrating(self.loc)
        return tables

    # --- reading -------------------------------------------------------------------

    def load(self, event_type: str) -> ColdTable | None:
        """``event_type``'s table at its latest version, or None if it has none yet."""
        uri = self.table_uri(event_type)
        try:
            dt = DeltaTable(uri, storage_options=self.storage_options or None)
        except TableNotFoundError:
            return None  # no table, or only files of a first write killed before its commit
        except Exception as exc:  # delta-rs raises OSError or its own DeltaError
            raise unreachable(self.loc, exc) from None
        return self._snapshot(event_type, uri, dt)

    def load_all(self, types: Iterable[str] | None = None) -> dict[str, ColdTable]:
        """Every table (or those of ``types``), loaded in parallel: on S3 each is a few round trips."""
        names = self.check_layout() if types is None else list(types)
        if not names:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
            loaded = list(pool.map(self.load, names))
        return {n: t for n, t in zip(names, loaded, strict=True) if t is not None}

    def _snapshot(self, event_type: str, uri: str, dt: DeltaTable) -> ColdTable:
        try:
            adds = pa.table(dt.get_add_actions(flatten=True))
            schema = pa.schema(dt.schema().to_arrow())
            features = set(dt.protocol().reader_features or ())
        except Exception as exc:
            raise unreachable(self.loc, exc) from None
        unsupported = sorted(features & {"deletionVectors", "columnMapping"})
        if unsupported:
            raise unreachable(
                self.loc,
                f"the {event_type} table uses {', '.join(unsupported)} (another engine rewrote it?), which "
                "Huracan's reader does not apply; rewrite it without them",
            )
        rows: dict[date, int] = {}
        paths: list[str] = adds["path"].to_pylist() if adds.num_rows else []
        days: list[date] = adds["partition.day"].to_pylist() if adds.num_rows else []
        sizes: list[int] = adds["size_bytes"].to_pylist() if adds.num_rows else []
        for d, n in zip(days, adds["num_records"].to_pylist() if adds.num_rows else [], strict=True):
            rows[d] = rows.get(d, 0) + int(n or 0)
        sub = pafs.SubTreeFileSystem(self.loc.child(event_type).path, self.fs)
        return ColdTable(
            event_type, uri, dt.version(), dt, rows, len(paths), sum(sizes), _dataset(schema, sub, paths, days, sizes)
        )

    # --- writing -------------------------------------------------------------------

    def append(
        self,
        event_type: str,
        data: pa.Table | Iterable[pa.RecordBatch | pa.Table],
        *,
        metadata: dict[str, Any] | None = None,
        transaction: tuple[str, int] | None = None,
    ) -> ColdTable:
        """Append ``data`` (stored rows of ``event_type``, any schema version) as one commit.

        Rows are brought to :func:`~huracan.store.upgrade.archive_schema` on the way
        (streamed: a reader is never held in memory whole). Returns the table as of that commit.

        ``metadata`` lands in the commit's info (``DESCRIBE HISTORY`` shows it);
        ``transaction`` = (app id, version) is recorded as a Delta app transaction.
        New nullable columns merge into the table's schema.
        """
        props = CommitProperties(
            custom_metadata={"huracan": json.dumps(metadata, sort_keys=True, default=str)} if metadata else None,
            app_transactions=[Transaction(app_id=transaction[0], version=transaction[1])] if transaction else None,
        )
        uri = self.table_uri(event_type)
        failure: list[BaseException] = []
        source = current_reader(data.to_batches() if isinstance(data, pa.Table) else data, event_type)

        def batches() -> Iterator[pa.RecordBatch]:
            # An error raised while delta-rs pulls the stream comes back from Rust as a
            # generic I/O error: keep the original to re-raise it as it was.
            try:
                yield from source
            except BaseException as exc:
                failure.append(exc)
                raise

        reader = pa.RecordBatchReader.from_batches(source.schema, batches())
        if self.is_local:
            self.fs.create_dir(self.loc.child(event_type).path, recursive=True)
        try:
            write_deltalake(
                uri,
                reader,
                mode="append",
                partition_by=["day"],
                schema_mode="merge",
                storage_options=self.storage_options or None,
                configuration={"delta.checkpointInterval": str(CHECKPOINT_INTERVAL)},
                writer_properties=WriterProperties(compression="ZSTD", max_row_group_size=ROW_GROUP_SIZE),
                commit_properties=props,
            )
        except Exception as exc:
            if failure:
                raise failure[0] from None
            if isinstance(exc, SchemaMismatchError):
                raise ValueError(f"{event_type} rows do not fit the archive table {uri}: {one_line(exc)}") from None
            if isinstance(exc, ValueError | TypeError):
                raise
            raise unreachable(self.loc, exc) from exc
        table = self.load(event_type)

        assert table is not None  # we just committed to it
        return table

"""The cold archive: zstd Parquet on any pyarrow filesystem, one directory per type and day.

Layout (hive style, readable by DuckDB, Spark, Trino)::

    <root>/type=<type>/day=<YYYY-MM-DD>/part-<digest>.parquet

``type`` and ``day`` live in the directory names only, not inside the files (Spark
refuses a column that is both in the data and in the partition path). ``digest`` is
derived from the event ids in the file, so writing the same rows again produces the
same name and overwrites instead of duplicating.

Publishing is atomic for readers:
- local paths: the file is written in a staging directory *beside* the root (a
  half-written ``.x.parquet`` inside it would break every ``**/*.parquet`` scan),
  fsynced, ``os.replace``-d into place, then the directory is fsynced;
- object stores (``s3://…``): the file is built locally, then uploaded once under its
  final name; a PUT is atomic per object, so readers see all of it or nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

__all__ = ["ROW_GROUP_SIZE", "ColdArchive", "ColdFile", "part_name"]

#: DuckDB's own row-group size: smaller groups cost per-group overhead on every scan.
ROW_GROUP_SIZE = 122_880
_PART = re.compile(r"/type=(?P<type>[a-z0-9_]+)/day=(?P<day>\d{4}-\d{2}-\d{2})/part-[0-9a-f]{8,64}\.parquet$")
PARTITIONING_SCHEMA = pa.schema([("type", pa.string()), ("day", pa.date32())])


@dataclass(frozen=True)
class ColdFile:
    """One published Parquet file of the archive."""

    type: str
    day: date
    path: str  # filesystem path (no scheme), as the archive's filesystem takes it
    size: int


def part_name(event_ids: Iterable[str]) -> str:
    """The deterministic file name for a set of event ids (order does not matter)."""
    h = hashlib.sha256()
    for eid in sorted(event_ids):
        h.update(eid.encode())
        h.update(b"\n")
    return f"part-{h.hexdigest()[:16]}.parquet"


def _resolve(uri: str) -> tuple[pafs.FileSystem, str]:
    scheme = urlparse(uri).scheme
    if not scheme or len(scheme) == 1:  # a plain path (or a Windows drive letter)
        path = Path(uri).expanduser().resolve()
        return pafs.LocalFileSystem(), path.as_posix()
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise ValueError(
            f"store.cold_uri {uri!r} is not a filesystem URI pyarrow can open: {exc}. "
            "Use a local path or e.g. s3://bucket/prefix?region=eu-west-1"
        ) from None
    return fs, path.rstrip("/")


class ColdArchive:
    """Read and write the Parquet archive at ``uri`` (a local path or a pyarrow URI).

    Example::

        >>> import pyarrow as pa, tempfile, datetime as dt
        >>> arc = ColdArchive(tempfile.mkdtemp())
        >>> f = arc.publish("alert", dt.date(2025, 11, 6), pa.table({"event_id": ["a"]}))
        >>> [(c.type, c.day.isoformat()) for c in arc.files()]
        [('alert', '2025-11-06')]
    """

    def __init__(self, uri: str):
        self.uri = uri
        self.fs, self.root = _resolve(uri)
        self.is_local = isinstance(self.fs, pafs.LocalFileSystem)
        self._meta: dict[str, pq.FileMetaData] = {}  # footer cache: published files are immutable

    # --- listing -------------------------------------------------------------------

    def files(self, event_type: str | None = None) -> list[ColdFile]:
        """Every published part file (of ``event_type`` when given), by type then day.

        Anything else under the root — temp files, ``_SUCCESS``, hidden files — is ignored.
        """
        base = f"{self.root}/type={event_type}" if event_type else self.root
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        except OSError as exc:
            raise OSError(f"cannot list the cold archive {self.uri!r}: {exc}") from exc
        out = []
        for info in infos:
            if info.type != pafs.FileType.File:
                continue
            m = _PART.search(info.path)
            if m is None or not info.path.startswith(self.root + "/"):
                continue
            out.append(ColdFile(m["type"], date.fromisoformat(m["day"]), info.path, info.size or 0))
        out.sort(key=lambda f: (f.type, f.day, f.path))
        return out

    def path_for(self, event_type: str, day: date, name: str) -> str:
        return f"{self.root}/type={event_type}/day={day.isoformat()}/{name}"

    # --- writing -------------------------------------------------------------------

    def publish(
        self,
        event_type: str,
        day: date,
        data: pa.Table | Iterable[pa.RecordBatch],
        name: str | None = None,
        schema: pa.Schema | None = None,
    ) -> ColdFile:
        """Write one part file for (``event_type``, ``day``) atomically; return it.

        ``data`` must not contain the ``type`` / ``day`` columns (they are the path).
        ``name`` defaults to :func:`part_name` of the table's event ids.
        """
        if isinstance(data, pa.Table):
            schema = data.schema
            if name is None:
                name = part_name(data.column("event_id").to_pylist())
            # Re-chunk so each row group is a full ROW_GROUP_SIZE, not one per input chunk.
            batches: Iterable[pa.RecordBatch] = data.combine_chunks().to_batches(max_chunksize=ROW_GROUP_SIZE)
        else:
            if name is None or schema is None:
                raise ValueError("publishing record batches needs an explicit file name and schema")
            batches = data
        for col in ("type", "day"):
            if col in schema.names:
                raise ValueError(f"column {col!r} is part of the cold path, drop it before publishing")
        final = self.path_for(event_type, day, name)
        staging = self._staging_dir()
        tmp = staging / f"{event_type}.{day.isoformat()}.{uuid.uuid4().hex}.parquet.tmp"
        try:
            _write_parquet(tmp, schema, batches)
            if self.is_local:
                _replace_durably(tmp, Path(final))
            else:
                self.fs.create_dir(final.rsplit("/", 1)[0], recursive=True)
                with tmp.open("rb") as src, self.fs.open_output_stream(final) as dst:
                    dst.upload(src)
        finally:
            tmp.unlink(missing_ok=True)
            if not self.is_local:
                shutil.rmtree(staging, ignore_errors=True)
        self._meta.pop(final, None)
        size = self.fs.get_file_info(final).size or 0
        return ColdFile(event_type, day, final, size)

    def _staging_dir(self) -> Path:
        if not self.is_local:
            return Path(tempfile.mkdtemp(prefix="huracan-cold-"))
        # Beside the root, not in it: a reader globbing the archive must never see a
        # half-written file; same filesystem, so os.replace is an atomic rename.
        root = Path(self.root)
        staging = root.parent / f".{root.name}.staging"
        staging.mkdir(parents=True, exist_ok=True)
        return staging

    # --- reading -------------------------------------------------------------------

    def read_event_ids(self, files: Iterable[ColdFile]) -> pa.Table:
        """The ``event_id`` column of ``files``, as one table."""
        tables = [pq.read_table(f.path, columns=["event_id"], filesystem=self.fs) for f in files]
        if not tables:
            return pa.table({"event_id": pa.array([], pa.string())})
        return pa.concat_tables(tables)

    def metadata(self, files: list[ColdFile]) -> list[pq.FileMetaData]:
        """The Parquet footers of ``files``, read once per file and cached.

        Read in parallel: on an object store each footer is a round trip.
        """
        missing = [f.path for f in files if f.path not in self._meta]
        if missing:
            with ThreadPoolExecutor(max_workers=min(16, len(missing))) as pool:
                for path, meta in zip(missing, pool.map(self._read_metadata, missing), strict=True):
                    self._meta[path] = meta
        return [self._meta[f.path] for f in files]

    def _read_metadata(self, path: str) -> pq.FileMetaData:
        with self.fs.open_input_file(path) as fh:
            return pq.read_metadata(fh)

    def row_counts(self, files: list[ColdFile]) -> list[int]:
        """Rows per file, from the footers (no data read)."""
        return [m.num_rows for m in self.metadata(files)]

    def schema(self, files: list[ColdFile]) -> pa.Schema:
        """The unified schema of ``files`` plus the ``type`` / ``day`` partition columns.

        Files written by older releases may lack columns or have others (``pnl_pct``).
        """
        schemas = [m.schema.to_arrow_schema().remove_metadata() for m in self.metadata(files)]
        return pa.unify_schemas([*schemas, PARTITIONING_SCHEMA], promote_options="permissive")

    def dataset(self, files: list[ColdFile]) -> ds.Dataset:
        """A pyarrow dataset over ``files``, with ``type`` and ``day`` from their paths."""
        return ds.dataset(
            [f.path for f in files],
            schema=self.schema(files),
            format="parquet",
            filesystem=self.fs,
            partitioning=ds.partitioning(PARTITIONING_SCHEMA, flavor="hive"),
            partition_base_dir=self.root,
        )

    def duckdb_source(self, files: list[ColdFile]) -> str:
        """A DuckDB table expression reading local ``files`` natively (``type``/``day`` from the path)."""
        if not self.is_local:
            raise ValueError("duckdb_source reads local files only; use dataset() for object stores")
        paths = ", ".join("'" + f.path.replace("'", "''") + "'" for f in files)
        return (
            f"read_parquet([{paths}], hive_partitioning = true, "
            "hive_types = {'type': VARCHAR, 'day': DATE}, union_by_name = true)"
        )


def _write_parquet(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    with path.open("wb") as fh:
        with pq.ParquetWriter(fh, schema, compression="zstd") as writer:
            for batch in batches:
                if batch.num_rows:
                    writer.write_batch(batch, row_group_size=ROW_GROUP_SIZE)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_durably(tmp: Path, final: Path) -> None:
    created = [p for p in (final.parent, *final.parent.parents) if not p.exists()]
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
    _fsync_dir(final.parent)
    # New directories are only durable once their own parents are fsynced too.
    for d in created:
        _fsync_dir(d.parent)

"""Backups of what the cold archive does not hold, and bringing a new host up from one.

The Delta archive (on object storage) survives the host. What lives only on the host's
disk is the hot tier (the last ``store.hot_days`` days plus today), the model registry
(``models/``), the ledgers (deliveries, council cost, the job-run ledger inside the hot
database) and the digest archive. ``huracan store backup DEST`` copies all of it to any
local path or ``s3://`` URI::

    DEST/huracan-backup-<YYYYmmddTHHMMSSZ>/
        hot/<table>.parquet        every hot table, one consistent DuckDB snapshot
        files/models/…  files/digests/…  files/council/…  files/deliveries.jsonl
        manifest.json              written last: no manifest, no backup

The hot snapshot is taken in one DuckDB transaction by the process that holds the store
(the daemon, through ``POST /v1/store/snapshot``, or the CLI when no daemon runs); each
file is uploaded once under its final name with its SHA-256 in the manifest.
``huracan store restore SRC`` checks every file against the manifest, builds the hot
database beside the data dir and moves everything into place last.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from huracan import __version__
from huracan.config import Settings
from huracan.store.hot import HotDB, quote, sql_type
from huracan.store.location import Location, one_line

if TYPE_CHECKING:
    from huracan.store.store import Store

__all__ = ["BackupError", "backup", "restore", "take_snapshot"]

MANIFEST = "manifest.json"
PREFIX = "huracan-backup-"
#: What, under the data dir, a backup copies besides the hot tier.
FILES = ("models", "digests", "council", "deliveries.jsonl")
SNAPSHOTS = "backup-snapshots"
_CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup or restore that cannot be done as asked; the message says why and what to do."""


def take_snapshot(store: Store) -> dict[str, Any]:
    """Write every hot table as Parquet under ``<data_dir>/backup-snapshots/<ts>/``, consistently.

    One DuckDB transaction: the tables are as of one instant, whatever ingest or a roll
    does meanwhile. Snapshots older than a day (a backup that died) are removed first.
    """
    root = store.settings.data_dir / SNAPSHOTS
    _prune(root, max_age_s=86_400)
    target = root / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target.mkdir(parents=True)
    cur = store.hot.con.cursor()
    counts: dict[str, int] = {}
    try:
        cur.begin()
        names = [
            r[0]
            for r in cur.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary "
                "AND database_name = current_database() ORDER BY table_name"
            ).fetchall()
        ]
        for name in names:
            reader = cur.sql(f"SELECT * FROM {quote(name)}").to_arrow_reader(batch_size=122_880)
            counts[name] = _write_parquet(target / f"{name}.parquet", reader)
        cur.rollback()  # read only
    finally:
        cur.close()
    return {"path": str(target), "tables": counts}


def _write_parquet(path: Path, reader: pa.RecordBatchReader) -> int:
    n = 0
    with pq.ParquetWriter(path, reader.schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch)
            n += batch.num_rows
    return n


def _prune(root: Path, max_age_s: float) -> None:
    if not root.is_dir():
        return
    for d in root.iterdir():
        if d.is_dir() and time.time() - d.stat().st_mtime > max_age_s:
            shutil.rmtree(d, ignore_errors=True)


def backup(settings: Settings, snapshot: dict[str, Any], dest: str) -> dict[str, Any]:
    """Upload ``snapshot`` (from :func:`take_snapshot`) and the data dir's files to ``dest``.

    Returns the manifest (with ``uri``, where the backup is). The local snapshot is removed.
    """
    loc = Location.parse(dest)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = loc.child(PREFIX + stamp)
    fs = out.filesystem()
    entries: list[dict[str, Any]] = []
    snap = Path(snapshot["path"])
    try:
        for f in sorted(snap.glob("*.parquet")):
            entries.append(_upload(fs, f, out, f"hot/{f.name}"))
        for rel, path in _data_files(settings.data_dir):
            entries.append(_upload(fs, path, out, f"files/{rel}", whole_lines=path.suffix == ".jsonl"))
        manifest = {
            "format": 1,
            "created_at": datetime.now(UTC).isoformat(),
            "huracan_version": __version__,
            "cold_uri": Location.parse(settings.cold_uri).base_uri,
            "hot_tables": snapshot["tables"],
            "files": entries,
        }
        _put(fs, f"{out.path}/{MANIFEST}", json.dumps(manifest, indent=2).encode())  # last: marks it complete
    except OSError as exc:
        raise BackupError(f"cannot write the backup to {out.base_uri}: {one_line(exc)}") from None
    finally:
        shutil.rmtree(snap, ignore_errors=True)
    return {"uri": out.base_uri, **manifest}


def _data_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    for name in FILES:
        p = data_dir / name
        if p.is_file():
            yield name, p
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    yield f.relative_to(data_dir).as_posix(), f


def _upload(fs: pafs.FileSystem, src: Path, out: Location, rel: str, whole_lines: bool = False) -> dict[str, Any]:
    data = src.read_bytes()
    if whole_lines and data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]  # a line being appended right now is not yet a record
    _put(fs, f"{out.path}/{rel}", data)
    return {"path": rel, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _put(fs: pafs.FileSystem, path: str, data: bytes) -> None:
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as fh:
        fh.write(data)


# --- restore --------------------------------------------------------------------------


def find_backup(src: str) -> tuple[Location, dict[str, Any]]:
    """The backup at ``src``, or the newest complete one under it; with its manifest."""
    loc = Location.parse(src)
    fs = loc.filesystem()
    try:
        return loc, _manifest(fs, loc)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise BackupError(f"cannot read the backup at {loc.base_uri}: {one_line(exc)}") from None
    try:
        infos = fs.get_file_info(pafs.FileSelector(loc.path, allow_not_found=True))
    except OSError as exc:
        raise BackupError(f"cannot read the backup at {loc.base_uri}: {one_line(exc)}") from None
    for name in sorted((i.base_name for i in infos if i.base_name.startswith(PREFIX)), reverse=True):
        child = loc.child(name)
        try:
            return child, _manifest(fs, child)
        except FileNotFoundError:
            continue  # a backup that died before its manifest: incomplete, skip it
    raise BackupError(
        f"no complete backup at {loc.base_uri}: expected {MANIFEST} there or in a {PREFIX}* folder under it"
    )


def _manifest(fs: pafs.FileSystem, loc: Location) -> dict[str, Any]:
    with fs.open_input_stream(f"{loc.path}/{MANIFEST}") as fh:
        data: dict[str, Any] = json.loads(fh.read())
    if data.get("format") != 1:
        raise BackupError(f"{loc.base_uri}/{MANIFEST}: unknown backup format {data.get('format')!r}")
    return data


def restore(settings: Settings, src: str, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Bring ``settings.data_dir`` (which must hold no store yet) up from the backup at ``src``."""
    say = progress or (lambda _m: None)
    data_dir = settings.data_dir
    taken = [p for p in (settings.hot_db_path, *(data_dir / n for n in FILES)) if p.exists()]
    if taken:
        raise BackupError(
            f"{data_dir} already holds a store ({', '.join(p.name for p in taken)}); restore into a new, empty "
            "data dir (--data-dir) or move these away first"
        )
    loc, manifest = find_backup(src)
    say(f"restoring {loc.base_uri} (taken {manifest['created_at']}, huracan {manifest['huracan_version']})")
    fs = loc.filesystem()
    staging = data_dir / f".restore-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for entry in manifest["files"]:
            _download(fs, loc, entry, staging / entry["path"])
        hot = staging / "hot.duckdb"
        counts = _build_hot(hot, staging / "hot", settings)
        if counts != manifest["hot_tables"]:
            raise BackupError(f"the restored hot tier does not match the backup's manifest: {counts}")
        for name in FILES:
            p = staging / "files" / name
            if p.exists():
                os.replace(p, data_dir / name)
        os.replace(hot, settings.hot_db_path)  # last: a restore that died leaves no half store
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say(f"restored {sum(counts.values()):,} hot rows in {len(counts)} tables and {len(manifest['files'])} files")
    return {"uri": loc.base_uri, "hot_tables": counts, "files": len(manifest["files"])}


def _download(fs: pafs.FileSystem, loc: Location, entry: dict[str, Any], target: Path) -> None:
    rel = entry["path"]
    if rel.startswith("/") or ".." in Path(rel).parts:
        raise BackupError(f"the manifest names a path outside the backup: {rel!r}")
    try:
        with fs.open_input_stream(f"{loc.path}/{rel}") as fh:
            data = fh.read()
    except OSError as exc:
        raise BackupError(f"cannot read {loc.base_uri}/{rel}: {one_line(exc)}") from None
    if len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise BackupError(f"{loc.base_uri}/{rel} does not match its SHA-256 in the manifest: the backup is damaged")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _build_hot(path: Path, tables_dir: Path, settings: Settings) -> dict[str, int]:
    s = settings.store
    hot = HotDB(path, memory_limit=s.duckdb_memory_limit, threads=s.duckdb_threads)  # creates the ev_ tables
    counts: dict[str, int] = {}
    try:
        con = hot.con
        for f in sorted(tables_dir.glob("*.parquet")):
            name = f.stem
            table = pq.read_table(f)
            con.register("_huracan_restore", table)
            exists = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [name]
            ).fetchall()[0][0]
            if not exists:
                con.execute(f"CREATE TABLE {quote(name)} AS SELECT * FROM _huracan_restore")
            else:
                have = {r[0] for r in con.execute(f"SELECT * FROM {quote(name)} LIMIT 0").description or []}
                for fld in table.schema:
                    if fld.name not in have:  # a column of an older release (e.g. pnl_pct)
                        con.execute(f"ALTER TABLE {quote(name)} ADD COLUMN {quote(fld.name)} {sql_type(fld.type)}")
                con.execute(f"INSERT INTO {quote(name)} BY NAME SELECT * FROM _huracan_restore")
            con.unregister("_huracan_restore")
            counts[name] = int(con.execute(f"SELECT count(*) FROM {quote(name)}").fetchall()[0][0])
        con.execute("CHECKPOINT")
    finally:
        hot.close()
    return counts

"""The cold archive at a year of history: Delta tables vs the Parquet layout they replace.

Builds, in one run, the same year of daily partitions (every event type, ``--days``
nights, ``--rows`` rows per type and night) twice — as today's Delta tables (one commit
per table per night, as the roll makes them) and as the pre-Delta Parquet layout
(``type=<t>/day=<d>/part-*.parquet``, one file per type and night) — on local disk and
on a moto S3 server on loopback, then times:

- **open**: ``Store.open`` (Delta) vs the old open (list the archive, read every footer
  on S3, build the views) — the baseline is the old code path, reproduced here;
- **first query**: one day's count on a fresh store;
- **30-day query**: a grouped aggregate spanning 30 days;
- **roll of one night**: every type's hot day into the archive (one commit per table)
  vs one Parquet file per type.

Wall seconds and CPU seconds (this process; the moto server's CPU is not counted) per
operation, median of ``--reps``, and the Delta/Parquet ratio.

    .venv/bin/python benchmarks/store_archive.py                 # a year, local + S3
    .venv/bin/python benchmarks/store_archive.py --days 60 --no-s3
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from huracan.config import load_config
from huracan.events import EVENT_TYPES
from huracan.samples import sample_events
from huracan.store import ColdArchive, Store
from huracan.store.location import Location
from huracan.store.schema import events_to_arrow
from tests.legacy_archive import publish

FIRST = date(2025, 1, 1)
_PART_SCHEMA = pa.schema([("type", pa.string()), ("day", pa.date32())])


def night(etype: str, day: date, rows: int, template: pa.Table) -> pa.Table:
    """``rows`` events of ``etype`` on ``day``: a template day re-stamped (ids and times unique)."""
    t = template.slice(0, rows) if template.num_rows >= rows else template
    n = t.num_rows
    start = np.datetime64(datetime(day.year, day.month, day.day), "us")
    ts = start + (np.arange(n) * (86_400_000_000 // max(n, 1))).astype("timedelta64[us]")
    ids = pa.array([f"{etype[:4]}{day.toordinal():07d}{i:06d}" for i in range(n)])
    t = t.set_column(t.schema.get_field_index("event_id"), "event_id", ids)
    t = t.set_column(t.schema.get_field_index("ts"), "ts", pa.array(ts, pa.timestamp("us", tz="UTC")))
    return t.set_column(t.schema.get_field_index("day"), "day", pa.array([day] * n, pa.date32()))


def templates(rows: int) -> dict[str, pa.Table]:
    return {t: events_to_arrow(list(sample_events(t, n=rows, seed=3))) for t in sorted(EVENT_TYPES)}


def timed(fn: Callable[[], Any], reps: int) -> tuple[float, float, Any]:
    walls, cpus, out = [], [], None
    for _ in range(reps):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


# --- building the year -------------------------------------------------------------


def build_delta(uri: str, days: int, rows: int, tpl: dict[str, pa.Table]) -> float:
    cold = ColdArchive(uri)

    def table_history(etype: str) -> None:
        for k in range(days):
            d = FIRST + timedelta(days=k)
            cold.append(etype, night(etype, d, rows, tpl[etype]), transaction=("huracan-roll", d.toordinal()))

    w = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(table_history, tpl))
    return time.perf_counter() - w


def build_parquet(uri: str, days: int, rows: int, tpl: dict[str, pa.Table]) -> float:
    def one(arg: tuple[str, int]) -> None:
        etype, k = arg
        d = FIRST + timedelta(days=k)
        publish(uri, etype, d, night(etype, d, rows, tpl[etype]).drop_columns(["type", "day"]))

    w = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, [(t, k) for t in tpl for k in range(days)]))
    return time.perf_counter() - w


# --- the pre-Delta open path, reproduced (the baseline) -----------------------------


class ParquetArchive:
    """What releases before Delta did to open and query the archive."""

    def __init__(self, uri: str):
        self.loc = Location.parse(uri)
        self.fs = self.loc.filesystem()

    def open(self) -> dict[str, Any]:
        infos = self.fs.get_file_info(pafs.FileSelector(self.loc.path, recursive=True, allow_not_found=True))
        files: dict[str, list[str]] = {}
        for i in infos:
            if i.type == pafs.FileType.File and i.path.endswith(".parquet"):
                etype = i.path.split("/type=")[1].split("/")[0]
                files.setdefault(etype, []).append(i.path)
        views: dict[str, Any] = {}
        for etype, paths in files.items():
            if self.loc.is_local:
                lits = ", ".join(f"'{p}'" for p in paths)
                views[etype] = (
                    f"read_parquet([{lits}], hive_partitioning = true, "
                    "hive_types = {'type': VARCHAR, 'day': DATE}, union_by_name = true)"
                )
            else:  # every footer, for the unified schema (one round trip each, 16 at a time)
                with ThreadPoolExecutor(max_workers=16) as pool:
                    metas = list(pool.map(self._footer, paths))
                schema = pa.unify_schemas(
                    [m.schema.to_arrow_schema().remove_metadata() for m in metas] + [_PART_SCHEMA],
                    promote_options="permissive",
                )
                views[etype] = ds.dataset(
                    paths,
                    schema=schema,
                    format="parquet",
                    filesystem=self.fs,
                    partitioning=ds.partitioning(_PART_SCHEMA, flavor="hive"),
                    partition_base_dir=self.loc.path,
                )
        return views

    def _footer(self, path: str) -> pq.FileMetaData:
        with self.fs.open_input_file(path) as fh:
            return pq.read_metadata(fh)

    def cursor(self, views: dict[str, Any]) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        for etype, src in views.items():
            if isinstance(src, str):
                con.execute(f"CREATE TEMP VIEW v_{etype} AS SELECT * FROM {src}")
            else:
                con.register(f"_c_{etype}", src)
                con.execute(f"CREATE TEMP VIEW v_{etype} AS SELECT * FROM _c_{etype}")
        return con


# --- the measurements ----------------------------------------------------------------


def queries(days: int) -> tuple[tuple[str, list[Any]], tuple[str, list[Any]]]:
    mid = FIRST + timedelta(days=days // 2)
    one = ("SELECT count(*) FROM v_signal WHERE day = ?", [mid])
    month = (
        "SELECT day, count(*) AS n, avg(confidence) AS c FROM v_signal WHERE day BETWEEN ? AND ? GROUP BY day",
        [mid - timedelta(days=29), mid],
    )
    return one, month


class DeltaArchive:
    """The Delta open path, scoped like the baseline: the archive and the views, no hot tier."""

    def __init__(self, uri: str):
        self.cold = ColdArchive(uri)

    def open(self) -> dict[str, Any]:
        return {t: table.dataset for t, table in self.cold.load_all().items()}

    def cursor(self, views: dict[str, Any]) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        for etype, dataset in views.items():
            con.register(f"_c_{etype}", dataset)
            con.execute(f"CREATE TEMP VIEW v_{etype} AS SELECT * FROM _c_{etype}")
        return con


def measure(label: str, delta_uri: str, parquet_uri: str, days: int, reps: int, tmp: Path) -> list[tuple]:
    one, month = queries(days)
    out = []
    results: dict[str, list[Any]] = {}
    for name, arc in (("delta", DeltaArchive(delta_uri)), ("parquet", ParquetArchive(parquet_uri))):

        def first(arc: Any = arc) -> Any:
            return arc.cursor(arc.open()).execute(*one).fetchall()

        o = timed(arc.open, reps)
        f = timed(first, reps)
        cur = arc.cursor(arc.open())
        answer = cur.execute(*month).fetchall()
        m = timed(lambda cur=cur: cur.execute(*month).fetchall(), reps)
        results[name] = [o, f, m, sorted(answer)]
    assert results["delta"][3] == results["parquet"][3], "both layouts must give the same answer"
    out.append((label, "open the archive (list + views)", results["delta"][0], results["parquet"][0]))
    out.append((label, "open + first query (one day)", results["delta"][1], results["parquet"][1]))
    out.append((label, "30-day query (warm)", results["delta"][2], results["parquet"][2]))

    # The whole Store.open (hot DuckDB file, cold tables, views): the "opens in under 2 s".
    settings = load_config(data_dir=tmp / f"store-{label}", store={"cold_uri": delta_uri})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    Store.open(settings).close()  # create the hot file once

    def store_open() -> None:
        Store.open(settings).close()

    w, c, _ = timed(store_open, reps)
    print(f"{label}: Store.open with {days} days of archive: {w:.3f} s wall, {c:.3f} s CPU", flush=True)
    return out


def measure_roll(label: str, delta_uri: str, parquet_uri: str, rows: int, tpl: dict[str, pa.Table], tmp: Path) -> tuple:
    d = FIRST + timedelta(days=400)  # a night after the year
    nightly = {t: night(t, d, rows, tpl[t]) for t in tpl}
    settings = load_config(data_dir=tmp / f"roll-{label}", store={"cold_uri": delta_uri, "hot_days": 1})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with Store.open(settings) as store:
        store.write_tables(nightly)
        now = datetime(d.year, d.month, d.day, 0, 45, tzinfo=UTC) + timedelta(days=1)
        w, c = time.perf_counter(), time.process_time()
        report = store.roll(now)
        delta = (time.perf_counter() - w, time.process_time() - c, report)
    assert report.rows == sum(t.num_rows for t in nightly.values())
    w, c = time.perf_counter(), time.process_time()
    for t, table in nightly.items():
        publish(parquet_uri, t, d, table.drop_columns(["type", "day"]))
    parq = (time.perf_counter() - w, time.process_time() - c, None)
    return (label, "roll of one night (all types)", delta, parq)


def moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    for k, v in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(k, v)
    pafs.S3FileSystem(
        endpoint_override=f"127.0.0.1:{port}", scheme="http", region="us-east-1", allow_bucket_creation=True
    ).create_dir("bench")
    return proc, f"endpoint_override=127.0.0.1:{port}&scheme=http&region=us-east-1"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--rows", type=int, default=40, help="rows per type per night")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-s3", action="store_true")
    args = ap.parse_args()
    tpl = templates(args.rows)
    results = []
    with tempfile.TemporaryDirectory(prefix="huracan-bench-") as tmpdir:
        tmp = Path(tmpdir)
        targets = [("local", str(tmp / "delta"), str(tmp / "parquet"))]
        proc = None
        if not args.no_s3:
            proc, q = moto()
            targets.append(("moto S3", f"s3://bench/delta?{q}", f"s3://bench/parquet?{q}"))
        try:
            for label, delta_uri, parquet_uri in targets:
                bd = build_delta(delta_uri, args.days, args.rows, tpl)
                bp = build_parquet(parquet_uri, args.days, args.rows, tpl)
                tables = ColdArchive(delta_uri).load_all()
                print(
                    f"{label}: built {args.days} nights x {len(tpl)} types "
                    f"({sum(t.files for t in tables.values()):,} Delta files, "
                    f"{sum(t.version + 1 for t in tables.values()):,} commits) in {bd:.0f} s; Parquet layout in {bp:.0f} s",
                    flush=True,
                )
                results += measure(label, delta_uri, parquet_uri, args.days, args.reps, tmp)
                results.append(measure_roll(label, delta_uri, parquet_uri, args.rows, tpl, tmp))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait()
    print(
        f"\n{'where':<8} {'what':<32} {'Delta wall s':>12} {'CPU s':>7} {'Parquet wall s':>15} {'CPU s':>7} {'ratio':>7}"
    )
    for label, what, (dw, dc, _), (pw, pc, _) in results:
        print(f"{label:<8} {what:<32} {dw:>12.3f} {dc:>7.3f} {pw:>15.3f} {pc:>7.3f} {dw / pw:>6.2f}x")
    print(f"\n(load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs; ratio = Delta / Parquet, lower is better)")


if __name__ == "__main__":
    main()

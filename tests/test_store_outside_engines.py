"""Outside engines read the archive with no options and get the project's numbers.

Polars (``scan_delta``) and a plain DuckDB connection (the table's Arrow dataset, as any
DuckDB user without the delta extension would) compute the daily shadow win rate and
closed-trade count from the Delta table alone, and must equal the metrics snapshot.
The Spark test (slow) runs only where pyspark and a JVM are installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl
import pytest
from deltalake import DeltaTable

from huracan.analytics.metrics import compute_snapshot
from huracan.config import Settings, load_config
from huracan.plugins.manager import get_plugins
from huracan.store import ColdArchive, Store
from tests.metrics_data import DAY, build_days

BUILTIN = ("huracan.plugins.builtin.metrics",)
DAYS = [DAY - timedelta(days=k) for k in range(3)]


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict[date, Any]]]:
    """Eight days of known trading, all rolled to the archive (hot_days=1), and the project's snapshots."""
    data_dir = tmp_path_factory.mktemp("outside") / "data"
    data_dir.mkdir()
    settings = load_config(data_dir=data_dir, store={"hot_days": 1})
    days = build_days(signals_per_day=60, win_prob={DAY: 0.8, DAYS[1]: 0.3})
    plugins = get_plugins(settings, entry_points=False, default_plugins=BUILTIN)
    with Store.open(settings) as store:
        store.write_events(days.events)
        store.roll(datetime(DAY.year, DAY.month, DAY.day, 1, tzinfo=UTC) + timedelta(days=1))
        snaps = {d: compute_snapshot(store.cursor(), d, plugins, settings) for d in DAYS}
    yield (
        settings,
        {d: (s.metrics["shadow_win_rate"].value, s.metrics["shadow_closed"].value) for d, s in snaps.items()},
    )


def test_polars_scan_delta_gets_the_daily_win_rate(archived: tuple[Settings, dict[date, Any]]) -> None:
    settings, want = archived
    uri = ColdArchive(settings.cold_uri).table_uri("shadow_outcome")
    got = (
        pl.scan_delta(uri)
        .filter(~pl.col("counterfactual") & pl.col("day").is_in(DAYS))
        .group_by("day")
        .agg(pl.col("win").mean().alias("rate"), pl.len().alias("n"))
        .collect()
    )
    rows = {r["day"]: (r["rate"], r["n"]) for r in got.iter_rows(named=True)}
    for d in DAYS:
        assert rows[d][0] == pytest.approx(want[d][0], abs=1e-12) and rows[d][1] == want[d][1]


def test_duckdb_over_the_table_gets_the_same(archived: tuple[Settings, dict[date, Any]]) -> None:
    settings, want = archived
    con = duckdb.connect()
    dataset = DeltaTable(ColdArchive(settings.cold_uri).table_uri("shadow_outcome")).to_pyarrow_dataset()
    con.register("shadow_outcome", dataset)
    rows = con.execute(
        "SELECT day, avg(win::INT) AS rate, count(*) AS n FROM shadow_outcome "
        "WHERE NOT counterfactual AND day BETWEEN ? AND ? GROUP BY day",
        [min(DAYS), max(DAYS)],
    ).fetchall()
    got = {d: (rate, n) for d, rate, n in rows}
    for d in DAYS:
        assert got[d][0] == pytest.approx(want[d][0], abs=1e-12) and got[d][1] == want[d][1]


def _spark() -> Any:
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark")
    from pyspark.sql import SparkSession

    try:
        return (
            SparkSession.builder.master("local[1]")
            .appName("huracan-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
    except Exception as exc:  # no JVM that works here
        pytest.skip(f"Spark does not start here: {exc}")
    assert pyspark


@pytest.mark.slow
def test_spark_reads_the_table_snapshot(archived: tuple[Settings, dict[date, Any]]) -> None:
    """Spark over the files of the table's current version (delta-spark's jars come from
    Maven, which this machine cannot reach: docs/scale-out.md shows the delta-spark read)."""
    settings, want = archived
    spark = _spark()
    try:
        table = DeltaTable(ColdArchive(settings.cold_uri).table_uri("shadow_outcome"))
        root = table.table_uri.removeprefix("file://").rstrip("/")
        # Exactly the files of the current version, from the Delta log (not a directory glob).
        df = spark.read.option("basePath", root).parquet(*table.file_uris())
        df.createOrReplaceTempView("shadow_outcome")
        rows = spark.sql(
            "SELECT day, avg(CAST(win AS INT)) AS rate, count(*) AS n FROM shadow_outcome "
            f"WHERE NOT counterfactual AND day >= DATE '{min(DAYS)}' AND day <= DATE '{max(DAYS)}' GROUP BY day"
        ).collect()
        got = {r["day"]: (r["rate"], r["n"]) for r in rows}
        for d in DAYS:
            assert got[d][0] == pytest.approx(want[d][0], abs=1e-12) and got[d][1] == want[d][1]
    finally:
        spark.stop()

"""Cold storage on S3: Delta tables on moto's server on loopback, selected by the cold URI alone."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from huracan.config import load_config
from huracan.samples import sample_events
from huracan.store import ArchiveUnavailable, ColdArchive, Store

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("moto server did not start")
                time.sleep(0.1)
        for key, value in {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(key, value)
        endpoint = f"127.0.0.1:{port}"
        fs = pafs.S3FileSystem(
            endpoint_override=endpoint,
            scheme="http",
            access_key="test",
            secret_key="test",
            region="us-east-1",
            allow_bucket_creation=True,
        )
        fs.create_dir("huracan-test")
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_roll_to_s3_and_query_across_tiers(s3_endpoint: str, data_dir: Path) -> None:
    uri = f"s3://huracan-test/archive?endpoint_override={s3_endpoint}&scheme=http&region=us-east-1"
    settings = load_config(data_dir=data_dir, store={"cold_uri": uri})
    start = datetime(2025, 11, 1, tzinfo=UTC)
    events = [
        e.model_copy(update={"ts": start + timedelta(hours=7 * i)}) for i, e in enumerate(sample_events("signal", n=40))
    ]
    with Store.open(settings) as store:
        store.write_events(events)
        report = store.roll(datetime(2025, 11, 12, tzinfo=UTC))
        assert report.rows > 0 and [(m.type, m.version, m.uri) for m in report.moved] == [
            ("signal", 0, "s3://huracan-test/archive/signal")
        ]
        [row] = store.query("SELECT count(*) AS n, count(DISTINCT event_id) AS d, min(day) AS first FROM v_signal")
        assert row == {"n": 40, "d": 40, "first": date(2025, 11, 1)}
        day = store.query("SELECT count(*) AS n FROM v_signal WHERE day = ?", [date(2025, 11, 2)])
        assert day == [{"n": sum(1 for e in events if e.ts.date() == date(2025, 11, 2))}]
        got = list(store.iter_events(start, start + timedelta(days=30), types=["signal"]))
        assert [e.event_id for e in got] == [e.event_id for e in events]
        assert store.roll(datetime(2025, 11, 12, tzinfo=UTC)).rows == 0  # idempotent
    cold = ColdArchive(uri)
    table = cold.load("signal")
    assert table is not None and table.version == 0 and table.rows == report.rows
    assert table.days == report.days
    with Store.open(settings, read_only=True) as ro:
        assert ro.counts()["signal"] == 40


def test_s3_going_away_is_an_error_not_a_partial_answer(s3_endpoint: str, data_dir: Path) -> None:
    uri = f"s3://huracan-test/gone?endpoint_override={s3_endpoint}&scheme=http&region=us-east-1"
    settings = load_config(data_dir=data_dir, store={"cold_uri": uri})
    with Store.open(settings) as store:
        store.write_events(list(sample_events("alert", n=4)))
    dead = uri.replace(s3_endpoint, "127.0.0.1:9") + "&access_key=AKIDSHOULDNOTLEAK&secret_key=SECRETSHOULDNOTLEAK"
    with Store.open(load_config(data_dir=data_dir, store={"cold_uri": dead})) as store:
        assert store.cold_error and "s3://huracan-test/gone is unreachable" in store.cold_error
        assert "SHOULDNOTLEAK" not in store.cold_error
        with pytest.raises(ArchiveUnavailable):
            store.query("SELECT count(*) FROM v_alert")
        assert store.write_events(list(sample_events("alert", n=1, seed=3))) == 1


def test_migrate_a_legacy_archive_on_s3(s3_endpoint: str, data_dir: Path) -> None:
    from huracan.store.migrate import migrate
    from tests.test_store_migrate import V1_DAY, build_legacy

    uri = f"s3://huracan-test/legacy?endpoint_override={s3_endpoint}&scheme=http&region=us-east-1"
    counts = build_legacy(uri)
    report = migrate(ColdArchive(uri))
    assert {t.type: t.rows for t in report.tables} == counts
    cold = ColdArchive(uri)
    assert cold.listing() == (sorted(counts), [])  # the Parquet prefixes are gone
    with Store.open(load_config(data_dir=data_dir, store={"cold_uri": uri})) as store:
        assert store.counts()["shadow_outcome"] == counts["shadow_outcome"]
        [n] = store.query(
            f"SELECT count(*) AS n FROM v_shadow_outcome WHERE NOT counterfactual AND day = DATE '{V1_DAY}'"
        )
        assert n == {"n": 2}


def test_backup_to_s3_and_restore_from_it(s3_endpoint: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from huracan.cli import app
    from tests.test_store_backup import fill, host, state

    runner = CliRunner()
    old = host(tmp_path / "old", tmp_path / "archive")
    old.data_dir.mkdir()
    fill(old)
    dest = f"s3://huracan-test/backups?endpoint_override={s3_endpoint}&scheme=http&region=us-east-1"
    res = runner.invoke(app, ["--data-dir", str(old.data_dir), "store", "backup", dest, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["uri"].startswith("s3://huracan-test/backups/huracan-backup-")
    new = host(tmp_path / "new", tmp_path / "archive")
    new.data_dir.mkdir()
    res = runner.invoke(app, ["--data-dir", str(new.data_dir), "store", "restore", dest])
    assert res.exit_code == 0, res.output
    assert state(new) == state(old)

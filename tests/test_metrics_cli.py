"""`huracan metrics`: JSON is exactly the snapshot; the table groups by category."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.cli import app
from huracan.config import load_config
from huracan.store import Store
from tests.metrics_data import DAY, build_days

runner = CliRunner()


@pytest.fixture
def filled(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HURACAN_DISABLE_ENTRY_POINTS", "1")
    with Store.open(load_config(data_dir=data_dir)) as store:
        store.write_events(build_days(days=2, signals_per_day=30).events)
    return data_dir


def test_json_is_the_snapshot_of_the_last_day(filled: Path) -> None:
    res = runner.invoke(app, ["--data-dir", str(filled), "metrics", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    snap = MetricsSnapshot.model_validate(data)
    assert snap.date == DAY  # the default is the last day with data
    assert data["metrics"]["signals"]["value"] == 30
    assert data["metrics"]["signals"]["provenance"]["tables"] == ["v_gate_decision", "v_signal"]
    assert len(data["metrics"]) >= 50


def test_table_and_explicit_date(filled: Path) -> None:
    prev = DAY.replace(day=DAY.day - 1).isoformat()
    res = runner.invoke(app, ["--data-dir", str(filled), "metrics", "--date", prev])
    assert res.exit_code == 0, res.output
    assert f"Metrics for {prev}" in res.output
    for category in ("shadow", "learning", "gates", "pipeline", "data_quality"):
        assert category in res.output
    assert "self-check:" in res.output


def test_bad_date_and_empty_store(data_dir: Path) -> None:
    bad = runner.invoke(app, ["--data-dir", str(data_dir), "metrics", "--date", "06/11/2025"])
    assert bad.exit_code == 2 and "expected YYYY-MM-DD" in bad.output
    Store.open(load_config(data_dir=data_dir)).close()
    empty = runner.invoke(app, ["--data-dir", str(data_dir), "metrics"])
    assert empty.exit_code == 1 and "no Engine data" in empty.output

"""`huracan store info` and `huracan store roll`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from huracan.cli import app
from huracan.config import load_config
from huracan.samples import sample_events
from huracan.store import Store

runner = CliRunner()


def _fill(data_dir: Path) -> None:
    start = datetime(2025, 11, 1, tzinfo=UTC)
    events = [
        e.model_copy(update={"ts": start + timedelta(hours=12 * i)}) for i, e in enumerate(sample_events("alert", n=20))
    ]
    with Store.open(load_config(data_dir=data_dir)) as store:
        store.write_events(events)


def test_roll_then_info_json(data_dir: Path) -> None:
    _fill(data_dir)
    res = runner.invoke(app, ["--data-dir", str(data_dir), "store", "roll", "--now", "2025-11-10T00:45:00Z", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["cutoff"] == "2025-11-03" and report["rows"] == 6 and report["commits"] == 1

    res = runner.invoke(app, ["--data-dir", str(data_dir), "store", "info", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["types"]["alert"] == {"hot": 14, "cold": 6}
    assert info["rows"] == {"hot": 14, "cold": 6}
    assert info["days"]["cold"] == {"count": 3, "first": "2025-11-01", "last": "2025-11-03"}
    assert info["days"]["hot"] == {"count": 7, "first": "2025-11-04", "last": "2025-11-10"}
    assert info["bytes"]["hot"] > 0 and info["bytes"]["cold"] > 0 and info["files"]["cold"] == 3
    assert info["tables"]["alert"]["version"] == 0 and info["last_roll_cutoff"] == "2025-11-03"


def test_info_table_and_roll_text(data_dir: Path) -> None:
    _fill(data_dir)
    res = runner.invoke(app, ["--data-dir", str(data_dir), "store", "info"])
    assert res.exit_code == 0 and "alert" in res.output and "20" in res.output
    res = runner.invoke(app, ["--data-dir", str(data_dir), "store", "roll", "--now", "2025-11-01T00:00:00Z"])
    assert res.exit_code == 0 and "nothing to roll" in res.output
    res = runner.invoke(app, ["--data-dir", str(data_dir), "store", "roll", "--now", "yesterday"])
    assert res.exit_code == 2 and "not an ISO 8601 time" in res.output


def test_info_on_a_store_nothing_has_written_to(tmp_path: Path) -> None:
    (tmp_path / "never-written").mkdir()  # a directory that does not exist at all is an error (issue 16)
    res = CliRunner().invoke(app, ["store", "info", "--json", "--data-dir", str(tmp_path / "never-written")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["rows"] == {"hot": 0, "cold": 0}

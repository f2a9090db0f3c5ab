"""`huracan simulate` writes through the EventLogger into a real store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from huracan.cli import app
from huracan.config import load_config


def test_simulate_writes_every_event_to_the_store(data_dir: Path) -> None:
    args = ["--data-dir", str(data_dir), "simulate", "--days", "2", "--signals-per-day", "60", "--end", "2025-11-05"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["all_written"] and out["dropped"] == 0
    assert out["events_by_type"]["signal"] == out["signals"] > 60
    assert out["events_by_type"]["model_registered"] == len(out["models_registered"]) == 2

    from huracan.store import Store

    store = Store.open(load_config(data_dir=data_dir), read_only=True)
    try:
        for etype, n in out["events_by_type"].items():
            assert store.query(f"SELECT count(*) AS n FROM v_{etype}")[0]["n"] == n, etype
        ids = store.query("SELECT model_id FROM v_model_loaded")
        assert {r["model_id"] for r in ids} <= set(out["models_exported"])
    finally:
        store.close()


def test_simulate_rejects_unknown_symbol(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "simulate", "--symbols", "BTC-USD,FOO-USD"])
    assert result.exit_code == 2
    assert "FOO-USD" in result.output and "BTC-USD" in result.output

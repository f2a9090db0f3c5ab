"""`huracan store backup DEST` / `restore SRC`: a new host comes up from what the archive lacks."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.cli import app
from huracan.config import Settings, load_config
from huracan.digest.ledger import DeliveryLedger
from huracan.samples import sample_events
from huracan.store import Store
from huracan.store.registry import ModelRegistry

runner = CliRunner()
NOW = datetime(2025, 11, 13, 0, 45, tzinfo=UTC)


def host(data_dir: Path, cold: Path) -> Settings:
    return load_config(data_dir=data_dir, store={"cold_uri": str(cold)})


def fill(settings: Settings) -> str:
    """Hot and cold events, a registered model, a delivery record, job runs; the model id."""
    base = datetime(2025, 11, 3, 9, tzinfo=UTC)
    events = [
        e.model_copy(update={"ts": base + timedelta(hours=9 * i)}) for i, e in enumerate(sample_events("signal", n=40))
    ]
    with Store.open(settings) as store:
        store.write_events(events)
        store.roll(NOW)
        from huracan.daemon.ledger import JobLedger

        ledger = JobLedger(store.cursor)  # the daemon's run ledger, a table in the hot database
        for job in ("nightly", "roll"):
            ledger.finish(ledger.start(job, date(2025, 11, 12), "schedule"), "ok")
        registry = ModelRegistry(settings, store.write_events and (lambda e: store.write_events([e])))
        model_id = registry.register(
            pickle.dumps({"weights": [1, 2, 3]}),
            learner="meta_label",
            git_sha="a" * 40,
            data_snapshot_id="snap-1",
            metrics={"auc": 0.7},
            parent_model_id=None,
            notes="test",
            ts=NOW,
        )
    DeliveryLedger.for_data_dir(settings.data_dir).append(date(2025, 11, 12), "email", "sent")
    with (settings.data_dir / "deliveries.jsonl").open("ab") as fh:
        fh.write(b'{"half a line being appended')  # a write in progress: not a record yet
    return model_id


def state(settings: Settings) -> dict[str, object]:
    with Store.open(settings, read_only=True) as store:
        return {
            "counts": store.counts(),
            "hot": store.query("SELECT count(*) AS n FROM ev_signal"),
            "jobs": store.query("SELECT job, status, day FROM job_runs ORDER BY job"),
            "ids": sorted(r["event_id"] for r in store.query("SELECT event_id FROM v_model_registered")),
        }


def test_backup_then_restore_on_a_new_host(tmp_path: Path) -> None:
    cold = tmp_path / "shared-archive"
    old = host(tmp_path / "old" / "data", cold)
    old.data_dir.mkdir(parents=True)
    model_id = fill(old)
    before = state(old)
    dest = tmp_path / "backups"
    res = runner.invoke(app, ["--data-dir", str(old.data_dir), "store", "backup", str(dest), "--json"])
    assert res.exit_code == 0, res.output
    manifest = json.loads(res.output)
    assert manifest["hot_tables"]["job_runs"] == 2 and manifest["hot_tables"]["ev_signal"] > 0
    paths = {f["path"] for f in manifest["files"]}
    assert f"files/models/{model_id[:2]}" not in paths and any(model_id in p for p in paths)
    assert "files/deliveries.jsonl" in paths
    assert not (old.data_dir / "backup-snapshots").exists() or not any((old.data_dir / "backup-snapshots").iterdir())

    new = host(tmp_path / "new" / "data", cold)
    new.data_dir.mkdir(parents=True)
    res = runner.invoke(app, ["--data-dir", str(new.data_dir), "store", "restore", str(dest)])
    assert res.exit_code == 0, res.output
    assert state(new) == before
    ModelRegistry(new).load(model_id, pickle.loads)  # the artifact passes its SHA256 check
    records = list(DeliveryLedger.for_data_dir(new.data_dir).records())
    assert len(records) == 1 and records[0]["channel"] == "email"
    # The restored host is the writer now: it takes the next roll.
    with Store.open(new) as store:
        assert store.roll(NOW + timedelta(days=3)).rows > 0


def test_restore_refuses_a_damaged_or_incomplete_backup_and_an_occupied_data_dir(tmp_path: Path) -> None:
    cold = tmp_path / "archive"
    old = host(tmp_path / "old", cold)
    old.data_dir.mkdir()
    fill(old)
    dest = tmp_path / "backups"
    assert runner.invoke(app, ["--data-dir", str(old.data_dir), "store", "backup", str(dest)]).exit_code == 0
    [backup] = list(dest.iterdir())
    # Occupied: the old host's own data dir.
    res = runner.invoke(app, ["--data-dir", str(old.data_dir), "store", "restore", str(backup)])
    assert res.exit_code == 1 and "already holds a store" in res.output
    # Damaged: one byte of the hot snapshot flipped.
    hot_file = next((backup / "hot").glob("ev_signal.parquet"))
    raw = bytearray(hot_file.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    hot_file.write_bytes(bytes(raw))
    new = tmp_path / "new"
    new.mkdir()
    res = runner.invoke(app, ["--data-dir", str(new), "store", "restore", str(dest)])
    assert res.exit_code == 1 and "damaged" in res.output
    assert sorted(p.name for p in new.iterdir()) == []  # nothing half-restored
    # Incomplete: a newer backup that died before its manifest is skipped; the damaged one is still refused.
    (dest / "huracan-backup-29991231T000000Z" / "hot").mkdir(parents=True)
    res = runner.invoke(app, ["--data-dir", str(new), "store", "restore", str(dest)])
    assert "damaged" in res.output
    (backup / "manifest.json").unlink()
    res = runner.invoke(app, ["--data-dir", str(new), "store", "restore", str(dest)])
    assert res.exit_code == 1 and "no complete backup" in res.output


@pytest.mark.slow
def test_backup_while_the_daemon_runs_and_ingests(tmp_path: Path) -> None:
    from tests.daemon_helpers import DaemonProcess, free_port, run_cli

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = host(data_dir, tmp_path / "archive")
    fill(settings)
    daemon = DaemonProcess(data_dir, port=free_port(), env={"HURACAN_STORE__COLD_URI": str(tmp_path / "archive")})
    daemon.start()
    try:
        lines = "\n".join(e.model_dump_json() for e in sample_events("alert", n=5)).encode()
        assert daemon.post(lines).status_code == 200
        res = run_cli(
            "store",
            "backup",
            str(tmp_path / "bk"),
            "--json",
            data_dir=data_dir,
            env={"HURACAN_STORE__COLD_URI": str(tmp_path / "archive")},
        )
        assert res.returncode == 0, res.stderr
        manifest = json.loads(res.stdout)
        assert manifest["hot_tables"]["ev_alert"] == 5 and manifest["hot_tables"]["job_runs"] >= 2
        assert daemon.post(lines).status_code == 200  # ingest never stopped
    finally:
        assert daemon.terminate() == 0
        daemon.cleanup()
    new = tmp_path / "new"
    new.mkdir()
    res = run_cli(
        "store",
        "restore",
        str(tmp_path / "bk"),
        data_dir=new,
        env={"HURACAN_STORE__COLD_URI": str(tmp_path / "archive")},
    )
    assert res.returncode == 0, res.stderr
    with Store.open(host(new, tmp_path / "archive"), read_only=True) as store:
        assert store.counts()["alert"] == 5

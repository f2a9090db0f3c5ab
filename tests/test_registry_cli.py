"""`huracan models|trades|learning` end to end over a real store in a temporary data dir."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from test_journal_fixtures import closed_trade, live_trade
from typer.testing import CliRunner

from huracan.cli import app
from huracan.config import load_config
from huracan.events import EventBase, TrainingSession
from huracan.store import Store
from huracan.store.registry import ModelRegistry

runner = CliRunner()
TS = datetime(2025, 11, 5, 0, 5, tzinfo=UTC)


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Path, list[str]]:
    data = tmp_path / "data"
    cfg = load_config(data_dir=data)
    events: list[EventBase] = []
    reg = ModelRegistry(cfg, events.append)
    v1 = reg.register(
        b"model-v1",
        learner="meta_label",
        git_sha="abc1234",
        data_snapshot_id="snap-1",
        metrics={"auc": 0.62, "ece": 0.09, "samples": 4000.0},
        parent_model_id=None,
        notes="",
        ts=TS,
    )
    v2 = reg.register(
        b"model-v2",
        learner="meta_label",
        git_sha="abc5678",
        data_snapshot_id="snap-2",
        metrics={"auc": 0.70, "ece": 0.05, "samples": 5000.0},
        parent_model_id=v1,
        notes="retrain",
        ts=TS + timedelta(days=1),
    )
    for i, day in enumerate((date(2025, 11, 5), date(2025, 11, 6))):
        at = datetime(day.year, day.month, day.day, 0, 0, 5, tzinfo=UTC)
        events.append(
            TrainingSession(
                ts=at,
                session_id=f"train-{i}",
                model_id=(v1, v2)[i],
                trained_at=at,
                data_cutoff_timestamp=at,
                duration_s=100,
                samples_historical=3000,
                samples_shadow=1000 + 1000 * i,
                auc=(0.62, 0.70)[i],
                ece=(0.09, 0.05)[i],
                mce=0.2,
                brier=0.23,
                log_loss=0.67,
            )
        )
    for i, ret in enumerate((15.0, -5.0, 8.0)):
        events += closed_trade(i, ret, day=date(2025, 11, 6), mode=("scalp", "runner")[i % 2], model_id=v2)
    events.append(live_trade(0, 4.0, day=date(2025, 11, 6), model_id=v2))
    with Store.open(cfg) as store:
        store.write_events(events)
    return data, [v1, v2]


def _run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_models_list_show_diff(filled: tuple[Path, list[str]]) -> None:
    data, (v1, v2) = filled
    code, out, err = _run("--data-dir", str(data), "models", "list", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["sha256"] for r in rows] == [v1, v2] and [r["ready"] for r in rows] == [False, True]
    assert rows[1]["deltas_vs_parent"]["auc"]["delta"] == pytest.approx(0.08)
    code, out, err = _run("--data-dir", str(data), "models", "show", v2[:10], "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["sha256"] == v2 and Path(shown["artifact_path"]).read_bytes() == b"model-v2"
    assert shown["attestation"]["state"] == "registered" and [s["model_id"] for s in shown["lineage"]] == [v1, v2]
    code, out, _ = _run("--data-dir", str(data), "models", "diff", v1[:8], v2[:8], "--json")
    d = json.loads(out)
    assert code == 0 and d["readiness_change"] == "became ready" and d["relation"] == "1 generation(s) after"
    code, out, _ = _run("--data-dir", str(data), "models", "show", v2[:10])
    assert code == 0 and "snap-2" in out and "abc5678" in out
    code, _, err = _run("--data-dir", str(data), "models", "show", "ffffffffffff")
    assert code == 2 and "no model id starts with" in err


def test_models_export_then_verify_and_tamper(filled: tuple[Path, list[str]], tmp_path: Path) -> None:
    data, (_, v2) = filled
    out_dir = tmp_path / "hamilton"
    code, out, err = _run("--data-dir", str(data), "models", "export", v2[:8], "--export-dir", str(out_dir), "--json")
    assert code == 0, err
    m = json.loads(out)
    assert m["ready"] and Path(m["artifact_path"]).read_bytes() == b"model-v2"
    # The export was logged: the chain now waits for Hamilton.
    code, out, _ = _run("--data-dir", str(data), "models", "show", v2[:8], "--json")
    assert json.loads(out)["attestation"]["state"] == "awaiting_ack"
    code, out, _ = _run("--data-dir", str(data), "models", "verify", m["manifest_path"])
    assert code == 0 and v2 in out
    code, _, _ = _run("--data-dir", str(data), "models", "verify", v2[:8])
    assert code == 0
    art = Path(m["artifact_path"])
    art.write_bytes(b"model-v3")
    code, _, err = _run("--data-dir", str(data), "models", "verify", str(art))
    assert code == 1 and "refusing" in err and v2 in err.replace("\n", "")
    code, out, _ = _run("--data-dir", str(data), "models", "verify", str(art), "--json")
    assert code == 1 and json.loads(out)["expected"] == v2


def test_models_export_refuses_a_not_ready_model_without_force(filled: tuple[Path, list[str]], tmp_path: Path) -> None:
    data, (v1, _) = filled
    out_dir = tmp_path / "hamilton"
    code, _, err = _run("--data-dir", str(data), "models", "export", v1[:8], "--export-dir", str(out_dir))
    assert code == 1 and "not ready" in err and "--force" in err
    assert not out_dir.exists()
    code, out, err = _run(
        "--data-dir", str(data), "models", "export", v1[:8], "--export-dir", str(out_dir), "--force", "--json"
    )
    assert code == 0, err
    m = json.loads(out)
    assert m["forced"] is True and m["ready"] is False and m["reasons"]
    assert json.loads(Path(m["manifest_path"]).read_text())["forced"] is True
    with Store.open(load_config(data_dir=data), read_only=True) as store:
        rows = store.query("SELECT forced, ready FROM v_model_export WHERE model_id = ?", [v1])
    assert rows == [{"forced": True, "ready": False}]  # the forced export is on the record


def test_models_verify_refuses_a_forged_manifest(filled: tuple[Path, list[str]], tmp_path: Path) -> None:
    import hashlib

    data, (_, v2) = filled
    code, out, _ = _run("--data-dir", str(data), "models", "export", v2[:8], "--export-dir", str(tmp_path), "--json")
    m = json.loads(out)
    Path(m["artifact_path"]).write_bytes(b"evil")
    doc = json.loads(Path(m["manifest_path"]).read_text())
    doc["sha256"] = hashlib.sha256(b"evil").hexdigest()
    Path(m["manifest_path"]).write_text(json.dumps(doc))
    code, out, _ = _run("--data-dir", str(data), "models", "verify", m["manifest_path"], "--json")
    assert code == 1 and json.loads(out)["ok"] is False
    assert any("differs from model_id" in p for p in json.loads(out)["problems"])
    code, _, err = _run("--data-dir", str(data), "models", "verify", m["manifest_path"])
    assert code == 1 and "Do not load it" in err.replace("\n", " ")


def test_trades_and_learning_commands(filled: tuple[Path, list[str]]) -> None:
    data, (_, v2) = filled
    code, out, err = _run("--data-dir", str(data), "trades", "list", "--mode", "scalp", "--min-bps", "0", "--json")
    assert code == 0, err
    assert sorted(r["return_bps"] for r in json.loads(out)) == [8.0, 15.0]
    code, out, _ = _run("--data-dir", str(data), "trades", "stats", "--by", "mode", "--json")
    st = json.loads(out)
    assert st["annualization_days"] == 365 and st["groups"]["runner"]["total_bps"] == -5.0
    code, out, _ = _run("--data-dir", str(data), "trades", "stats")
    assert code == 0 and "√365" in out
    code, _, err = _run("--data-dir", str(data), "trades", "stats", "--by", "side")
    assert code == 2 and "not a grouping" in err
    code, _, err = _run("--data-dir", str(data), "trades", "list", "--since", "2025-13-01")
    assert code == 2 and "YYYY-MM-DD" in err
    code, out, _ = _run("--data-dir", str(data), "trades", "live", "--json")
    live = [r for r in json.loads(out) if r["live_trades"]]
    assert live[0]["model_id"] == v2 and live[0]["gap_bps"] == pytest.approx(4.0 - 11.5)
    code, out, err = _run("--data-dir", str(data), "learning", "summary", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["day"] == "2025-11-06" and s["samples_total"] == 5000
    assert s["metric_deltas"]["auc"]["delta"] == pytest.approx(0.08) and s["ready"] is True
    code, out, _ = _run("--data-dir", str(data), "learning", "summary", "--date", "2025-11-05")
    assert code == 0 and "no previous session" in out

"""`huracan council run|verify|cost`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from council_fixtures import make_snapshot
from typer.testing import CliRunner

from huracan.cli import app

runner = CliRunner()


@pytest.fixture
def snap_file(tmp_path: Path) -> Path:
    p = tmp_path / "snapshot.json"
    p.write_text(make_snapshot().model_dump_json())
    return p


def _text(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "text.md"
    p.write_text(body)
    return p


def test_verify_passes_a_true_text(tmp_path: Path, snap_file: Path) -> None:
    t = _text(tmp_path, "On 2025-11-06 AUC was {auc} ({auc.delta_1d}); shadow win rate 58.3 % on 1,204 trades.\n")
    res = runner.invoke(app, ["council", "verify", "--snapshot", str(snap_file), "--text", str(t), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["ok"] is True
    assert [(n["number"], n["metric"], n["matched"], n["ok"]) for n in out["numbers"]] == [
        ("2025-11-06", None, "snapshot_date", True),
        ("0.712", "auc", "auc.value", True),
        ("+0.012", "auc", "auc.delta_1d", True),
        ("58.3 %", "shadow_win_rate", "shadow_win_rate.value", True),
        ("1,204", "shadow_win_rate", "shadow_win_rate.n", True),  # the win rate's sample size
    ]
    assert out["removed"] == [] and "time" in out["policy"]


def test_verify_reports_each_claim_with_its_metric_and_failure(tmp_path: Path, snap_file: Path) -> None:
    body = (
        "The live win rate was 58.3 %. AUC was 0.8642 and {nope}. ECE improved to 0.041. "
        "On 2026-11-29 the AUC was 0.712. AUC rose to 0.712 (+0.012)."
    )
    res = runner.invoke(app, ["council", "verify", "-s", str(snap_file), "-t", str(_text(tmp_path, body)), "--json"])
    assert res.exit_code == 1
    out = json.loads(res.output)
    rows = {(n["number"], n["metric"], n["failure"]) for n in out["numbers"] if not n["ok"]}
    assert rows == {
        ("58.3 %", "live_win_rate", "wrong_record"),
        ("0.8642", "auc", "unverified"),
        ("2026-11-29", None, "unverified"),
    }
    bad_words = [(d["word"], d["metric"], d["failure"]) for d in out["directions"] if not d["ok"]]
    assert bad_words == [("improved", "ece", "wrong_direction")]
    assert [(d["word"], d["ok"]) for d in out["directions"] if d["ok"]] == [("rose", True)]
    assert out["unknown_placeholders"][0]["placeholder"] == "{nope}"
    assert len(out["removed"]) == 4 and out["published"] == "AUC rose to 0.712 (+0.012)."
    wrong = next(n for n in out["numbers"] if n["number"] == "58.3 %")
    assert wrong["elsewhere"] == "shadow_win_rate.value" and wrong["action"] == "removed"


def test_verify_fails_and_lists_an_invented_number(tmp_path: Path, snap_file: Path) -> None:
    t = _text(tmp_path, "AUC was 0.8642 and {nope}.")
    res = runner.invoke(app, ["council", "verify", "-s", str(snap_file), "-t", str(t)])
    assert res.exit_code == 1
    assert "unverified" in res.output and "0.8642" in res.output and "{nope}" in res.output


def test_verify_rejects_a_file_that_is_not_a_snapshot(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"date": "2025-11-06"}')
    res = runner.invoke(app, ["council", "verify", "-s", str(bad), "-t", str(_text(tmp_path, "x"))])
    assert res.exit_code == 2 and "not a metrics snapshot" in res.output


def test_run_with_a_snapshot_file_and_cost(tmp_path: Path, snap_file: Path) -> None:
    data = tmp_path / "data"
    res = runner.invoke(app, ["council", "run", "--snapshot", str(snap_file), "--data-dir", str(data), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["mode"] == "offline" and out["canary"]["caught"] is True
    assert len(out["analyses"]) == 7 and out["text"].startswith("Verdict:")
    res = runner.invoke(app, ["council", "cost", "--data-dir", str(data), "--json"])
    assert res.exit_code == 0
    cost = json.loads(res.output)
    assert cost["models"]["huracan/offline"]["calls"] == 8 and cost["spent_usd"] == 0

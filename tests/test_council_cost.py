"""`huracan council cost --estimate` and examples/council-real.yaml (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from probe_corpus import SNAPSHOT
from typer.testing import CliRunner

from huracan.cli import app
from huracan.config import load_config

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "council-real.yaml"
KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "XAI_API_KEY", "GROQ_API_KEY",
        "DEEPSEEK_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_API_KEY")  # fmt: skip


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in KEYS:
        monkeypatch.delenv(k, raising=False)


def test_the_real_council_example_is_seven_providers_and_an_opus_judge() -> None:
    cfg = load_config(EXAMPLE)
    models = [a.model for a in cfg.council.analysts]
    assert len(models) == 7 and len({m.split("/")[0] for m in models}) == 7
    assert {a.role for a in cfg.council.analysts} == {
        "learning_progress", "calibration", "gates", "risk", "data_quality", "hamilton_readiness", "skeptic",
    }  # fmt: skip
    assert "opus" in cfg.council.judge_model
    text = EXAMPLE.read_text()
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "XAI_API_KEY", "GROQ_API_KEY",
                "DEEPSEEK_API_KEY", "TOGETHERAI_API_KEY"):  # fmt: skip
        assert key in text


def _estimate(tmp_path: Path, *extra: str) -> dict:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    args = ["council", "cost", "--estimate", "--config", str(EXAMPLE), "--data-dir", str(data), "--json", *extra]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_estimate_works_with_no_key_and_no_data(tmp_path: Path) -> None:
    out = _estimate(tmp_path)
    assert "synthetic" in out["snapshot"] and out["unpriced"] == []
    by = {m["model"]: m for m in out["models"]}
    assert len(by) == 8 and all(m["priced"] and m["usd"] > 0 for m in by.values())
    judge = by[load_config(EXAMPLE).council.judge_model]
    analyst = by["openai/gpt-4.1"]
    # The judge reads the snapshot and every analysis, and its revision resends the conversation.
    assert judge["calls"] == 2 and judge["prompt_tokens"] > 2 * analyst["prompt_tokens"]
    assert analyst["prompt_tokens"] > 5_000  # the real prompt, snapshot block included
    assert out["usd_per_month"] == pytest.approx(out["usd_per_run"] * 30, rel=1e-3)
    assert 1 < out["usd_per_month"] < 100


def test_estimate_counts_a_real_snapshots_prompts_and_scales_with_revisions(tmp_path: Path) -> None:
    one = _estimate(tmp_path, "--snapshot", str(SNAPSHOT))
    three = _estimate(tmp_path, "--snapshot", str(SNAPSHOT), "--revisions", "3", "--days", "31")
    assert one["snapshot"].startswith("snapshot file") and three["runs_per_month"] == 31
    assert three["usd_per_run"] > one["usd_per_run"]


def test_a_model_the_price_map_does_not_know_is_listed_not_counted_free(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("council:\n  judge_model: openai/no-such-model-anywhere\n")
    data = tmp_path / "data"
    data.mkdir()
    res = runner.invoke(app, ["council", "cost", "--estimate", "--config", str(cfg), "--data-dir", str(data), "--json"])
    out = json.loads(res.output)
    assert out["unpriced"] == ["openai/no-such-model-anywhere"]
    assert next(m for m in out["models"] if m["model"] == "huracan/offline")["usd"] == 0


def test_answer_sizes_come_from_the_ledger_when_it_has_paid_calls(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "council").mkdir(parents=True)
    call = {"kind": "call", "ts": "2025-11-06T00:20:00+00:00", "purpose": "judge", "model": "anthropic/claude-opus-4-5",
            "prompt_tokens": 40000, "completion_tokens": 4000, "cost_usd": 0.3, "ok": True}  # fmt: skip
    (data / "council" / "ledger.jsonl").write_text(json.dumps(call) + "\n")
    out = _estimate(tmp_path)
    judge = next(m for m in out["models"] if m["model"] == "anthropic/claude-opus-4-5")
    assert judge["measured_answers"] and judge["completion_tokens"] == 2 * 4000


def test_human_output_names_the_month(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    res = runner.invoke(app, ["council", "cost", "--estimate", "--config", str(EXAMPLE), "--data-dir", str(data)])
    assert res.exit_code == 0 and "a month" in res.output and "price map" in res.output

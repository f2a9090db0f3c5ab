"""The council through litellm's real HTTP transport against a local OpenAI-compatible server."""

from __future__ import annotations

from pathlib import Path

import pytest
from council_fixtures import make_snapshot

from huracan.config import AnalystSettings, load_config
from huracan.council import run_council
from huracan.council.fake_server import FakeLLMServer
from huracan.council.verifier import verify


def test_council_over_real_http(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    cfg = load_config(data_dir=data_dir)
    cfg.council.analysts = [AnalystSettings(role=a.role, model="openai/local-analyst") for a in cfg.council.analysts]
    cfg.council.judge_model = "openai/local-judge"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    with FakeLLMServer() as server:
        monkeypatch.setenv("OPENAI_API_BASE", server.base_url)
        r = run_council(make_snapshot(), cfg)
    assert r.mode == "council", r.notes
    assert sorted(c.role or "judge" for c in server.calls) == sorted([a.role for a in cfg.council.analysts] + ["judge"])
    assert {c.model for c in server.calls} == {"local-analyst", "local-judge"}
    assert all(c.prompt_tokens > 0 and "no price known" in c.note for c in r.cost.calls)
    assert verify(r.text, make_snapshot()).unverified == [] and r.canary and r.canary.caught

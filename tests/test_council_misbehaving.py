"""Seven simulated days of a careless council through litellm's real HTTP transport (issue 11).

Every analyst and the judge are ``openai/...`` models served by a local
:class:`~huracan.council.fake_server.FakeLLMServer` answering as
:class:`~huracan.council.misbehaving.MisbehavingModel`: prose around JSON, ``<think>``
blocks, typo'd placeholders, invented numbers, true numbers of the wrong metric, wrong
directions, a flipped readiness verdict, a bad date, a number in the dissent, and a judge
that keeps guessing literals through every revision. For each day the digest is built and
rendered in every format, then an independent script (:mod:`attribution`) reads the
published council text sentence by sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from attribution import unattributable

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.config import AnalystSettings, Settings, load_config
from huracan.council import run_council
from huracan.council.fake_server import FakeLLMServer
from huracan.council.misbehaving import MisbehavingModel
from huracan.digest.build import build_digest
from huracan.digest.render import render
from huracan.testing import simulated_data_dir

DAYS = 7


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> list[MetricsSnapshot]:
    """Seven consecutive daily snapshots of a simulated Engine (plus history for comparisons)."""
    from huracan.analytics.metrics import compute_snapshot
    from huracan.plugins.manager import get_plugins
    from huracan.store import Store

    data = simulated_data_dir(tmp_path_factory.mktemp("week") / "data", days=DAYS + 2, signals_per_day=200, seed=3)
    settings = load_config(data_dir=data)
    plugins = get_plugins(settings, entry_points=False)
    with Store.open(settings) as store:
        last = store.cursor().execute("SELECT max(day) FROM v_signal").fetchone()[0]
        days = [last - timedelta(days=k) for k in range(DAYS - 1, -1, -1)]
        return [compute_snapshot(store.cursor(), d, plugins, settings) for d in days]


@pytest.fixture
def careless(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeLLMServer, MisbehavingModel]]:
    model = MisbehavingModel(seed=11)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    with FakeLLMServer(reply=model) as server:
        monkeypatch.setenv("OPENAI_API_BASE", server.base_url)
        yield server, model


def _cfg(data_dir: Path) -> Settings:
    cfg = load_config(data_dir=data_dir)
    cfg.council.analysts = [
        AnalystSettings(role=a.role, model=f"openai/careless-{a.role}") for a in cfg.council.analysts
    ]
    cfg.council.judge_model = cfg.council.fallback_judge_model = "openai/careless-judge"
    cfg.council.max_revision_rounds = 3
    return cfg


def _published_strings(result: Any, snap: MetricsSnapshot, cfg: Settings) -> list[str]:
    digest = build_digest(snap, result, None, cfg, charts=False)
    r = render(digest)
    return [r.text, r.html, r.markdown, *r.telegram, *(str(m.payload) for m in r.discord)]


def test_a_week_of_a_careless_council_publishes_nothing_unattributable(
    week: list[MetricsSnapshot], careless: tuple[FakeLLMServer, MisbehavingModel], tmp_path: Path
) -> None:
    server, model = careless
    cfg = _cfg(tmp_path / "data")
    planted_unpublished = 0
    for i, snap in enumerate(week):
        model.planted.clear()  # what it invents is checked against the day it was invented for
        raw_drafts_before = len(server.calls)
        result = run_council(snap, cfg, seed=i)
        assert result.mode in ("council", "degraded"), result.notes
        assert len(server.calls) > raw_drafts_before
        # The careless judge always has something to fix: every day needs revisions.
        assert result.revision_rounds >= 1
        # 1. The published council text: every number and direction word attributable.
        text_and_dissent = result.text
        assert unattributable(text_and_dissent, snap) == [], (snap.date, text_and_dissent)
        # 2. Every format of the digest: none of the planted lies, no validation echo.
        published = _published_strings(result, snap, cfg)
        for lie in model.planted:
            for out in published:
                assert lie not in out, (snap.date, lie)
        planted_unpublished += len(model.planted)
        for out in published:
            assert "input_value" not in out and "auc_0.9137" not in out
        # 3. Notes and flags speak our words only.
        for line in [*result.notes, *(f.detail for f in result.flags)]:
            assert not any(lie in line for lie in model.planted), line
        # 4. The canary caught its three lies.
        assert result.canary is not None and result.canary.caught, result.canary
        assert {c.kind for c in result.canary.cases} == {"near_miss", "wrong_metric", "wrong_direction"}
        # 5. Something true was still published: removal is by sentence, not wholesale.
        assert result.text.startswith("Verdict:") and len(result.text) > 80
    assert planted_unpublished >= DAYS * 8


def test_the_checker_itself_rejects_what_the_careless_judge_writes(week: list[MetricsSnapshot]) -> None:
    """The attribution script is not vacuous: on the raw drafts it finds the lies."""
    import json

    from huracan.council.analysts import extract_json
    from huracan.council.placeholders import render as render_placeholders
    from huracan.council.prompts import judge_messages
    from huracan.council.schema import JudgeDraft

    model = MisbehavingModel(seed=11)
    snap = week[-1]
    draft = JudgeDraft.model_validate(json.loads(extract_json(model(judge_messages(snap, [])))))
    raw = render_placeholders(draft.text(), snap).text
    bad = unattributable(raw, snap)
    assert any("0.8642" in s for s in bad) and any("412.9" in s for s in bad) and any("71.3" in s for s in bad)
    assert len(bad) >= 5

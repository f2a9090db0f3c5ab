"""The fixtures `huracan.testing` ships to plugin authors work as documented."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from huracan.plugins import hookimpl
from huracan.plugins.types import MetricResult, MetricSpec
from huracan.testing import SIM_DAYS


class OneMetric:
    @hookimpl
    def huracan_register_metrics(self, settings: Any) -> list[MetricSpec]:
        def compute(ctx: Any) -> MetricResult:
            return MetricResult(value=1.0, query="SELECT 1", row_count=1)

        return [MetricSpec(id="test_one", name="One", category="test", unit="count", formula="1", compute=compute)]


def test_store_fixture_holds_a_simulated_history(huracan_store: Any) -> None:
    days = huracan_store.cursor().execute("SELECT count(DISTINCT day) FROM v_signal").fetchone()[0]
    assert days == SIM_DAYS
    for t in ("gate_decision", "shadow_outcome", "training_session", "model_registered"):
        assert huracan_store.cursor().execute(f"SELECT count(*) FROM v_{t}").fetchone()[0] > 0, t


def test_plugins_fixture_adds_the_authors_plugin(huracan_plugins: Any) -> None:
    plugins = huracan_plugins(OneMetric())
    metrics = plugins.metrics()
    assert "test_one" in metrics and len(metrics) >= 50
    assert len(plugins.gates()) >= 6


@pytest.mark.slow
def test_fake_llm_serves_a_whole_council_through_litellm(
    fake_llm: Any, huracan_store: Any, huracan_plugins: Any
) -> None:
    from huracan.analytics.metrics import compute_snapshot
    from huracan.config import AnalystSettings
    from huracan.council import run_council

    settings = huracan_store.settings
    settings.council.analysts = [
        AnalystSettings(role=r, model="openai/fake-analyst") for r in ("gates", "risk", "skeptic")
    ]
    settings.council.quorum = 2
    settings.council.judge_model = "openai/fake-judge"
    snapshot = compute_snapshot(huracan_store.cursor(), huracan_store.last_day(), huracan_plugins(), settings)
    result = run_council(snapshot, settings)
    assert result.mode == "council", result.notes
    assert {c.model for c in fake_llm.calls} >= {"fake-analyst", "fake-judge"} or len(fake_llm.calls) >= 4
    assert result.text


def test_fake_llm_says_what_was_wrong_with_a_request_it_cannot_answer(fake_llm: Any) -> None:
    import os

    r = httpx.post(os.environ["OPENAI_API_BASE"] + "/chat/completions", content=b"{not json", timeout=30)
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("fake server:")

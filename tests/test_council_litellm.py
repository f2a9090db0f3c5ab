"""Faults through real litellm: OpenAI-, Anthropic- and Gemini-style endpoints mocked with respx."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from council_fixtures import make_snapshot

from huracan.config import AnalystSettings, Settings, load_config
from huracan.council import run_council
from huracan.council.budget import Ledger
from huracan.council.offline import offline_reply, task_of
from huracan.council.schema import CallCost
from huracan.council.verifier import verify

SNAP = make_snapshot()
OPENAI, ANTHROPIC, GEMINI = "openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-20241022", "gemini/gemini-1.5-flash"
URLS = {
    "openai": "https://api.openai.com/v1/chat/completions",
    "anthropic": "https://api.anthropic.com/v1/messages",
    "gemini": r"https://generativelanguage\.googleapis\.com/.*",
}

# Behaviour = f(provider, task, role, attempt) -> httpx.Response | Exception | str (content) | None (default)
Behaviour = Callable[[str, str | None, str | None, int], Any]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def messages_of(provider: str, body: dict[str, Any]) -> list[dict[str, str]]:
    """The conversation of a request, whatever the provider's wire format."""
    if provider == "gemini":
        return [
            {"role": "assistant" if c.get("role") == "model" else "user", "content": _text(c.get("parts"))}
            for c in body.get("contents", [])
        ]
    return [{"role": m["role"], "content": _text(m.get("content"))} for m in body.get("messages", [])]


def wire(provider: str, content: str) -> dict[str, Any]:
    if provider == "openai":
        return {"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}}  # fmt: skip
    if provider == "anthropic":
        return {"id": "m1", "type": "message", "role": "assistant", "model": "claude-3-5-haiku-20241022",
                "content": [{"type": "text", "text": content}], "stop_reason": "end_turn",
                "usage": {"input_tokens": 1000, "output_tokens": 200}}  # fmt: skip
    return {"candidates": [{"content": {"parts": [{"text": content}], "role": "model"}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 200, "totalTokenCount": 1200}}  # fmt: skip


class Fake:
    """respx routes for the three providers, answering with the offline model unless told otherwise."""

    def __init__(self, router: respx.MockRouter):
        self.behaviour: Behaviour = lambda *a: None
        self.seen: list[tuple[str, str | None, str | None, list[dict[str, str]]]] = []
        self.attempts: Counter[tuple[str, str | None, str | None]] = Counter()
        for provider, url in URLS.items():
            route = router.post(url__regex=url) if provider == "gemini" else router.post(url)
            route.mock(side_effect=self._handler(provider))

    def _handler(self, provider: str) -> Callable[[httpx.Request], httpx.Response]:
        def handle(request: httpx.Request) -> httpx.Response:
            msgs = messages_of(provider, json.loads(request.content))
            task, role = task_of(msgs)
            self.seen.append((provider, task, role, msgs))
            self.attempts[(provider, task, role)] += 1
            out = self.behaviour(provider, task, role, self.attempts[(provider, task, role)])
            if isinstance(out, Exception):
                raise out
            if isinstance(out, httpx.Response):
                return out
            return httpx.Response(200, json=wire(provider, out if isinstance(out, str) else offline_reply(msgs)))

        return handle

    def calls(self, provider: str | None = None, task: str | None = None) -> int:
        return sum(1 for p, t, _, _ in self.seen if (provider in (None, p)) and (task in (None, t)))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    for k, v in {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test", "GEMINI_API_KEY": "g-test"}.items():
        monkeypatch.setenv(k, v)
    with respx.mock(assert_all_called=False) as router:
        yield Fake(router)


@pytest.fixture
def cfg(data_dir: Path) -> Settings:
    s = load_config(data_dir=data_dir)
    models = [OPENAI, ANTHROPIC, GEMINI]
    s.council.analysts = [
        AnalystSettings(role=a.role, model=models[i % 3], timeout_s=5) for i, a in enumerate(s.council.analysts)
    ]
    s.council.judge_model, s.council.fallback_judge_model = OPENAI, ANTHROPIC
    s.council.retry_backoff_s = 0.001
    return s


def test_all_good_across_three_providers(fake: Fake, cfg: Settings) -> None:
    r = run_council(SNAP, cfg)
    assert r.mode == "council", r.notes
    assert [a.status for a in r.analyses] == ["ok"] * 7
    assert {p for p, *_ in fake.seen} == {"openai", "anthropic", "gemini"}
    assert r.judge_model == OPENAI and verify(r.text, SNAP).unverified == []
    gpt = [c for c in r.cost.calls if c.model == OPENAI]
    assert gpt and all(c.cost_usd > 0 and c.prompt_tokens == 1000 for c in gpt)
    claude = [c for c in r.cost.calls if c.model == ANTHROPIC]
    assert claude and all(c.cost_usd == 0 and "no price known" in c.note for c in claude)
    assert r.cost.run_usd == pytest.approx(sum(c.cost_usd for c in r.cost.calls), rel=1e-6)
    assert Ledger.for_settings(cfg).month_to_date(datetime.now(UTC)) == pytest.approx(r.cost.run_usd, rel=1e-6)


def test_timeouts_are_retried(fake: Fake, cfg: Settings) -> None:
    fake.behaviour = lambda p, t, role, n: httpx.ReadTimeout("slow") if p == "gemini" and n == 1 else None
    r = run_council(SNAP, cfg)
    gem = [c for c in r.cost.calls if c.model == GEMINI]
    assert all(c.ok and c.attempts == 2 for c in gem)
    assert r.mode == "council"


def test_a_timeout_that_persists_fails_the_analyst(fake: Fake, cfg: Settings) -> None:
    fake.behaviour = lambda p, t, role, n: httpx.ReadTimeout("slow") if role == "risk" else None
    r = run_council(SNAP, cfg)
    risk = next(a for a in r.analyses if a.role == "risk")
    assert risk.status == "failed" and "Timeout" in (risk.error or "")
    assert fake.attempts[("openai", "analyst", "risk")] == cfg.council.max_retries + 1
    assert r.mode == "degraded"


def test_429_honours_retry_after(fake: Fake, cfg: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import huracan.council.llm as llm

    waits: list[float] = []
    real_sleep = llm.asyncio.sleep

    async def sleep(s: float) -> None:
        waits.append(s)
        await real_sleep(0)

    monkeypatch.setattr(llm.asyncio, "sleep", sleep)
    limited = httpx.Response(429, headers={"retry-after": "3"}, json={"error": {"message": "slow down"}})
    fake.behaviour = lambda p, t, role, n: limited if role == "gates" and n == 1 else None
    r = run_council(SNAP, cfg)
    assert next(a for a in r.analyses if a.role == "gates").status == "ok"
    assert 3.0 in waits
    assert fake.attempts[("gemini", "analyst", "gates")] == 2


def test_500_is_retried_then_fails_and_the_council_degrades(fake: Fake, cfg: Settings) -> None:
    fake.behaviour = lambda p, t, role, n: httpx.Response(500, json={"error": "down"}) if p == "anthropic" else None
    r = run_council(SNAP, cfg)
    failed = [a for a in r.analyses if a.status == "failed"]
    assert {a.model for a in failed} == {ANTHROPIC} and len(failed) == 2
    assert all(fake.attempts[("anthropic", "analyst", a.role)] == 3 for a in failed)
    assert r.mode == "degraded" and r.judge_model == OPENAI


def test_below_quorum_degrades_to_the_offline_analyst(fake: Fake, cfg: Settings) -> None:
    fake.behaviour = lambda p, t, role, n: httpx.Response(503) if t == "analyst" and p != "gemini" else None
    r = run_council(SNAP, cfg)
    assert r.mode == "degraded"
    assert [a.status for a in r.analyses].count("substituted") == 5
    assert any("quorum" in n for n in r.notes)


def test_malformed_json_is_retried_with_the_error(fake: Fake, cfg: Settings) -> None:
    fake.behaviour = lambda p, t, role, n: '{"summary": "oops", "findings": [' if role == "calibration" else None
    r = run_council(SNAP, cfg)
    cal = next(a for a in r.analyses if a.role == "calibration")
    assert cal.attempts == 2 and cal.status == "ok"
    retry = [m for p, t, _, m in fake.seen if t == "retry"][0]
    assert "not valid JSON" in retry[-1]["content"]


def test_citing_a_metric_that_does_not_exist_is_a_validation_error(fake: Fake, cfg: Settings) -> None:
    bogus = json.dumps({"summary": "AUC is great", "findings": [
        {"title": "AUC", "detail": "AUC is {auc}", "metric_ids": ["auc_v2"], "severity": "info"}]})  # fmt: skip
    fake.behaviour = lambda p, t, role, n: bogus if role in ("skeptic", "learning_progress") or t == "retry" else None
    r = run_council(SNAP, cfg)
    for role in ("skeptic", "learning_progress"):
        rec = next(a for a in r.analyses if a.role == role)
        assert rec.status == "failed" and "auc_v2" in (rec.error or "")
    retry = [m for p, t, _, m in fake.seen if t == "retry"][0]
    assert "unknown metric id(s) 'auc_v2'" in retry[-1]["content"]


def _invented() -> str:
    return json.dumps(
        {
            "verdict": "Verdict: AUC is {auc}.",
            "digest": "AUC jumped to 0.8642, up 3.5 pp. ECE improved to {ece}. Brier was {brier}.",
        }
    )


def test_a_judge_that_invents_numbers_then_fixes_them(fake: Fake, cfg: Settings) -> None:
    fake.behaviour = lambda p, t, role, n: _invented() if t == "judge" else None
    r = run_council(SNAP, cfg)
    revision = [m for p, t, _, m in fake.seen if t == "revise"][0][-1]["content"]
    assert "'0.8642'" in revision and "'3.5 pp'" in revision and "{auc}" in revision  # the fix to write
    assert "'improved'" in revision  # a direction the snapshot does not support goes back too
    assert r.revision_rounds == 1 and r.mode == "council"
    assert "0.8642" not in r.text and "[" not in r.text
    assert not [f for f in r.flags if f.kind in ("unverified_number", "wrong_record", "wrong_direction")]


def test_a_judge_that_never_fixes_them(fake: Fake, cfg: Settings) -> None:
    fake.behaviour = lambda p, t, role, n: _invented() if t in ("judge", "revise") else None
    r = run_council(SNAP, cfg)
    assert r.revision_rounds == cfg.council.max_revision_rounds
    assert fake.calls(task="revise") == cfg.council.max_revision_rounds
    # the whole sentence goes, not just its numbers: no hole keeps the claim's shape
    assert r.text == "Verdict: AUC is 0.712.\n\nBrier was 0.213."
    assert [f.kind for f in r.flags if f.kind != "canary"] == ["unverified_number", "wrong_direction"]
    assert {v.text for v in r.verification if v.action == "removed"} == {"0.8642", "3.5 pp", "0.041"}


def test_a_judge_that_keeps_guessing_cannot_guess_its_way_in(fake: Fake, cfg: Settings) -> None:
    # Round 0 invents; each revision guesses another literal, the last one a true value of
    # the wrong metric, then the true AUC itself. A revised number must be a placeholder.
    guesses = iter(["0.7000", "58.3 %", "0.712"])

    def judge(p: str, t: str | None, role: str | None, n: int) -> str | None:
        if t == "judge":
            return json.dumps({"verdict": "Verdict: a quiet day.", "digest": "AUC was 0.8642."})
        if t == "revise":
            return json.dumps({"verdict": "Verdict: a quiet day.", "digest": f"AUC was {next(guesses)}."})
        return None

    fake.behaviour = judge
    cfg.council.max_revision_rounds = 3
    r = run_council(SNAP, cfg)
    assert r.revision_rounds == 3
    assert r.text == "Verdict: a quiet day."
    revisions = [m[-1]["content"] for p, t, _, m in fake.seen if t == "revise"]
    assert all("{auc}" in rev for rev in revisions)  # every round names the placeholder to write
    (last,) = [v for v in r.verification if v.text == "0.712"]
    assert last.action == "removed" and "must be a placeholder" in last.detail


def test_judge_failure_runs_the_fallback_judge(fake: Fake, cfg: Settings) -> None:
    fake.behaviour = lambda p, t, role, n: httpx.Response(500) if t == "judge" and p == "openai" else None
    r = run_council(SNAP, cfg)
    assert r.judge_model == ANTHROPIC and r.mode == "council"
    assert any(f"judge {OPENAI} failed" in n for n in r.notes)


def test_budget_exhausted_takes_the_offline_path(fake: Fake, cfg: Settings) -> None:
    cfg.council.monthly_budget_usd = 5.0
    Ledger.for_settings(cfg).record_call("earlier", "2025-11-05", CallCost(purpose="x", model=OPENAI, cost_usd=5.0),
                                         datetime.now(UTC))  # fmt: skip
    r = run_council(SNAP, cfg)
    assert fake.seen == []  # not one paid call
    assert r.mode == "offline" and r.cost.over_budget
    assert any("monthly budget exhausted" in n for n in r.notes)
    assert all(a.status == "substituted" for a in r.analyses)


def test_per_run_cap_sends_the_judge_offline(fake: Fake, cfg: Settings) -> None:
    cfg.council.per_run_cap_usd = 0.0001  # the analysts' calls already cost more
    r = run_council(SNAP, cfg)
    assert fake.calls(task="judge") == 0
    assert r.judge_model == "huracan/offline" and r.mode == "degraded"
    assert any("per-run cap" in n for n in r.notes)


def test_missing_key_substitutes_the_offline_analyst(
    fake: Fake, cfg: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    r = run_council(SNAP, cfg)
    subs = [a for a in r.analyses if a.status == "substituted"]
    assert {a.substitute_for for a in subs} == {ANTHROPIC}
    assert any("ANTHROPIC_API_KEY" in n for n in r.notes)
    assert fake.calls("anthropic") == 0


def test_api_key_from_settings_is_passed_to_litellm(fake: Fake, cfg: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    cfg.council.api_keys = {"ANTHROPIC_API_KEY": "sk-ant-from-settings"}  # type: ignore[dict-item]
    r = run_council(SNAP, cfg)
    assert all(a.status == "ok" for a in r.analyses)
    assert fake.calls("anthropic") >= 2

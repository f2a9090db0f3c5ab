"""What a month of the configured council will cost, before a key is set (issue 11).

The estimate is built from a real run's prompts: the exact messages every analyst and the
judge would be sent for a snapshot (the store's latest day, a snapshot file, or — with
neither — a snapshot of every registered metric with full comparisons, the largest prompt
the catalog makes), counted with the tokenizer litellm bundles (no download). Answers are
sized from this council's own ledger where it has paid calls of that model, else from
stated defaults. Prices come from litellm's bundled price map
(``LITELLM_LOCAL_MODEL_COST_MAP=True``: no network, no key). A model the map does not
know is listed as unpriced, never silently counted as free.

Example::

    >>> est = estimate(settings, snapshot)  # doctest: +SKIP
    >>> est.usd_per_month
    11.84
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from statistics import mean
from typing import Any

from huracan.analytics.snapshot import Comparison, Interval, MetricsSnapshot, MetricValue, Provenance, Readiness
from huracan.config import Settings
from huracan.council.budget import Ledger
from huracan.council.llm import is_offline, load_litellm
from huracan.council.offline import offline_reply
from huracan.council.prompts import analyst_messages, judge_messages, render_template, role_brief

__all__ = ["CostEstimate", "ModelEstimate", "estimate", "synthetic_snapshot"]

#: Answer sizes when the ledger has no paid call of a model yet (tokens; a full structured
#: analysis with six findings, a digest of a phone screen or two).
ANALYST_OUTPUT_TOKENS = 900
JUDGE_OUTPUT_TOKENS = 1500
#: A revision prompt lists the problems; about this many tokens on top of the conversation.
REVISION_PROMPT_TOKENS = 300


@dataclass
class ModelEstimate:
    """One model's share of a run."""

    model: str
    roles: list[str] = field(default_factory=list)
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usd: float = 0.0
    priced: bool = True
    #: answer size from the ledger's paid calls of this model (else the stated default)
    measured_answers: bool = False
    note: str = ""


@dataclass
class CostEstimate:
    """A month of runs of the configured council."""

    models: list[ModelEstimate]
    runs_per_month: int
    revision_rounds: int
    snapshot_source: str
    usd_per_run: float
    monthly_budget_usd: float
    per_run_cap_usd: float

    @property
    def usd_per_month(self) -> float:
        return round(self.usd_per_run * self.runs_per_month, 2)

    @property
    def unpriced(self) -> list[str]:
        return [m.model for m in self.models if not m.priced]

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs_per_month": self.runs_per_month,
            "revision_rounds": self.revision_rounds,
            "snapshot": self.snapshot_source,
            "usd_per_run": round(self.usd_per_run, 4),
            "usd_per_month": self.usd_per_month,
            "monthly_budget_usd": self.monthly_budget_usd,
            "per_run_cap_usd": self.per_run_cap_usd,
            "within_budget": self.usd_per_month <= self.monthly_budget_usd,
            "unpriced": self.unpriced,
            "answer_tokens_assumed": {"analyst": ANALYST_OUTPUT_TOKENS, "judge": JUDGE_OUTPUT_TOKENS},
            "models": [m.__dict__ for m in self.models],
        }


def _tokens(litellm: Any, model: str, messages: list[dict[str, str]]) -> int:
    # The tokenizer bundled with litellm (OpenAI's), for every model: others' tokenizers are
    # downloaded from the network on first use, and differ from it by a few percent.
    try:
        return int(litellm.token_counter(model="gpt-4o", messages=messages))
    except Exception:  # no tokenizer at all: characters / 4, the usual rule of thumb
        return sum(len(m["content"]) for m in messages) // 4


def _price(litellm: Any, model: str, prompt: int, completion: int) -> tuple[float, bool]:
    if is_offline(model):
        return 0.0, True
    try:
        inp, out = litellm.cost_per_token(model=model, prompt_tokens=prompt, completion_tokens=completion)
        return float(inp) + float(out), True
    except Exception:
        return 0.0, False


def _ledger_outputs(settings: Settings) -> dict[tuple[str, str], float]:
    """(model, analyst|judge) → mean completion tokens of its paid calls in the ledger."""
    seen: dict[tuple[str, str], list[int]] = {}
    for r in Ledger.for_settings(settings).records():
        if r.get("kind") == "call" and r.get("ok", True) and float(r.get("cost_usd", 0) or 0) > 0:
            kind = "judge" if str(r.get("purpose", "")).startswith("judge") else "analyst"
            seen.setdefault((str(r.get("model")), kind), []).append(int(r.get("completion_tokens", 0) or 0))
    return {k: mean(v) for k, v in seen.items() if v}


def estimate(
    settings: Settings,
    snapshot: MetricsSnapshot,
    *,
    snapshot_source: str = "snapshot",
    runs_per_month: int = 30,
    revision_rounds: int = 1,
) -> CostEstimate:
    """Forecast the configured council's cost per run and per month on ``snapshot``'s prompts."""
    litellm = load_litellm()
    cfg = settings.council
    outputs = _ledger_outputs(settings)
    by_model: dict[str, ModelEstimate] = {}
    analyses = []
    for i, a in enumerate(cfg.analysts):
        messages = analyst_messages(a.role, snapshot)
        est = by_model.setdefault(a.model, ModelEstimate(a.model))
        out = int(outputs.get((a.model, "analyst"), ANALYST_OUTPUT_TOKENS))
        est.roles.append(a.role)
        est.calls += 1
        est.prompt_tokens += _tokens(litellm, a.model, messages)
        est.completion_tokens += out
        # What the judge reads: analyses of realistic size (the offline analyst's, for shape).
        analysis = json.loads(offline_reply(messages))
        analyses.append({"label": chr(65 + i), "focus": role_brief(a.role)[0], "analysis": analysis})
    judge = cfg.judge_model
    est = by_model.setdefault(judge, ModelEstimate(judge))
    est.roles.append("judge")
    messages = judge_messages(snapshot, analyses)
    prompt = _tokens(litellm, judge, messages)
    out = int(outputs.get((judge, "judge"), JUDGE_OUTPUT_TOKENS))
    revision = _tokens(
        litellm, judge, [{"role": "user", "content": render_template("revision.j2", round=1, problems=["x"] * 6)}]
    )
    for k in range(revision_rounds + 1):
        # Each revision resends the conversation: the prompt, every draft, every problem list.
        est.calls += 1
        est.prompt_tokens += prompt + k * (out + max(revision, REVISION_PROMPT_TOKENS))
        est.completion_tokens += out
    for m in by_model.values():
        m.usd, m.priced = _price(litellm, m.model, m.prompt_tokens, m.completion_tokens)
        if is_offline(m.model):
            m.note = "the offline analyst: free"
        elif not m.priced:
            m.note = "not in litellm's price map: counted as $0 here; check the provider's price"
        m.measured_answers = any(k[0] == m.model for k in outputs)
    return CostEstimate(
        models=list(by_model.values()),
        runs_per_month=runs_per_month,
        revision_rounds=revision_rounds,
        snapshot_source=snapshot_source,
        usd_per_run=sum(m.usd for m in by_model.values()),
        monthly_budget_usd=cfg.monthly_budget_usd,
        per_run_cap_usd=cfg.per_run_cap_usd,
    )


def synthetic_snapshot(settings: Settings, day: date) -> MetricsSnapshot:
    """A snapshot of every registered metric with a value, interval and both comparisons:
    the largest prompt the catalog makes, for estimating before any data exists."""
    from datetime import UTC, datetime

    from huracan.plugins.manager import get_plugins

    metrics: dict[str, MetricValue] = {}
    for i, (mid, spec) in enumerate(sorted(get_plugins(settings).metrics().items())):
        value = 0.4123 + (i % 7) / 100 if spec.unit in ("fraction", "score") else 1234.5678 + i
        cmp = Comparison(
            baseline=value * 0.97, delta=value * 0.03, pct_change=0.0309, significant=i % 2 == 0, direction="up"
        )
        metrics[mid] = MetricValue(
            id=mid, name=spec.name, category=spec.category, unit=spec.unit, precision=spec.precision,  # type: ignore[arg-type]
            value=value, formula=spec.formula, provenance=Provenance(query="-", row_count=1000),
            targets=spec.targets, higher_is_better=spec.higher_is_better, status="ok", n=1000 + i,
            interval=Interval(low=value * 0.95, high=value * 1.05, method="wilson"), vs_prev_day=cmp, vs_7d_mean=cmp,
        )  # fmt: skip
    readiness = Readiness(model_id="0" * 64, ready=False, reasons=["synthetic snapshot"], checks={"auc": True})
    return MetricsSnapshot(date=day, generated_at=datetime.now(UTC), metrics=metrics, readiness=readiness)

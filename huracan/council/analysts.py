"""The analysts: each a litellm model string and a role, run concurrently.

An analyst's answer must validate against :class:`~huracan.council.schema.Analysis`
with the day's snapshot as context; an invalid answer is sent back once with the
validation error, then the analyst counts as failed. A paid model without its API key,
or over budget, is replaced by the offline analyst (``huracan/offline``) and the record
says so.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.config import AnalystSettings, CouncilSettings
from huracan.council.budget import Budget
from huracan.council.llm import CallFailed, Completion, OverBudget, call_model, is_offline, missing_keys
from huracan.council.offline import OFFLINE_MODEL
from huracan.council.prompts import analyst_messages, fence_json, render_template, snapshot_for_prompt
from huracan.council.schema import Analysis, AnalysisRecord

__all__ = ["RunContext", "explain_invalid", "extract_json", "run_analysts"]


@dataclass
class RunContext:
    """What every call of one council run shares."""

    snapshot: MetricsSnapshot
    cfg: CouncilSettings
    completion: Completion
    budget: Budget
    rng: random.Random
    #: provider env var → key, from settings.council.api_keys
    keys: dict[str, str] = field(default_factory=dict)
    #: litellm is the transport: keys can be checked before calling
    check_keys: bool = False
    #: every paid model goes offline (budget exhausted before the run)
    force_offline: str | None = None
    notes: list[str] = field(default_factory=list)
    #: the fenced snapshot, built once: every analyst and the judge read the same bytes
    snapshot_json: str = ""

    def __post_init__(self) -> None:
        if not self.snapshot_json:
            self.snapshot_json = fence_json(snapshot_for_prompt(self.snapshot))

    async def ask(
        self, model: str, messages: list[dict[str, str]], purpose: str, temperature: float, timeout_s: float
    ) -> str:
        """One call with retries; its cost is charged whether it succeeds or not."""
        try:
            content, cost = await call_model(
                self.completion,
                model=model,
                messages=messages,
                purpose=purpose,
                temperature=temperature,
                timeout_s=timeout_s,
                max_retries=self.cfg.max_retries,
                backoff_s=self.cfg.retry_backoff_s,
                rng=random.Random(self.rng.random()),
                api_key=self.api_key(model),
                before_attempt=None if is_offline(model) else self.budget.check,
            )
        except CallFailed as exc:
            self.budget.charge(exc.cost)
            raise
        self.budget.charge(cost)
        return content

    def api_key(self, model: str) -> str | None:
        if not self.check_keys or is_offline(model):
            return None
        return missing_keys(model, self.keys)[1]

    def offline_reason(self, model: str) -> str | None:
        """Why a configured model must be replaced by the offline one, or None."""
        if is_offline(model):
            return None
        if self.force_offline:
            return self.force_offline
        if self.check_keys:
            missing, _ = missing_keys(model, self.keys)
            if missing:
                return (
                    f"no API key for {model}: set {' or '.join(missing)} in the environment "
                    f"or council.api_keys.{missing[0]} (e.g. a file in $CREDENTIALS_DIRECTORY)"
                )
        return None


_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)\n\s*```", re.DOTALL)


def extract_json(text: str) -> str:
    """The JSON object in a model's answer, tolerating reasoning blocks, fences and prose.

    ``<think>…</think>`` is dropped first (reasoning models emit it, braces and all); then
    the first fenced block that holds an object, else the span from the first ``{`` to the
    last ``}``.
    """
    text = _THINK.sub("", text)
    for block in _FENCE.findall(text):
        if block.lstrip().startswith("{"):
            return block.strip()
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text


def explain_invalid(exc: ValidationError | json.JSONDecodeError | ValueError) -> str:
    """What was wrong with an answer, for the model to fix: each field and the problem,
    never pydantic's ``input_value`` echo of the answer itself."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    if not isinstance(exc, ValidationError):
        return f"the answer could not be used: {exc}"
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        lines.append(f"{loc}: {err['msg'].removeprefix('Value error, ')}")
    return "the answer does not match the schema:\n" + "\n".join(f"- {line}" for line in lines)


def parse_analysis(content: str, snapshot: MetricsSnapshot) -> Analysis:
    """Validate an analyst's answer against the schema and the snapshot."""
    raw = extract_json(content)
    json.loads(raw)  # a JSONDecodeError names the position; pydantic's message would not
    return Analysis.model_validate_json(raw, context={"snapshot": snapshot})


async def _run_one(ctx: RunContext, analyst: AnalystSettings, model: str, substitute_for: str | None) -> AnalysisRecord:
    purpose = f"analyst:{analyst.role}"
    record = AnalysisRecord(
        role=analyst.role,
        model=model,
        status="substituted" if substitute_for else "ok",
        substitute_for=substitute_for,
    )
    messages = analyst_messages(analyst.role, ctx.snapshot, ctx.snapshot_json)
    for attempt in (1, 2):
        record.attempts = attempt
        try:
            content = await ctx.ask(model, messages, purpose, analyst.temperature, analyst.timeout_s)
        except OverBudget as exc:
            if is_offline(model):
                raise
            ctx.notes.append(f"analyst {analyst.role}: {exc}; the offline analyst stood in")
            return await _run_one(ctx, analyst, OFFLINE_MODEL, model)
        except CallFailed as exc:
            return record.model_copy(update={"status": "failed", "error": str(exc), "reason": exc.reason})
        try:
            record.analysis = parse_analysis(content, ctx.snapshot)
            return record
        except (ValidationError, json.JSONDecodeError) as exc:
            error = explain_invalid(exc)
            messages = [
                *messages,
                {"role": "assistant", "content": content},
                {"role": "user", "content": render_template("invalid.j2", error=error)},
            ]
    return record.model_copy(
        update={"status": "failed", "error": f"invalid answer twice; last: {error}", "reason": "invalid answer twice"}
    )


async def run_one(ctx: RunContext, analyst: AnalystSettings) -> AnalysisRecord:
    """Run one analyst, substituting the offline analyst when its model cannot be used."""
    reason = ctx.offline_reason(analyst.model)
    if reason:
        ctx.notes.append(f"analyst {analyst.role}: {reason}; the offline analyst stood in")
        return await _run_one(ctx, analyst, OFFLINE_MODEL, analyst.model)
    return await _run_one(ctx, analyst, analyst.model, None)


async def run_analysts(ctx: RunContext) -> list[AnalysisRecord]:
    """All analysts concurrently; below the quorum the offline analyst fills the failed roles.

    Never raises for a model's failure: each record carries its status and error.
    """
    records = list(await asyncio.gather(*(run_one(ctx, a) for a in ctx.cfg.analysts)))
    answered = sum(1 for r in records if r.analysis is not None)
    if answered >= ctx.cfg.quorum:
        return records
    failed = [i for i, r in enumerate(records) if r.analysis is None]
    ctx.notes.append(
        f"only {answered} of {len(records)} analysts answered (quorum {ctx.cfg.quorum}); "
        "the offline analyst stood in for the rest"
    )
    subs = await asyncio.gather(*(_run_one(ctx, ctx.cfg.analysts[i], OFFLINE_MODEL, records[i].model) for i in failed))
    for i, sub in zip(failed, subs, strict=True):
        sub.error = records[i].error
        sub.reason = records[i].reason
        records[i] = sub
    return records

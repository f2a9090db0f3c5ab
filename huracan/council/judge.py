"""The judge: reconcile anonymized analyses into the digest text, then verify it.

The judge sees the analyses as A, B, C … in an order shuffled by the run's seeded RNG
(so no analyst is always first) without the model names. Its draft goes through the
placeholder renderer and the number verifier; problems go back to it with the list
(at most ``max_revision_rounds`` times), and whatever still fails is removed and
flagged. If the judge fails, the fallback judge runs; if both fail, the deterministic
text from the snapshot is published and says so.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.analysts import RunContext, explain_invalid, extract_json
from huracan.council.llm import CallFailed, OverBudget, is_offline
from huracan.council.offline import OFFLINE_MODEL
from huracan.council.prompts import judge_messages, render_template, role_brief
from huracan.council.publish import literal_pairs, problems, publish
from huracan.council.schema import AnalysisRecord, DirectionCheck, Flag, JudgeDraft, VerifiedNumber

__all__ = ["Published", "anonymize", "deterministic_text", "run_judge", "safe_reason"]


@dataclass
class Published:
    """A text ready to publish, with its verification table and flags."""

    text: str
    verification: list[VerifiedNumber]
    flags: list[Flag] = field(default_factory=list)
    model: str | None = None
    rounds: int = 0
    deterministic: bool = False
    directions: list[DirectionCheck] = field(default_factory=list)


def safe_reason(exc: BaseException) -> str:
    """Why a call or an answer failed, in our words: never the model's text or pydantic's input_value."""
    if isinstance(exc, CallFailed):
        return exc.reason
    if isinstance(exc, OverBudget):
        return str(exc)
    if isinstance(exc, ValidationError):
        locs = sorted({".".join(str(p) for p in e["loc"]) or "(root)" for e in exc.errors()})
        return f"the answer did not match the schema ({exc.error_count()} problem(s) at {', '.join(locs[:5])})"
    if isinstance(exc, json.JSONDecodeError):
        return "the answer was not valid JSON"
    return f"the answer could not be used ({type(exc).__name__})"


def anonymize(records: list[AnalysisRecord], ctx: RunContext) -> list[dict[str, Any]]:
    """Label the answered analyses A, B, C … in a seeded random order (sets ``record.label``)."""
    answered = [r for r in records if r.analysis is not None]
    ctx.rng.shuffle(answered)
    out = []
    for i, r in enumerate(answered):
        r.label = string.ascii_uppercase[i % 26] + (str(i // 26) if i >= 26 else "")
        assert r.analysis is not None
        out.append({"label": r.label, "focus": role_brief(r.role)[0], "analysis": r.analysis.model_dump()})
    return out


def _parse(content: str, snapshot: MetricsSnapshot) -> JudgeDraft:
    return JudgeDraft.model_validate_json(extract_json(content), context={"snapshot": snapshot})


async def _draft(ctx: RunContext, model: str, messages: list[dict[str, str]], purpose: str) -> tuple[JudgeDraft, str]:
    """One judge answer, validated; an invalid answer is sent back once."""
    content = await ctx.ask(model, messages, purpose, 0.2, ctx.cfg.judge_timeout_s)
    try:
        return _parse(content, ctx.snapshot), content
    except (ValidationError, json.JSONDecodeError, ValueError) as exc:
        retry = [
            *messages,
            {"role": "assistant", "content": content},
            {"role": "user", "content": render_template("invalid.j2", error=explain_invalid(exc))},
        ]
        content = await ctx.ask(model, retry, f"{purpose}:retry", 0.2, ctx.cfg.judge_timeout_s)
        return _parse(content, ctx.snapshot), content


def _published(text: str, ctx: RunContext, allowed: set[tuple[str, str]] | None, **kw: Any) -> Published:
    out = publish(text, ctx.snapshot, allowed_literals=allowed)
    if not out.text.strip():
        # Every sentence failed: publish the snapshot's own text rather than nothing.
        ctx.notes.append("every sentence of the judge's text failed verification; published the deterministic digest")
        fallback = publish(
            deterministic_text(ctx.snapshot, "every sentence of the judge's text failed verification"), ctx.snapshot
        )
        return Published(fallback.text, fallback.numbers, out.flags + fallback.flags, model=None, deterministic=True,
                         directions=fallback.directions)  # fmt: skip
    return Published(out.text, out.numbers, out.flags, directions=out.directions, **kw)


async def _judge_with(ctx: RunContext, model: str, analyses: list[dict[str, Any]]) -> Published:
    messages = judge_messages(ctx.snapshot, analyses, ctx.snapshot_json)
    draft, content = await _draft(ctx, model, messages, "judge")
    rounds = 0
    # A revision may keep the literal numbers the first draft got right; any other new
    # number must be a placeholder, so a judge cannot guess its way to a match (issue 11).
    allowed: set[tuple[str, str]] | None = None
    while rounds < ctx.cfg.max_revision_rounds:
        found = problems(draft.text(), ctx.snapshot, allowed)
        if not found:
            break
        if allowed is None:
            allowed = literal_pairs(draft.text(), ctx.snapshot)
        rounds += 1
        messages = [
            *messages,
            {"role": "assistant", "content": content},
            {"role": "user", "content": render_template("revision.j2", round=rounds, problems=found)},
        ]
        try:
            draft, content = await _draft(ctx, model, messages, f"judge:revision-{rounds}")
        except (CallFailed, OverBudget, ValidationError, json.JSONDecodeError, ValueError) as exc:
            ctx.notes.append(
                f"judge revision {rounds} failed: {safe_reason(exc)}; published the previous draft, cleaned"
            )
            break
    return _published(draft.text(), ctx, allowed, model=model, rounds=rounds)


def deterministic_text(snapshot: MetricsSnapshot, reason: str) -> str:
    """The digest text written from the snapshot alone (numbers as placeholders)."""
    attention, changes = [], []
    for mid, m in snapshot.metrics.items():
        if m.value is None:
            continue
        if m.status in ("warning", "critical"):
            t = m.targets
            target = None
            if t is not None and t.min is not None:
                target = f"at least {{{mid}.target_min}}"
            elif t is not None and t.max is not None:
                target = f"at most {{{mid}.target_max}}"
            attention.append({"id": mid, "name": m.name, "status": m.status, "target": target})
        elif m.vs_prev_day is not None and m.vs_prev_day.significant and m.vs_prev_day.delta is not None:
            changes.append({"id": mid, "name": m.name})
    insights = [str(i.get("text") or i.get("message") or i.get("title") or "").strip() for i in snapshot.insights]
    return render_template(
        "deterministic.j2",
        readiness=snapshot.readiness,
        reason=reason,
        attention=attention,
        changes=changes[:8],
        insights=[i for i in insights if i],
    )


async def run_judge(ctx: RunContext, records: list[AnalysisRecord]) -> Published:
    """The judge, then the fallback judge, then the deterministic text."""
    analyses = anonymize(records, ctx)
    tried: list[str] = []
    reasons: list[str] = []
    for model in (ctx.cfg.judge_model, ctx.cfg.fallback_judge_model):
        if model in tried:
            continue
        tried.append(model)
        use = model
        offline_reason = ctx.offline_reason(model)
        if offline_reason:
            ctx.notes.append(f"judge {model}: {offline_reason}; the offline judge stood in")
            use = OFFLINE_MODEL
        try:
            return await _judge_with(ctx, use, analyses)
        except OverBudget as exc:
            ctx.notes.append(f"judge {model}: {exc}; the offline judge stood in")
            if is_offline(use):
                raise
            try:
                return await _judge_with(ctx, OFFLINE_MODEL, analyses)
            except (CallFailed, ValidationError, json.JSONDecodeError, ValueError) as inner:
                reasons.append(f"offline judge: {safe_reason(inner)}")
        except (CallFailed, ValidationError, json.JSONDecodeError, ValueError) as exc:
            reasons.append(f"{model}: {safe_reason(exc)}")
            ctx.notes.append(f"judge {model} failed: {safe_reason(exc)}")
    reason = "the judge and the fallback judge both failed (" + "; ".join(reasons) + ")"
    out = publish(deterministic_text(ctx.snapshot, "the judges could not answer"), ctx.snapshot)
    ctx.notes.append(f"{reason}; published the deterministic digest")
    return Published(out.text, out.numbers, out.flags, model=None, deterministic=True, directions=out.directions)

"""What analysts and the judge must answer, and what a council run returns.

Model output is validated against the day's snapshot: a finding that cites a metric id
the snapshot does not have, or a placeholder that names no snapshot value, is a
validation error (fed back to the model once, then the analyst counts as failed).
Pass the snapshot as validation context::

    Analysis.model_validate_json(text, context={"snapshot": snapshot})
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.placeholders import PlaceholderError, find_placeholders, resolve

__all__ = [
    "Analysis",
    "AnalysisRecord",
    "CallCost",
    "CanaryCase",
    "CanaryResult",
    "CostSummary",
    "CouncilResult",
    "DirectionCheck",
    "Disagreement",
    "Finding",
    "Flag",
    "JudgeDraft",
    "Mode",
    "Recommendation",
    "VerifiedNumber",
]

Severity = Literal["info", "warning", "critical"]
Mode = Literal["council", "degraded", "offline", "deterministic"]


def _snapshot(info: ValidationInfo) -> MetricsSnapshot | None:
    ctx = info.context
    snap = ctx.get("snapshot") if isinstance(ctx, dict) else None
    return snap if isinstance(snap, MetricsSnapshot) else None


def _check_ids(ids: list[str], info: ValidationInfo) -> list[str]:
    snap = _snapshot(info)
    if snap is None:
        return ids
    unknown = [i for i in ids if i not in snap.metrics]
    if unknown:
        sample = ", ".join(sorted(snap.metrics)[:8])
        raise ValueError(
            f"unknown metric id(s) {', '.join(repr(u) for u in unknown)}; cite only ids that appear in the "
            f"snapshot's metrics (e.g. {sample})"
        )
    return ids


def _check_placeholders(text: str, info: ValidationInfo) -> str:
    snap = _snapshot(info)
    if snap is None:
        return text
    bad = []
    for ph in find_placeholders(text):
        try:
            resolve(ph.expr, snap)
        except PlaceholderError as exc:
            bad.append(str(exc))
    if bad:
        raise ValueError("; ".join(bad))
    return text


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Finding(_Model):
    """One observation, resting on named metrics."""

    title: str = Field(min_length=1, max_length=200)
    detail: str = Field(min_length=1, max_length=2000, description="write numbers as placeholders, e.g. {auc}")
    metric_ids: list[str] = Field(min_length=1)
    severity: Severity

    _ids = field_validator("metric_ids")(_check_ids)
    _ph = field_validator("title", "detail")(_check_placeholders)


class Recommendation(_Model):
    action: str = Field(min_length=1, max_length=1000)
    metric_ids: list[str] = Field(default_factory=list)
    priority: Literal["low", "medium", "high"] = "medium"

    _ids = field_validator("metric_ids")(_check_ids)
    _ph = field_validator("action")(_check_placeholders)


class Analysis(_Model):
    """An analyst's answer."""

    summary: str = Field(min_length=1, max_length=2000)
    findings: list[Finding] = Field(default_factory=list, max_length=12)
    recommendations: list[Recommendation] = Field(default_factory=list, max_length=8)
    confidence: Literal["low", "medium", "high"] = "medium"

    _ph = field_validator("summary")(_check_placeholders)


class Disagreement(_Model):
    topic: str = Field(min_length=1)
    analysts: list[str] = Field(default_factory=list, description="anonymous labels, e.g. ['A', 'C']")
    note: str = Field(min_length=1)
    metric_ids: list[str] = Field(default_factory=list)

    _ids = field_validator("metric_ids")(_check_ids)


class JudgeDraft(_Model):
    """The judge's answer: a verdict line, the digest body, and where analysts disagree.

    Placeholders are resolved later by the renderer (an unknown one is fed back to the
    judge like an unverified number), so they are not validated here.
    """

    verdict: str = Field(min_length=1, max_length=400)
    digest: str = Field(min_length=1, max_length=8000)
    disagreements: list[Disagreement] = Field(default_factory=list, max_length=10)
    metric_ids: list[str] = Field(default_factory=list)

    _ids = field_validator("metric_ids")(_check_ids)

    def text(self) -> str:
        """The draft as one text: verdict, body, then the disagreements as bullets."""
        parts = [self.verdict.strip(), self.digest.strip()]
        if self.disagreements:
            lines = ["Where the analysts disagree:"]
            for d in self.disagreements:
                who = f" ({', '.join(d.analysts)})" if d.analysts else ""
                lines.append(f"- {d.topic}{who}: {d.note}")
            parts.append("\n".join(lines))
        return "\n\n".join(p for p in parts if p)


# --- what a run returns ---------------------------------------------------------------


class CallCost(BaseModel):
    """Tokens and dollars of one LLM call (offline calls cost nothing)."""

    purpose: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    note: str = ""
    ok: bool = True
    attempts: int = 1


class CostSummary(BaseModel):
    calls: list[CallCost] = Field(default_factory=list)
    run_usd: float = 0.0
    month_to_date_usd: float = 0.0
    monthly_budget_usd: float = 0.0
    per_run_cap_usd: float = 0.0
    over_budget: bool = False


class AnalysisRecord(BaseModel):
    role: str
    model: str
    label: str | None = Field(None, description="the anonymous letter the judge saw")
    status: Literal["ok", "failed", "substituted"]
    analysis: Analysis | None = None
    error: str | None = None
    #: why it failed in our words only (no model or provider text): what a digest may show
    reason: str | None = None
    attempts: int = 0
    substitute_for: str | None = Field(None, description="the configured model the offline analyst stood in for")


Failure = Literal["wrong_record", "unverified"]


class VerifiedNumber(BaseModel):
    """One number (or date) of a text: the metric its clause links it to and what it matched.

    ``start``/``end`` point into the published text for a kept number and into the
    rendered draft for a removed one.
    """

    text: str
    start: int
    end: int
    value: float
    metric_id: str | None = Field(None, description="the metric the number's clause links it to (None: none)")
    field: str | None = Field(None, description="the field of that metric it equals (None: it failed)")
    failure: Failure | None = Field(
        None, description="wrong_record: true of another metric or field; unverified: true of nothing it names"
    )
    elsewhere: str | None = Field(None, description="metric.field the number does equal, for a wrong record")
    detail: str = ""
    kind: Literal["number", "date", "multiplier", "ratio", "share", "quantifier"] = "number"
    action: Literal["kept", "removed"] = "kept"

    @property
    def verified(self) -> bool:
        return self.failure is None


class DirectionCheck(BaseModel):
    """One direction word ("rose", "improved", "is ready" …) and whether the snapshot supports it."""

    text: str
    start: int
    end: int
    kind: str
    negated: bool = False
    metric_ids: list[str] = Field(default_factory=list)
    actual: str = ""
    failure: Literal["wrong_direction", "unverified"] | None = None
    action: Literal["kept", "removed"] = "kept"

    @property
    def ok(self) -> bool:
        return self.failure is None


class Flag(BaseModel):
    """Something the verifier removed or noticed; ``detail`` never quotes model-written numbers."""

    kind: Literal[
        "unverified_number", "wrong_record", "wrong_direction", "unverified_date", "unknown_placeholder",
        "unsupported_wording", "canary",
    ]  # fmt: skip
    text: str
    detail: str
    metric_id: str | None = None
    action: Literal["removed", "reworded", "fed_back", "alert"] = "removed"


class CanaryCase(BaseModel):
    """One planted false sentence: a near miss, a wrong metric or a wrong direction."""

    kind: Literal["near_miss", "wrong_metric", "wrong_direction"]
    sentence: str
    caught: bool
    detail: str = ""


class CanaryResult(BaseModel):
    planted: str
    caught: bool
    detail: str = ""
    cases: list[CanaryCase] = Field(default_factory=list)


class CouncilResult(BaseModel):
    """Everything a council run produced; ``text`` is safe to publish."""

    date: str
    mode: Mode
    text: str
    judge_model: str | None
    analyses: list[AnalysisRecord]
    verification: list[VerifiedNumber]
    directions: list[DirectionCheck] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    canary: CanaryResult | None = None
    cost: CostSummary = Field(default_factory=CostSummary)
    revision_rounds: int = 0
    notes: list[str] = Field(default_factory=list)
    alerts: list[dict[str, Any]] = Field(default_factory=list, description="Alert events as JSON (e.g. canary miss)")

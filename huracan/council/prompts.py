"""Prompt building: jinja2 templates in ``huracan/templates/prompts`` and fenced data.

Everything that came from events (notes, reasons, symbols, insight texts) reaches a
model only inside a fenced ```json block that the prompt calls data, not
instructions. Inside it JSON escapes quotes and newlines, and we escape backticks
(``\\u0060``), so no value can close the fence and speak as the prompt.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from huracan.analytics.format import format_value
from huracan.analytics.snapshot import MetricsSnapshot

__all__ = [
    "ROLES",
    "analyst_messages",
    "fence_json",
    "judge_messages",
    "render_template",
    "role_brief",
    "snapshot_for_prompt",
]

#: The default analysts: role → (title, what to look at).
ROLES: dict[str, tuple[str, str]] = {
    "learning_progress": (
        "learning progress",
        "Is the meta-label model getting better? Look at AUC, log loss, accuracy, training samples and drift, "
        "and whether today's changes are significant.",
    ),
    "calibration": (
        "calibration",
        "Do predicted probabilities match outcomes? Look at ECE, Brier score, calibration slope and intercept and "
        "reliability gaps.",
    ),
    "gates": (
        "gates",
        "Are the six gates too strict or too loose? Look at pass rates per gate against their targets, block "
        "accuracy, and the counterfactual win rate of blocked signals.",
    ),
    "risk": (
        "risk",
        "What would the shadow book have risked? Look at drawdown, Sharpe, Sortino, profit factor, P&L and slippage.",
    ),
    "data_quality": (
        "data quality",
        "Can today's numbers be trusted? Look at dropped and late events, queue fill, leakage violations, missing "
        "features, latencies and metrics without data.",
    ),
    "hamilton_readiness": (
        "Hamilton readiness",
        "Should the current model go to Hamilton? Look at the readiness checks, live vs shadow results, exports and "
        "their acknowledgements.",
    ),
    "skeptic": (
        "skeptic",
        "Challenge the optimistic reading: small samples, wide intervals, changes that are not significant, metrics "
        "with no data, anything that looks too good.",
    ),
}


def role_brief(role: str) -> tuple[str, str]:
    """(title, brief) for a role; a custom role gets a generic brief."""
    return ROLES.get(role, (role.replace("_", " "), f"Analyse the day from the point of view of {role}."))


@cache
def _env() -> Environment:
    # StrictUndefined: a template variable we forgot to pass is a bug, not an empty string.
    return Environment(
        loader=PackageLoader("huracan", "templates/prompts"),
        undefined=StrictUndefined,
        autoescape=False,  # plain-text prompts, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(name: str, **context: Any) -> str:
    """Render ``huracan/templates/prompts/<name>`` with StrictUndefined."""
    return _env().get_template(name).render(**context)


def fence_json(data: Any) -> str:
    """JSON for a fenced data block: no backtick survives, so the fence cannot be broken."""
    # Compact: fewer tokens to pay for, and models read it as well as indented JSON.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str).replace("`", "\\u0060")


def snapshot_for_prompt(snapshot: MetricsSnapshot) -> dict[str, Any]:
    """The snapshot as a model needs it: numbers, units, comparisons; no SQL."""
    metrics: dict[str, Any] = {}
    for mid, m in snapshot.metrics.items():
        entry: dict[str, Any] = {
            "name": m.name,
            "category": m.category,
            "unit": m.unit,
            "value": m.value,
            "shown": format_value(m) if m.value is not None else None,
            "status": m.status,
        }
        if m.status_reason:
            entry["status_reason"] = m.status_reason
        if m.higher_is_better is not None:
            entry["higher_is_better"] = m.higher_is_better
        if m.n is not None:
            entry["n"] = m.n
        if m.interval is not None:
            entry["interval"] = {"low": m.interval.low, "high": m.interval.high, "level": m.interval.level}
        if m.targets is not None:
            entry["targets"] = m.targets.model_dump(exclude_none=True)
        for key, cmp in (("vs_prev_day", m.vs_prev_day), ("vs_7d_mean", m.vs_7d_mean)):
            if cmp is not None:
                entry[key] = cmp.model_dump(exclude_none=True)
        metrics[mid] = entry
    return {
        "date": snapshot.date.isoformat(),
        "metrics": metrics,
        "readiness": snapshot.readiness.model_dump() if snapshot.readiness else None,
        "alerts": snapshot.alerts,
        "insights": snapshot.insights,
        "self_check": snapshot.self_check.model_dump(),
    }


@cache
def _schema(model: type[Any]) -> str:
    return json.dumps(model.model_json_schema(), separators=(",", ":"))


def analyst_messages(role: str, snapshot: MetricsSnapshot, snapshot_json: str | None = None) -> list[dict[str, str]]:
    """System + user messages for one analyst (``snapshot_json``: the fenced snapshot, if already built)."""
    from huracan.council.schema import Analysis

    title, brief = role_brief(role)
    system = render_template("analyst_system.j2", role_title=title, role_brief=brief, schema=_schema(Analysis))
    user = render_template(
        "analyst_user.j2",
        role=role,
        date=snapshot.date.isoformat(),
        snapshot_json=snapshot_json or fence_json(snapshot_for_prompt(snapshot)),
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def judge_messages(
    snapshot: MetricsSnapshot, analyses: list[dict[str, Any]], snapshot_json: str | None = None
) -> list[dict[str, str]]:
    """System + user messages for the judge; ``analyses`` are already anonymized."""
    from huracan.council.schema import JudgeDraft

    system = render_template("judge_system.j2", schema=_schema(JudgeDraft))
    user = render_template(
        "judge_user.j2",
        date=snapshot.date.isoformat(),
        snapshot_json=snapshot_json or fence_json(snapshot_for_prompt(snapshot)),
        analyses_json=fence_json(analyses),
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]

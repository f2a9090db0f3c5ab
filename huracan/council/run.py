"""One council run: analysts ║ judge → verifier → canary → cost.

Example::

    >>> from huracan.council import run_council
    >>> result = run_council(snapshot, settings)          # doctest: +SKIP
    >>> result.mode, result.canary.caught
    ('offline', True)

Inside a running event loop use ``await arun_council(...)``.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.config import Settings
from huracan.council.analysts import RunContext, run_analysts
from huracan.council.budget import Budget, Ledger
from huracan.council.canary import run_canary
from huracan.council.judge import run_judge
from huracan.council.llm import Completion, is_offline, load_litellm
from huracan.council.schema import AnalysisRecord, CostSummary, CouncilResult, Flag, Mode

__all__ = ["arun_council", "run_council"]


def _mode(records: list[AnalysisRecord], deterministic: bool, judge_model: str | None, configured: list[str]) -> Mode:
    if deterministic:
        return "deterministic"
    everything_offline = all(r.status != "failed" and is_offline(r.model) for r in records) and (
        judge_model is None or is_offline(judge_model)
    )
    if everything_offline and all(is_offline(m) for m in configured):
        return "offline"  # configured that way: the embedded default
    if everything_offline:
        return "offline"  # every paid model was replaced (no keys, or over budget)
    if any(r.status != "ok" for r in records):
        return "degraded"
    if judge_model is not None and is_offline(judge_model) and not is_offline(configured[-2]):
        return "degraded"  # the configured judge was replaced (over budget, no key)
    return "council"


async def arun_council(
    snapshot: MetricsSnapshot,
    settings: Settings,
    *,
    completion: Completion | None = None,
    seed: int = 0,
    now: datetime | None = None,
) -> CouncilResult:
    """Run the council on ``snapshot``; never raises for a model's failure.

    Args:
        snapshot: the day's metrics.
        settings: ``settings.council`` picks models, quorum, budget; the ledger lives
            under ``settings.data_dir / "council"``.
        completion: an async ``litellm.acompletion``-compatible function; default
            ``litellm.acompletion`` (imported only now).
        seed: seeds the analysts' anonymous order and the canary.
        now: the clock for the monthly budget (tests).
    """
    cfg = settings.council
    now = now or datetime.now(UTC)
    day = snapshot.date.isoformat()
    run_id = f"{day}-{uuid.uuid4().hex[:8]}"
    rng = random.Random(seed)
    check_keys = completion is None
    if completion is None:
        completion = load_litellm().acompletion
    budget = Budget(cfg, Ledger.for_settings(settings), run_id, day, now)
    ctx = RunContext(
        snapshot=snapshot,
        cfg=cfg,
        completion=completion,
        budget=budget,
        rng=rng,
        keys={k: v.get_secret_value() for k, v in cfg.api_keys.items()},
        check_keys=check_keys,
    )
    configured = [a.model for a in cfg.analysts] + [cfg.judge_model, cfg.fallback_judge_model]
    over = budget.exhausted()
    if over and not all(is_offline(m) for m in configured):
        ctx.force_offline = over
        ctx.notes.append(f"{over}: the offline council ran instead of the paid models")

    records = await run_analysts(ctx)
    published = await run_judge(ctx, records)
    canary = run_canary(published.text, snapshot, random.Random(rng.random()))
    flags = list(published.flags)
    alerts = []
    if not canary.caught:
        from huracan.events import Alert, Severity

        message = f"number verifier missed the canary for {day}: {canary.detail}"
        flags.append(Flag(kind="canary", text=canary.planted, detail=message, action="alert"))
        alerts.append(
            Alert(
                name="council_canary_missed", severity=Severity.CRITICAL, component="council", message=message
            ).model_dump(mode="json")
        )
    mode = _mode(records, published.deterministic, published.model, configured)
    if ctx.force_offline and mode != "deterministic":
        mode = "offline"
    cost = CostSummary(
        calls=budget.calls,
        run_usd=round(budget.run_spent, 6),
        month_to_date_usd=round(budget.month_to_date, 6),
        monthly_budget_usd=cfg.monthly_budget_usd,
        per_run_cap_usd=cfg.per_run_cap_usd,
        over_budget=budget.exhausted() is not None or ctx.force_offline is not None,
    )
    result = CouncilResult(
        date=day,
        mode=mode,
        text=published.text,
        judge_model=published.model,
        analyses=records,
        verification=published.verification,
        directions=published.directions,
        flags=flags,
        canary=canary,
        cost=cost,
        revision_rounds=published.rounds,
        notes=ctx.notes,
        alerts=alerts,
    )
    budget.ledger.record_run(
        run_id,
        day,
        datetime.now(UTC),
        mode=mode,
        run_usd=cost.run_usd,
        canary_caught=canary.caught,
        unverified_removed=sum(1 for v in result.verification if v.action == "removed"),
        analysts_ok=sum(1 for r in records if r.status == "ok"),
        analysts=len(records),
    )
    return result


def run_council(
    snapshot: MetricsSnapshot,
    settings: Settings,
    *,
    completion: Completion | None = None,
    seed: int = 0,
    now: datetime | None = None,
) -> CouncilResult:
    """Synchronous :func:`arun_council` for scripts, the CLI and the nightly pipeline.

    Raises ``RuntimeError`` inside a running event loop: use ``await arun_council(...)``.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun_council(snapshot, settings, completion=completion, seed=seed, now=now))
    raise RuntimeError("run_council() was called inside a running event loop; use `await arun_council(...)` there")

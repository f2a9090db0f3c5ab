"""Read the council's :class:`CouncilResult` into the digest's :class:`CouncilSummary`.

The judge's text already has its numbers rendered and verified; the digest only splits
off the "Where the analysts disagree" block (shown as dissent), counts the verification
table and sums the cost. ``None`` (the council did not run) gives a summary that says so.

Nothing model-written reaches the digest by another channel (issue 11): the text and the
dissent went through the verifier; notes, analyst failures and flags are in our own
words (a failed analyst shows its ``reason``, never its raw error or answer).
"""

from __future__ import annotations

from huracan.council.schema import CouncilResult
from huracan.digest.model import CouncilSummary

__all__ = ["DISAGREE_HEADING", "council_summary"]

#: The heading JudgeDraft.text() puts before its disagreement bullets.
DISAGREE_HEADING = "Where the analysts disagree:"


def _split_dissent(text: str) -> tuple[str, tuple[str, ...]]:
    head, sep, tail = text.partition(DISAGREE_HEADING)
    if not sep:
        return text.strip(), ()
    dissent = tuple(line.strip().removeprefix("- ").strip() for line in tail.splitlines() if line.strip())
    return head.strip(), dissent


def council_summary(result: CouncilResult | None) -> CouncilSummary:
    """The digest's view of a council run (``None`` when no council ran)."""
    if result is None:
        return CouncilSummary(text="", notes=("The council did not run for this day.",), offline=True)
    text, dissent = _split_dissent(result.text)
    notes = list(result.notes)
    for a in result.analyses:
        if a.status == "failed":
            notes.append(f"Analyst {a.role} ({a.model}) failed: {a.reason or 'no answer'}")
        elif a.status == "substituted":
            notes.append(f"Analyst {a.role}: the offline analyst stood in for {a.substitute_for or a.model}")
    if result.mode == "degraded":
        notes.append("Degraded council: fewer analysts than usual answered.")
    calls = result.cost.calls
    return CouncilSummary(
        text=text,
        notes=tuple(notes),
        dissent=dissent,
        numbers_verified=sum(1 for v in result.verification if v.verified and v.action == "kept" and v.kind != "date"),
        numbers_removed=sum(1 for v in result.verification if v.action == "removed"),
        flags=tuple(f"{f.kind}: {f.detail}" for f in result.flags),
        cost_usd=result.cost.run_usd,
        tokens=sum(c.prompt_tokens + c.completion_tokens for c in calls) if calls else None,
        offline=result.mode in ("offline", "deterministic"),
        models=tuple(sorted({c.model for c in calls if c.cost_usd > 0 or c.prompt_tokens > 0})),
    )

"""The AI council: analysts ║ judge → number verifier, with an offline provider and a budget.

``run_council(snapshot, settings)`` returns a :class:`CouncilResult` whose ``text`` is
safe to publish: every number in it matched the snapshot. litellm is imported only
when a council actually runs.
"""

from __future__ import annotations

from huracan.council.run import arun_council, run_council
from huracan.council.schema import (
    Analysis,
    AnalysisRecord,
    CallCost,
    CanaryResult,
    CostSummary,
    CouncilResult,
    Finding,
    Flag,
    JudgeDraft,
    VerifiedNumber,
)

__all__ = [
    "Analysis",
    "AnalysisRecord",
    "CallCost",
    "CanaryResult",
    "CostSummary",
    "CouncilResult",
    "Finding",
    "Flag",
    "JudgeDraft",
    "VerifiedNumber",
    "arun_council",
    "run_council",
]

"""Standings against a target and the hand-off to Hamilton are claims too
(:mod:`huracan.council.standing_words`): each true sentence passes on the day it is true and
its twin fails. Days: the red team's round-4 E (2026-10-06: AUC 0.657 over its 0.65 minimum,
exported, acknowledged after 804 s) and F (2026-10-01: AUC 0.647 under it, nothing exported).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.placeholders import render
from huracan.council.verifier import verify

DATA = Path(__file__).parent / "data" / "redteam" / "round4"
E, F = (MetricsSnapshot.model_validate_json((DATA / f"snapshot_{x}.json").read_text(encoding="utf-8")) for x in "ef")


def ok(text: str, snap: MetricsSnapshot) -> bool:
    r = render(text, snap)
    return not r.errors and verify(r.text, snap, r.spans).ok


@pytest.mark.parametrize(
    ("snap", "true", "lie"),
    [
        (
            E,
            "With an AUC of 0.657 the model clears the 0.65 minimum.",
            "With an AUC of 0.657 the model is below the readiness minimum.",
        ),
        (
            F,
            "The AUC of 0.647 is below the readiness minimum.",
            "With an AUC of 0.647 the model clears the 0.65 minimum.",
        ),
        (E, "The model's ECE is well under its 0.10 cap.", "The model's ECE is above its 0.10 cap."),
        (
            E,
            "Hamilton acknowledged the export in about 13.4 minutes (804 s).",
            "Hamilton has not yet acknowledged today's export.",
        ),
        (E, "No exports are awaiting acknowledgement.", "One export is still awaiting acknowledgement."),
        (E, "The model was exported and acknowledged by Hamilton.", "One model was registered; none was exported."),
        (F, "Nothing was exported today.", "The model was exported to Hamilton."),
        (F, "No export is awaiting acknowledgement.", "Today's export is awaiting Hamilton's acknowledgement."),
        # a level set against a target is a level, not a change
        (
            E,
            "Model passed the readiness rule: AUC 0.657 above the 0.65 minimum.",
            "Model passed the readiness rule: AUC 0.675 above the 0.65 minimum.",
        ),
    ],
)
def test_a_standing_or_hand_off_is_checked(snap: MetricsSnapshot, true: str, lie: str) -> None:
    assert ok(true, snap), true
    assert not ok(lie, snap), lie


def test_a_count_of_pending_exports_is_the_count_s_claim() -> None:
    """ "0 exports are pending acknowledgement": the number is checked (exports_pending_ack), the
    words are not a second claim; a standing of the things a count counts is no standing of
    the count."""
    pending = int(E.metrics["exports_pending_ack"].value or 0)
    assert ok(f"{pending} exports are pending acknowledgement.", E)
    assert not ok(f"{pending + 1} exports are pending acknowledgement.", E)


def test_a_standing_with_no_metric_fails_closed() -> None:
    assert not ok("It is below the readiness minimum.", F)

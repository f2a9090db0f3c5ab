"""The digest's "What the Engine learned" section, first after the headline (#12).

Its lines are the snapshot's (:mod:`huracan.analytics.learned`), each published through
the council's verifier: every number is a bound claim about the metric its sentence
names. A line the verifier would not pass is withheld, and the section says so.
"""

from __future__ import annotations

from huracan.analytics.learned import render_learned
from huracan.analytics.snapshot import MetricsSnapshot
from huracan.digest.model import Section

__all__ = ["LEARNED_KEY", "LEARNED_TITLE", "NOTHING", "learned_section", "withheld_note"]

LEARNED_KEY = "learned"
LEARNED_TITLE = "What the Engine learned"

#: Said when no line rests on enough data (no numbers: nothing to verify).
NOTHING = (
    "Nothing the Engine changed on this day rests on enough data to report: each line needs "
    "its metrics' minimum sample (metrics.yaml, min_n)."
)


def withheld_note(count: int) -> str:
    """Said under the lines when the verifier withheld some (no numbers of its own to verify)."""
    return f"{count} sentence(s) withheld: their numbers did not verify against the snapshot."


def learned_section(snapshot: MetricsSnapshot) -> Section:
    """The section of ``snapshot.date`` (always present: an empty day says why)."""
    lines, withheld = render_learned(snapshot)
    notes = list(lines) or [NOTHING]
    if withheld:
        notes.append(withheld_note(len(withheld)))
    return Section(LEARNED_KEY, LEARNED_TITLE, notes=tuple(notes), status="info")

"""Publishing model-written text: render placeholders, verify every claim, remove what fails.

This is the one door model-written (and plugin-written) text goes through to reach a
digest (issue 11): the judge's digest, the deterministic fallback and plugin sections all
call :func:`publish`. Its result has no failed claim — checked, not assumed: the cleaned
text is verified again until nothing fails — and no hole where a claim was. Flags name
what was removed without quoting a model-written number.

Example::

    >>> out = publish("AUC rose to {model_auc}. The live win rate was 60.5 %.", snapshot)  # doctest: +SKIP
    >>> out.text, [f.kind for f in out.flags]
    ('AUC rose to 0.699.', ['wrong_record'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.placeholders import PLACEHOLDER_RE, PlaceholderError, RenderedSpan, render, resolve
from huracan.council.removal import Cleaned, remove_units
from huracan.council.schema import DirectionCheck, Flag, VerifiedNumber
from huracan.council.segments import Unit
from huracan.council.verifier import VerificationReport, verify

__all__ = ["PublishedText", "RemovedUnit", "literal_pairs", "problems", "publish"]

_FLAG_KIND = {"wrong_record": "wrong_record", "unverified": "unverified_number"}


@dataclass(frozen=True)
class RemovedUnit:
    """A sentence, bullet or row publishing removed, where it was in the *rendered* text."""

    start: int
    end: int
    kind: str
    text: str
    #: one line per failed claim (as the revision loop words it)
    reasons: tuple[str, ...] = ()


@dataclass
class PublishedText:
    """A text safe to publish, what it verified, and what was removed.

    ``rendered`` is the text with its placeholders filled; ``removed`` lists every unit
    taken out of it (in its coordinates), so ``text`` is ``rendered`` without exactly
    those units (and what they left dangling: an empty heading, an intro, blank lines).
    """

    text: str
    numbers: list[VerifiedNumber] = field(default_factory=list)
    directions: list[DirectionCheck] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    rendered: str = ""
    removed: list[RemovedUnit] = field(default_factory=list)

    @property
    def removed_spans(self) -> list[tuple[int, int]]:
        return [(r.start, r.end) for r in self.removed]


def _bad_placeholders(text: str, snapshot: MetricsSnapshot) -> list[tuple[int, int]]:
    out = []
    for m in PLACEHOLDER_RE.finditer(text):
        try:
            resolve(m.group(1), snapshot)
        except PlaceholderError:
            out.append((m.start(), m.end()))
    return out


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    for a, b in sorted(spans, reverse=True):
        text = text[:a] + "[…]" + text[b:]
    return " ".join(text.split())


def _flag_for(unit: Unit, report: VerificationReport, bad_ph: list[tuple[int, int]]) -> Flag:
    text = report.text
    inside = lambda a: unit.start <= a < unit.end  # noqa: E731
    nums = [n for n in report.unverified if inside(n.start)]
    dirs = [d for d in report.wrong_directions if inside(d.start)]
    phs = [p for p in bad_ph if inside(p[0])]
    masked = _masked(unit.text(text), [(n.start - unit.start, n.end - unit.start) for n in nums]
                     + [(a - unit.start, b - unit.start) for a, b in phs])  # fmt: skip
    what = {"sentence": "a sentence", "bullet": "a bullet", "row": "a table row", "heading": "a heading"}[unit.kind]
    if nums:
        n = nums[0]
        kind = "unverified_date" if n.kind == "date" else _FLAG_KIND[n.failure or "unverified"]
        about = f" about {n.metric_id}" if n.metric_id else ""
        elsewhere = f"; the number is {n.elsewhere}" if n.failure == "wrong_record" and n.elsewhere else ""
        reason = (
            "a date the snapshot does not hold"
            if n.kind == "date"
            else f"a {n.failure.replace('_', ' ') if n.failure else 'failed'} number{about}{elsewhere}"
        )
        return Flag(kind=kind, text=masked, detail=f"removed {what}: {reason}", metric_id=n.metric_id)
    if dirs:
        d = dirs[0]
        about = ", ".join(d.metric_ids) or "no metric"
        detail = f"removed {what}: the direction word ({d.kind}) about {about} is not supported ({d.actual})"
        return Flag(
            kind="wrong_direction", text=masked, detail=detail, metric_id=d.metric_ids[0] if d.metric_ids else None
        )
    return Flag(
        kind="unknown_placeholder", text=masked, detail=f"removed {what}: a placeholder that names no snapshot value"
    )


def _dangling(cur: str, cleaned: Cleaned, failing: list[Unit], origin: list[int], rendered: str) -> list[RemovedUnit]:
    """Lines the removal took besides the failing units (an intro or heading left with
    nothing under it): listed too, so every removal is accounted for."""
    out: list[RemovedUnit] = []
    pos = 0
    for line in cur.split("\n"):
        lo, hi = pos, pos + len(line)
        pos = hi + 1
        gone = [i for i in range(lo, hi) if not cur[i].isspace() and cleaned.position(i) is None]
        gone = [i for i in gone if not any(u.start <= i < u.end for u in failing)]
        if gone:
            a, b = origin[gone[0]], origin[gone[-1]] + 1
            kind = "heading" if line.lstrip().startswith(("#", "|")) else "sentence"
            out.append(RemovedUnit(a, b, kind, rendered[a:b], ("left dangling: everything under it was removed",)))
    return out


def publish(
    text: str, snapshot: MetricsSnapshot, *, allowed_literals: set[tuple[str, str]] | None = None
) -> PublishedText:
    """Render, verify, and remove every sentence / bullet / row whose claims fail.

    The result's text may be empty (everything failed): the caller decides what to
    publish instead.
    """
    rendered = render(text, snapshot)
    cur, spans = rendered.text, list(rendered.spans)
    origin = list(range(len(cur)))  # index in cur -> index in the rendered text
    removed_numbers: list[VerifiedNumber] = []
    removed_dirs: list[DirectionCheck] = []
    flags: list[Flag] = []
    removed: list[RemovedUnit] = []
    while True:
        report = verify(cur, snapshot, spans, allowed_literals=allowed_literals)
        bad_ph = _bad_placeholders(cur, snapshot)
        failing = report.failing_units()
        failing += [u for u in report.claims.units if any(u.start <= a < u.end for a, _ in bad_ph) and u not in failing]
        if not failing:
            break
        failing.sort(key=lambda u: u.start)
        for u in failing:
            flags.append(_flag_for(u, report, bad_ph))
            a, b = origin[u.start], origin[u.end - 1] + 1
            removed.append(RemovedUnit(a, b, u.kind, rendered.text[a:b], tuple(report.problems(u))))
            removed_numbers += [
                n.model_copy(update={"action": "removed"}) for n in report.numbers if u.start <= n.start < u.end
            ]
            removed_dirs += [
                d.model_copy(update={"action": "removed"}) for d in report.directions if u.start <= d.start < u.end
            ]
        cleaned = remove_units(cur, failing, report.claims.units)
        moved: list[RenderedSpan] = []
        for s in spans:
            at = cleaned.position(s.start)
            if at is not None:
                moved.append(RenderedSpan(at, at + s.end - s.start, s.metric_id, s.which, at + s.label_end - s.start))
        kept = [0] * len(cleaned.text)
        for old in range(len(cur)):
            at = cleaned.position(old)
            if at is not None:
                kept[at] = origin[old]
        removed += _dangling(cur, cleaned, failing, origin, rendered.text)
        cur, spans, origin = cleaned.text, moved, kept
    removed.sort(key=lambda r: r.start)
    return PublishedText(
        text=cur,
        numbers=sorted(report.numbers + removed_numbers, key=lambda n: (n.action != "kept", n.start)),
        directions=report.directions + removed_dirs,
        flags=flags,
        rendered=rendered.text,
        removed=removed,
    )


def problems(text: str, snapshot: MetricsSnapshot, allowed_literals: set[tuple[str, str]] | None = None) -> list[str]:
    """What the judge must fix, one line each: unknown placeholders, then failed claims."""
    rendered = render(text, snapshot)
    lines = [f"unknown placeholder {ph}: {why}" for ph, why in rendered.errors]
    return lines + verify(rendered.text, snapshot, rendered.spans, allowed_literals=allowed_literals).problems()


def literal_pairs(text: str, snapshot: MetricsSnapshot) -> set[tuple[str, str]]:
    """(number, metric) of every literal number of a draft that verified: what a revision may keep."""
    rendered = render(text, snapshot)
    report = verify(rendered.text, snapshot, rendered.spans)
    inside = lambda n: any(s.start <= n.start < s.end for s in rendered.spans)  # noqa: E731
    return {(n.text, n.metric_id) for n in report.numbers if n.verified and n.metric_id and not inside(n)}

"""The number verifier: every number, date and direction word is a claim about the metric
its clause names, and must be true of *that* metric (issue 11; Proof-Carrying Numbers,
arXiv 2509.06902).

Pipeline: :mod:`~huracan.council.claims` finds and links the claims (through
:mod:`~huracan.council.lexicon`, :mod:`~huracan.council.numbers`,
:mod:`~huracan.council.dates`, :mod:`~huracan.council.cues`);
:mod:`~huracan.council.matching` checks each number against the fields of its metric
that its words allow; :mod:`~huracan.council.direction` checks each direction word.
A number true of some *other* metric or field is a ``wrong_record``; one true of
nothing it names, or in a clause that names no metric, is ``unverified``; a direction the
snapshot does not support is ``wrong_direction``. :mod:`~huracan.council.removal` then
removes every sentence, bullet or table row that carries a failure.

Example::

    >>> report = verify("The live win rate was 60.5 %.", snapshot)  # doctest: +SKIP
    >>> [(n.text, n.metric_id, n.failure, n.elsewhere) for n in report.numbers]
    [('60.5 %', 'live_win_rate', 'wrong_record', 'shadow_win_rate.value')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.council.claims import Claims, DirectionClaim, NumberClaim, find_claims
from huracan.council.direction import PLAIN, check_direction
from huracan.council.lexicon import lexicon_for
from huracan.council.matching import ALL_FIELDS, SnapshotIndex, claimed_fields, match_field, match_metric
from huracan.council.placeholders import FIELDS, RenderedSpan
from huracan.council.rescue import candidates, rescue, share_of
from huracan.council.schema import DirectionCheck, VerifiedNumber
from huracan.council.segments import Unit

__all__ = ["VerificationReport", "placeholder_for", "verify"]

_FIELD_OF = {which: name for name, which in reversed(list(FIELDS.items()))}
_INDEX: dict[int, tuple[MetricsSnapshot, SnapshotIndex]] = {}


def placeholder_for(metric_id: str, which: str | None = "value") -> str:
    """The placeholder that prints ``which`` of ``metric_id``: ``{auc}``, ``{auc.delta_1d}``."""
    name = _FIELD_OF.get(which or "value", "value")
    return "{" + metric_id + ("" if name == "value" else f".{name}") + "}"


def _index(snapshot: MetricsSnapshot) -> SnapshotIndex:
    hit = _INDEX.get(id(snapshot))
    if hit is None or hit[0] is not snapshot:
        if len(_INDEX) > 16:
            _INDEX.clear()
        hit = (snapshot, SnapshotIndex(snapshot))
        _INDEX[id(snapshot)] = hit
    return hit[1]


@dataclass
class VerificationReport:
    """What :func:`verify` found; ``ok`` when every claim holds."""

    text: str
    claims: Claims
    numbers: list[VerifiedNumber] = field(default_factory=list)
    directions: list[DirectionCheck] = field(default_factory=list)
    #: numbers (and dates) by the unit that carries them, for removal
    unit_of_number: list[Unit] = field(default_factory=list)
    unit_of_direction: list[Unit] = field(default_factory=list)

    @property
    def unverified(self) -> list[VerifiedNumber]:
        """Every number or date that failed (wrong record or unverified)."""
        return [n for n in self.numbers if n.failure is not None]

    @property
    def wrong_directions(self) -> list[DirectionCheck]:
        return [d for d in self.directions if d.failure is not None]

    @property
    def ok(self) -> bool:
        return not self.unverified and not self.wrong_directions

    def failing_units(self) -> list[Unit]:
        """The sentences, bullets and rows that carry a failed claim, in order."""
        bad = {id(u): u for n, u in zip(self.numbers, self.unit_of_number, strict=True) if n.failure}
        bad |= {id(u): u for d, u in zip(self.directions, self.unit_of_direction, strict=True) if d.failure}
        return sorted(bad.values(), key=lambda u: u.start)

    def problems(self, unit: Unit | None = None) -> list[str]:
        """One line per failed claim (of ``unit``, or all), worded for the model that must fix it."""
        lines = []
        for n, u in zip(self.numbers, self.unit_of_number, strict=True):
            if unit is not None and u != unit:
                continue
            if n.failure:
                lines.append(f"{n.failure}: {n.text!r} in \u201c{_excerpt(u.text(self.text))}\u201d — {n.detail}")
        for d, u in zip(self.directions, self.unit_of_direction, strict=True):
            if unit is not None and u != unit:
                continue
            if d.failure:
                lines.append(f"{d.failure}: {d.text!r} in \u201c{_excerpt(u.text(self.text))}\u201d — {d.actual}")
        return lines


def _excerpt(s: str, width: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"


def _number(
    nc: NumberClaim, snapshot: MetricsSnapshot, index: SnapshotIndex, allowed_literals: set[tuple[str, str]] | None
) -> VerifiedNumber:
    tok = nc.token
    base = {"text": tok.text, "start": tok.start, "end": tok.end, "value": tok.value, "kind": tok.kind}
    mention = nc.mention
    metric = snapshot.metrics.get(mention.metric_id) if mention else None
    if metric is None:
        where = index.whose(tok)
        hint = f"; it equals {where} — write {placeholder_for(*where.rsplit('.', 1))}" if where else ""
        return VerifiedNumber(**base, failure="unverified", elsewhere=where, detail=f"its clause names no metric{hint}")
    m = match_metric(
        tok, metric, claimed_fields(nc.roles.fields, metric), scope=nc.scope, negative_ok=nc.negative_ok,
        hint=nc.hint, magnitude=bool(mention and mention.magnitude),
    )  # fmt: skip
    span = nc.placeholder
    # A placeholder is read by its sentence's words like any number: "{auc.high}" after "The
    # AUC was" states the interval's end as the value — a wrong record, however it prints.
    said = ", ".join(sorted(nc.roles.fields)) if nc.roles.specific else "value"
    if m.field is not None:
        literal = span is None and tok.kind != "quantifier"
        if allowed_literals is not None and literal and (tok.text, metric.id) not in allowed_literals:
            return VerifiedNumber(
                **base, metric_id=metric.id, failure="unverified",
                detail=f"a revised number must be a placeholder, not a new literal: write {placeholder_for(metric.id, m.field)}",
            )  # fmt: skip
        return VerifiedNumber(**base, metric_id=metric.id, field=m.field)
    if (
        span is not None
        and _before_sibling(span.metric_id, metric)
        and nc.roles.fields <= {"baseline_1d", "baseline_7d"}
    ):
        # "moved the threshold from {gate_threshold_before.…} to {gate_threshold_set.…}": the
        # before-metric of what the clause names is its baseline, by the catalog's naming
        return VerifiedNumber(**base, metric_id=span.metric_id, field=span.which)
    other = _same_metric(nc, metric) or index.whose(tok, prefer=metric.id)
    fix = f"write {placeholder_for(metric.id, next(iter(sorted(nc.roles.fields))) if nc.roles.specific else 'value')}"
    if other is not None:
        detail = f"stated as {metric.id} ({said}) but it is {other}; {fix} or drop the claim"
        return VerifiedNumber(**base, metric_id=metric.id, failure="wrong_record", elsewhere=other, detail=detail)
    why = "rounded too coarsely to check" if m.coarse else "not a value of it in any unit"
    detail = f"stated as {metric.id} ({said}) but {why}; {fix} or drop the claim"
    return VerifiedNumber(**base, metric_id=metric.id, failure="unverified", detail=detail)


def _before_sibling(own: str, named: MetricValue) -> bool:
    """Whether ``own`` is the before-metric of ``named`` (same parts; ``feature_share_before``
    of ``feature_share``, ``gate_threshold_before`` of ``gate_threshold_set``,
    ``gate_threshold_whatif_before_bps`` of ``gate_threshold_whatif_bps``)."""
    own_fam, _, own_parts = own.partition(".")
    fam, _, parts = named.id.partition(".")
    if own_parts != parts:
        return False
    befores = {fam + "_before", fam.removesuffix("_set") + "_before", fam.removesuffix("_bps") + "_before_bps"}
    return own_fam in befores


def _same_metric(nc: NumberClaim, metric: MetricValue) -> str | None:
    """Another field of the same metric the number equals (a target stated as the value …)."""
    for which in ALL_FIELDS:
        if which in nc.roles.fields:
            continue
        if match_field(nc.token, metric, which, negative_ok=nc.negative_ok, hint=nc.hint).field:
            return f"{metric.id}.{which}"
    return None


def _scope_for(dc: DirectionClaim, metric_id: str, numbers: list[tuple[NumberClaim, VerifiedNumber]]) -> str | None:
    if dc.scope:
        return dc.scope
    for nc, vn in numbers:
        if nc.clause == dc.clause and vn.metric_id == metric_id and vn.field:
            if vn.field.endswith("_7d"):
                return "7d"
            if vn.field.endswith("_1d"):
                return "1d"
    return None


_PREVIOUS_TRAINING = re.compile(r"\b(?:previous|prior|last|earlier) (?:training|model)\b", re.I)


def _direction(
    dc: DirectionClaim,
    snapshot: MetricsSnapshot,
    numbers: list[tuple[NumberClaim, VerifiedNumber]],
    text: str,
    disclosed: frozenset[str] = frozenset(),
) -> DirectionCheck:
    w = dc.word
    base = {"text": w.text, "start": w.start, "end": w.end, "kind": w.kind, "negated": w.negated}
    if w.kind in ("ready", "readiness_check"):
        v = check_direction(w, snapshot, None, None)
        return DirectionCheck(**base, actual=v.actual, failure=None if v.ok else "wrong_direction")
    if w.kind == "vs_target" and dc.mentions and not any(snapshot.metrics[m.metric_id].targets for m in dc.mentions):
        # "3 gate-mode pairs are below their minimum target": the standing of things the count
        # counts, not of the count (a metric with no target has no standing to claim)
        return DirectionCheck(**base, actual="no target of the metric it names: not a standing claim")
    if not dc.mentions:
        return DirectionCheck(**base, actual="its clause names no metric", failure="unverified")
    ids, actual, failed = [], [], False
    for mention in dc.mentions:
        metric = snapshot.metrics[mention.metric_id]
        # "the AUC fell -0.030 against the previous training": the move is model_auc_change's
        own_change = f"{metric.id}_change"
        if own_change in snapshot.metrics and (
            _PREVIOUS_TRAINING.search(dc.unit.text(text))
            or any(
                nc.clause == dc.clause
                and own_change in (vn.metric_id, nc.placeholder.metric_id if nc.placeholder else None)
                for nc, vn in numbers
            )
        ):
            metric = snapshot.metrics[own_change]
        v = check_direction(
            w, snapshot, metric, _scope_for(dc, metric.id, numbers), mention.magnitude, metric.id in disclosed
        )
        ids.append(metric.id)
        actual.append(f"{metric.id}: {v.actual}")
        failed = failed or not v.ok
    return DirectionCheck(
        **base, metric_ids=ids, actual="; ".join(actual), failure="wrong_direction" if failed else None
    )


def verify(
    text: str,
    snapshot: MetricsSnapshot,
    spans: Sequence[RenderedSpan] = (),
    *,
    allowed_literals: set[tuple[str, str]] | None = None,
) -> VerificationReport:
    """Check every number, date and direction word of ``text`` against the metric it names.

    ``spans`` are the placeholder renderings (:func:`~huracan.council.placeholders.render`).
    ``allowed_literals`` — in a revision, the (number, metric) pairs already verified in
    the first draft; any other literal number fails: a revised number must be a placeholder.
    """
    claims = find_claims(text, snapshot, spans)
    index = _index(snapshot)
    report = VerificationReport(text=text, claims=claims)
    checked: list[tuple[NumberClaim, VerifiedNumber]] = []
    for nc in claims.numbers:
        vn = _number(nc, snapshot, index, allowed_literals)
        checked.append((nc, vn))
    if allowed_literals is None:
        lex = lexicon_for(snapshot)
        cands = {u.start: candidates(text, u, claims.mentions.get(u.start, []), claims.hits, lex) for u in claims.units}
        rescue(checked, cands, snapshot, text)
    share_of(checked, snapshot, text)
    for dc_ in claims.dates:
        tok = dc_.token
        ok = dc_.allowed is not None
        checked_date = VerifiedNumber(
            text=tok.text, start=tok.start, end=tok.end, value=float(tok.day.toordinal()) if tok.day else 0.0, kind="date",
            field=dc_.allowed, failure=None if ok else "unverified",
            detail="" if ok else f"a date the snapshot does not hold (it is of {snapshot.date.isoformat()}); drop it",
        )  # fmt: skip
        report.numbers.append(checked_date)
        report.unit_of_number.append(dc_.unit)
    for nc, vn in checked:
        report.numbers.append(vn)
        report.unit_of_number.append(nc.unit)
    order = sorted(range(len(report.numbers)), key=lambda i: report.numbers[i].start)
    report.numbers = [report.numbers[i] for i in order]
    report.unit_of_number = [report.unit_of_number[i] for i in order]
    for dc in claims.directions:
        report.directions.append(_direction(dc, snapshot, checked, text))
        report.unit_of_direction.append(dc.unit)
    # A plain movement word is true when its own sentence says the move is not significant.
    for i, (dc, d) in enumerate(zip(claims.directions, report.directions, strict=True)):
        if d.failure and d.kind in PLAIN:
            disclosed = frozenset(
                mid
                for other, od in zip(claims.directions, report.directions, strict=True)
                if other.unit is dc.unit
                and od.ok
                and (od.kind == "steady" or (od.kind == "significant" and od.negated))
                for mid in od.metric_ids
            )
            if disclosed & set(d.metric_ids):
                report.directions[i] = _direction(dc, snapshot, checked, text, disclosed)
    return report

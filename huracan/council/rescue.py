"""A second reading of a number its clause's nearest metric does not hold: is it true of
another metric *its own sentence names*, in the order the sentence names them?

The clause linker (:mod:`~huracan.council.claims`) binds each number to one mention. Real
prose often puts the right metric elsewhere in the sentence: "The Engine sent 9,633
events and Hamilton 105", "10,886 samples (5,016 historical, 5,870 shadow)", "Of the 952
signals, 31 passed every gate and 921 were blocked". Such a number is accepted when

- it is not *tightly bound* to the metric it failed ("The shadow win rate was 41.9 %" —
  the subject, a copula, the number — is a claim about the shadow win rate, whatever else
  the sentence names: a wrong record stays wrong);
- it is not a sample size stated for a rate ("50.0 % on 31 trades" — a wrong denominator);
- the sentence names a metric (a mention, or a mention re-read with one of the sentence's
  qualifier words: "Hamilton", "shadow", "runner") that holds it in a field its own words
  allow (a target stays a target, a 7-day mean stays a 7-day mean);
- and the pairing keeps the sentence's order: numbers are paired with metrics left to
  right, so a swapped pair ("shadow and live win rates were 41.9 % and 35.5 %") fails.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.claims import NumberClaim, fits
from huracan.council.cues import Roles, is_change, roles_for
from huracan.council.lexicon import Hit, Lexicon, Mention, norm
from huracan.council.matching import claimed_fields, match_metric
from huracan.council.schema import VerifiedNumber
from huracan.council.segments import Unit

__all__ = ["Candidate", "candidates", "rescue", "share_of"]

#: what may stand between a metric's name and its number for the number to be that metric's
_TIGHT_BEFORE = re.compile(
    r"^[\s,:=(|]*(?:(?:was|is|were|are|stood at|stands at|sat at|sits at|came to|came in at|reached|hit|"
    r"rose to|fell to|climbed to|dropped to|numbered|totalled|totaled|amounted to|ran at|of|at|to|now|just|only|the|its|"
    r"about|roughly|around|nearly|almost)\s*)*$",
    re.I,
)
_TIGHT_AFTER = re.compile(r"^\s*$")
_NUMBERS_NOUN = re.compile(r"\d\s*(?:%|bps)?\s+(?:[A-Za-z\-]+\s+)?$")
#: a sentence that sets two metrics against each other: a change in it may be their gap
_COMPARES = re.compile(
    r"\b(?:trail\w*|lag\w*|beat\w*|behind|ahead|than|outpac\w*|outperform\w*|underperform\w*|versus|vs\.?|"
    r"against|gap|difference|exceed\w*|short of)\b",
    re.I,
)


@dataclass(frozen=True)
class Candidate:
    """A metric the sentence names, and where (the word that names it)."""

    at: int
    mention: Mention
    #: named only by its subject ("the volatile regime"): enough for a placeholder of it,
    #: never for a literal number ("trend_strength's drift score was 1.8 %")
    by_subject: bool = False


def candidates(text: str, unit: Unit, mentions: list[Mention], hits: list[Hit], lex: Lexicon) -> list[Candidate]:
    """Every metric ``unit`` names: its clauses' mentions, and each re-read with each of the
    unit's qualifier and part words ("… and Hamilton 105": the events of Hamilton)."""
    out = [Candidate(m.start, m) for m in mentions]
    seen = {m.metric_id for m in mentions}
    for m in mentions:
        # "Most signals were blocked: 887 of 895": a name's head word names its whole
        for w in re.finditer(r"[A-Za-z&][\w&'-]*", text[m.start : m.end]):
            for fam, member in lex.phrases.get(norm(w.group(0)), ()):
                mid = lex.families[fam].members.get(()) if member is None else None
                if mid is not None and mid not in seen and w.end() - w.start() < m.end - m.start:
                    seen.add(mid)
                    at = m.start + w.start()
                    out.append(Candidate(at, Mention(at, m.start + w.end(), mid, fam, key=norm(w.group(0)))))
    for h in hits:
        if h.kind == "part" and unit.start <= h.start < unit.end:
            for mid in lex.subject_of.get(h.key, ()):
                if mid not in seen:  # "in the volatile regime …": the ranked metric it is the subject of
                    seen.add(mid)
                    fam = lex.metric_family[mid]
                    m = Mention(h.start, h.end, mid, fam, parts=lex.metric_parts[mid])
                    out.append(Candidate(h.start, m, by_subject=True))
            for m in mentions:
                r = lex.with_part(m, h)
                if r is not None and r.metric_id not in seen:
                    seen.add(r.metric_id)
                    out.append(Candidate(h.start, r))
    for qs, qe, word in lex.qualifiers(text, unit.start, unit.end):
        if any(h.start <= qs and qe <= h.end and h.end - h.start > qe - qs and h.kind != "part" for h in hits):
            continue  # "training" in "shadow training samples" is the name, not a qualifier
        for m in mentions:
            r = lex.retarget(m, word)
            if r is not None and r.metric_id not in seen:
                seen.add(r.metric_id)
                out.append(Candidate(qs, r))
    return out


_WHEN = re.compile(
    r"^\s+(?:the\s+|its\s+|a\s+)?(?:yesterday|previous|prior|last|7[- ]day|seven[- ]day|week|day before|\d+ days|"
    r"the \d+ days)",
    re.I,
)


def _sets_two_apart(sentence: str) -> bool:
    """Whether the sentence compares two things (not one thing with its own past: "moved
    -27.73 bps against the 7 days before" is a change)."""
    return any(not _WHEN.match(sentence[m.end() :]) for m in _COMPARES.finditer(sentence))


def _tight(nc: NumberClaim) -> str | None:
    """How tightly the number is bound to the metric it failed: "all" ("the shadow win rate
    was 41.9 %"), "family" ("9,633 events …": the noun fixes the metric, not its part, which
    may come later: "… and Hamilton 105"), or None."""
    m = nc.mention
    if m is None:
        return None
    if nc.requalified:
        return "all"
    c0 = nc.clause[0]
    if m.end <= nc.token.start:
        if _NUMBERS_NOUN.search(nc.blanked[: max(0, m.start - c0)]):
            return None  # "Of the 8,911 events stored, 8,894 …": the name is the first number's noun
        return "all" if _TIGHT_BEFORE.match(nc.blanked[m.end - c0 : nc.token.start - c0]) else None
    if (
        m.start >= nc.token.end
        and not m.elliptical
        and _TIGHT_AFTER.match(nc.blanked[nc.token.end - c0 : m.start - c0])
    ):
        return "family"
    return None


def _roles(nc: NumberClaim, unit: str) -> Roles:
    if nc.roles.specific or nc.context is None:
        return nc.roles
    before, after, clause, previous_day, after_raw, clause_before = nc.context
    return roles_for(nc.token, before, after, clause, unit, previous_day, after_raw, clause_before)


def _in_order(at: int, tok_start: int, placed: Iterable[tuple[int, int, str]], metric_id: str) -> bool:
    """Whether pairing the number at ``tok_start`` with the metric named at ``at`` keeps every
    other (number position, metric position) pair of the sentence in the same order."""
    for pos, anchor, mid in placed:
        if mid == metric_id or pos == tok_start:
            continue
        if (pos < tok_start and anchor > at) or (pos > tok_start and anchor < at):
            return False
    return True


def rescue(
    pairs: list[tuple[NumberClaim, VerifiedNumber]],
    candidates: dict[int, list[Candidate]],
    snapshot: MetricsSnapshot,
    text: str,
) -> None:
    """Re-read, in place, each failed literal number of ``pairs`` against the other metrics
    its sentence names (``candidates`` by the start of the sentence's unit)."""
    by_unit: dict[int, list[int]] = {}
    for i, (nc, _) in enumerate(pairs):
        by_unit.setdefault(nc.unit.start, []).append(i)
    for u0, idx in by_unit.items():
        cands = candidates.get(u0, [])
        if not cands:
            continue
        for i in idx:
            nc, vn = pairs[i]
            if vn.failure not in ("wrong_record", "unverified"):
                continue
            # a placeholder prints its own metric's number: it may only be re-read as that metric
            own = nc.placeholder.metric_id if nc.placeholder is not None else None
            if nc.token.kind == "quantifier":
                continue
            # a rate's sample size, or a number tightly bound to its metric, may still be read as
            # a part of that metric the sentence names after it ("passed 21.4 pp fewer runner
            # signals", "passed none of the 677 scalp signals")
            refine_only = ("n" in nc.roles.fields and _is_rate_sample(nc, snapshot)) or _tight(nc) == "all"
            change = nc.context is not None and is_change(nc.token, nc.context[0], nc.context[1])
            if (change or nc.token.kind in ("multiplier", "ratio")) and _sets_two_apart(nc.unit.text(text)):
                continue  # "live trailed shadow by 3.0 pp": the gap between two metrics, not either's change
            tight = _tight(nc)
            placed = [
                (pairs[j][0].token.start, anchor, pairs[j][1].metric_id or "")
                for j in idx
                if j != i
                and pairs[j][1].failure is None
                and (anchor := pairs[j][0].anchor) is not None
                and not _part_of_whole(text, pairs[j][0], nc)
            ]
            family = nc.mention.family if nc.mention is not None else None
            tried = {vn.metric_id}
            for c in sorted(cands, key=lambda c: abs(c.at - nc.token.start)):
                mid = c.mention.metric_id
                metric = snapshot.metrics.get(mid)
                if metric is None or mid in tried or (tight == "family" and c.mention.family != family):
                    continue
                if (own is not None and mid != own) or (own is None and c.by_subject):
                    continue
                if refine_only and not _refines(c.mention, nc.mention):
                    continue
                if nc.mention is not None and _refines(nc.mention, c.mention):
                    continue  # never drop a part the sentence gave it: "53.6 % of the 591 scalp signals"
                tried.add(mid)
                if not fits(nc.token, metric.unit, change):
                    continue
                roles = _roles(nc, metric.unit)
                m = match_metric(
                    nc.token, metric, claimed_fields(roles.fields, metric), scope=nc.scope, negative_ok=nc.negative_ok, hint=nc.hint,
                    magnitude=c.mention.magnitude,
                )  # fmt: skip
                if m.field is None or not _in_order(c.at, nc.token.start, placed, mid):
                    continue
                if any(pairs[j][1].metric_id == mid and pairs[j][1].field == m.field for j in idx if j != i):
                    continue  # two numbers of one sentence are not the same field of one metric
                nc.mention, nc.anchor = c.mention, c.at
                pairs[i] = (nc, vn.model_copy(update={"metric_id": mid, "field": m.field, "failure": None,
                                                      "elsewhere": None, "detail": ""}))  # fmt: skip
                break


_OF = re.compile(r"^\s*(?:%|bps)?\s*(?:out\s+)?of\s+(?:the\s+|all\s+)?$", re.I)


def _part_of_whole(text: str, a: NumberClaim, b: NumberClaim) -> bool:
    """ "887 of 895": a part and its whole, whose names need not come in their order."""
    first, second = (a, b) if a.token.start < b.token.start else (b, a)
    return bool(_OF.match(text[first.token.end : second.token.start]))


def _refines(cand: Mention, linked: Mention | None) -> bool:
    """Whether ``cand`` is ``linked``'s metric narrowed by a part it left open."""
    return (
        linked is not None
        and cand.family == linked.family
        and len(cand.parts) > len(linked.parts)
        and cand.parts[: len(linked.parts)] == linked.parts
    )


def _is_rate_sample(nc: NumberClaim, snapshot: MetricsSnapshot) -> bool:
    """A sample size stated for a rate ("50.0 % on 31 trades"): its denominator is the
    rate's own n, never another count the sentence names."""
    m = nc.mention
    metric = snapshot.metrics.get(m.metric_id) if m else None
    return metric is not None and metric.unit != "count"


_SHARE_OF = re.compile(r"^\s*(?:of|out of|among|across)\s+(?:the\s+|all\s+|its\s+|their\s+)?$", re.I)


def share_of(pairs: list[tuple[NumberClaim, VerifiedNumber]], snapshot: MetricsSnapshot, text: str) -> None:
    """ "The regime gate passed 53.6 % of the 591 scalp signals": a share stated of a sample
    is that sample's metric's share. When the sample is a narrower part of the share's metric
    (scalp of the regime gate), the share must be the part's value — else a wrong record."""
    for (a, va), (b, vb) in itertools.pairwise(pairs):
        if a.clause != b.clause or va.failure or vb.failure or vb.field != "n" or not va.metric_id or not vb.metric_id:
            continue
        if va.metric_id == vb.metric_id or not _SHARE_OF.match(text[a.token.end : b.token.start]):
            continue
        if a.mention is None or b.mention is None or not _refines(b.mention, a.mention):
            continue
        narrow = snapshot.metrics.get(vb.metric_id)
        if narrow is None:
            continue
        m = match_metric(a.token, narrow, frozenset({"value"}), negative_ok=a.negative_ok, hint=a.hint)
        i = pairs.index((a, va))
        if m.field is not None:
            pairs[i] = (a, va.model_copy(update={"metric_id": narrow.id, "field": m.field}))
        else:
            detail = f"stated as the share of {vb.metric_id}'s {vb.text} but it is {va.metric_id}.{va.field}; write {{{vb.metric_id}}} or drop the claim"
            pairs[i] = (a, va.model_copy(update={"metric_id": narrow.id, "field": None, "failure": "wrong_record",
                                                 "elsewhere": f"{va.metric_id}.{va.field}", "detail": detail}))  # fmt: skip

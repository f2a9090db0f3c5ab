"""From text to claims: every number, date and direction word, linked to the metric its
clause names (issue 11).

A number is linked to one mention of its clause (:mod:`huracan.council.lexicon`):

1. a sample size ("… on 964 predictions") to the metric before it that has an n;
2. a bare count directly before a count metric's name ("193 live trades") to that metric;
3. otherwise the nearest mention before it ("the live win rate was 56.7 %"), else the
   nearest after it ("At 56.7 %, the live win rate …");
4. a clause with no mention but a pronoun ("it", "its", "this") continues the previous
   clause's (or sentence's) last metric; a number with neither has no metric — it fails.

A placeholder's number is bound to its placeholder, but it is read like any number: in a
clause that names another metric it must be true of *that* metric ("The live win rate was
{shadow_win_rate}" fails). Direction words link to the mentions before them in their
clause ("AUC and ECE both improved" is two claims), else the next one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.cues import Roles, is_change, negative_word, roles_for, scope_of, sign_hint
from huracan.council.dates import DateToken, allowed_dates, find_dates, what_date
from huracan.council.direction import DirectionWord, find_direction_words
from huracan.council.layout import cell, column_roles, is_range, range_roles
from huracan.council.lexicon import Hit, Lexicon, Mention, lexicon_for
from huracan.council.numbers import COUNT_NOUNS, NumberToken, extract_numbers
from huracan.council.placeholders import RenderedSpan
from huracan.council.quantifiers import partitions, quantifiers, respectively
from huracan.council.readiness_words import find_readiness_words
from huracan.council.segments import Unit, clauses, units
from huracan.council.standing_words import find_standing_words

__all__ = ["Claims", "DateClaim", "DirectionClaim", "NumberClaim", "find_claims"]

_PRONOUN = re.compile(r"\b(?:it|its|it's|this|that|which|the figure|the rate|the metric|the value|the number)\b", re.I)
_JOIN = re.compile(r"^\s*(?:,|and|&|as well as|plus|or)\s*(?:the\s+|its\s+)?(?:and\s+)?$", re.I)
_DENOMINATOR = re.compile(
    r"(?:(?:%|percent|pct|share|proportion|fraction|half|third|quarter)\s+of|\b(?:on|over|across|among))\s+"
    r"(?:all\s+|the\s+|its\s+|their\s+)?(?:[\d,]+\s+)?(?:[a-z\-]+\s+)?$",
    re.I,
)
_COUNT_AFTER = re.compile(rf"^\s+(?:{COUNT_NOUNS})\b", re.I)
_AND_NEW = re.compile(r"\s(?:and|with)\s+(?:the\s+|its\s+|their\s+)?$", re.I)


@dataclass
class NumberClaim:
    """A number and the metric its clause attaches it to."""

    token: NumberToken
    unit: Unit
    clause: tuple[int, int]
    mention: Mention | None
    roles: Roles
    scope: str | None
    hint: int = 0
    negative_ok: bool = False
    placeholder: RenderedSpan | None = None
    #: the words around the number (before, after, clause, previous_day, after_raw,
    #: clause_before), to read its roles again for another metric (:mod:`.rescue`)
    context: tuple[str, str, str, bool, str, str] | None = None
    #: the clause with metric names and placeholder labels blanked out
    blanked: str = ""
    #: where the metric it is paired with is named (None: carried from elsewhere)
    anchor: int | None = None
    #: bound by a qualifier word, a "respectively" or a partition, not by nearness alone
    requalified: bool = False


@dataclass
class DateClaim:
    token: DateToken
    unit: Unit
    allowed: str | None  # what the date is to the snapshot, None: not a date it holds


@dataclass
class DirectionClaim:
    word: DirectionWord
    unit: Unit
    clause: tuple[int, int]
    mentions: list[Mention]
    scope: str | None


@dataclass
class Claims:
    """Everything a text claims, by unit."""

    units: list[Unit]
    numbers: list[NumberClaim] = field(default_factory=list)
    dates: list[DateClaim] = field(default_factory=list)
    directions: list[DirectionClaim] = field(default_factory=list)
    #: the mentions of each unit's clauses, by the unit's start (:mod:`.rescue`)
    mentions: dict[int, list[Mention]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)


def _blank(text: str, spans: Sequence[tuple[int, int]], lo: int, hi: int) -> str:
    chunk = list(text[lo:hi])
    for a, b in spans:
        for i in range(max(a, lo), min(b, hi)):
            chunk[i - lo] = " "
    return "".join(chunk)


def _breaks(text: str, unit: Unit, hits: list[Hit], claims_at: list[int]) -> list[int]:
    """Extra clause breaks: "… 76.9 % and the P&L …" starts a new claim about a new metric
    (but "AUC and ECE both improved" is one claim about two)."""
    out: list[int] = []
    for h in hits:
        if h.kind in ("family", "member") and unit.start < h.start < unit.end:
            m = _AND_NEW.search(text[max(unit.start, h.start - 12) : h.start])
            if m:
                at = max(unit.start, h.start - 12) + m.start()
                if any(max([unit.start, *out]) <= c < at for c in claims_at):
                    out.append(at)
    return out


_FILLER_COUNT = re.compile(r"^\s*(?:were|was|are|is|of them|of which)?\s*$", re.I)
_FILLER_PART = re.compile(
    r"^\s*(?:were|was|are|is)?\s*(?:for|of|in|among|on|from|across)?\s*(?:the|its|their|all)?\s*$", re.I
)
_TRAILING_Q = re.compile(r"^[\s,()]*(?:for|in|on|at|of|among|from)\s+(?:the\s+|its\s+)?([A-Za-z][\w']*)", re.I)
#: A qualifier word right before a number re-reads the metric before it: "…, p95 3.82 ms",
#: "| Signals | 1,020 | blocked 867 |", "live P&L −154.7 bps, shadow 228.7 bps".
_LEADING_Q = re.compile(
    r"(?:^|[\s,;(|])(?!(?:from|to|of|at|on|in|by|and|or|was|were|is|are|than|the|its|vs|with|for)\b)"
    r"([A-Za-z][\w']*)\s*[:=]?\s*$",
    re.I,
)
#: Units a number may carry for a metric of each unit ("%" also reads as a percent change).
_UNITS_OK = {
    "count": {"", "%"}, "fraction": {"", "%", "pp", "bps"}, "bps": {"", "bps", "%", "pp"}, "usd": {"", "$", "%"},
    "seconds": {"", "s", "ms", "min", "h", "%"}, "ms": {"", "ms", "s", "%"}, "ratio": {"", "x", "%"},
    "score": {"", "%"}, "events_per_s": {"", "%"}, "bool": set(),
}  # fmt: skip


def fits(tok: NumberToken, unit: str, change: bool) -> bool:
    """Whether a metric of ``unit`` can be written the way ``tok`` is (units disambiguate);
    a percent is a count's only as its percent change ("signals rose 3.1 %")."""
    if tok.kind in ("multiplier", "ratio", "share") or tok.unit == "x":
        return unit != "bool"
    if tok.unit == "%" and unit in ("count", "score", "ratio", "usd", "seconds", "ms", "events_per_s"):
        return change or tok.signed
    if unit == "count" and tok.kind == "number" and not change and "." in tok.text:
        return False  # "0.351 on 262 signals": a count has no decimals
    return tok.unit in _UNITS_OK.get(unit, {""})


def _link(
    tok: NumberToken,
    mentions: list[Mention],
    blanked: str,
    c0: int,
    n_roles: bool,
    own_label: tuple[int, int] | None,
    carry: Mention | None,
    unit_of: Mapping[str, str],
    change: bool = False,
) -> Mention | None:
    """The one mention a number is about (see the module's rules)."""
    usable = [m for m in mentions if not (own_label and own_label[0] <= m.start < own_label[1])]
    before = [m for m in usable if m.end <= tok.start]
    after = [m for m in usable if m.start >= tok.end]
    fitting = [m for m in usable if fits(tok, unit_of.get(m.metric_id, ""), change)]
    if n_roles and (before or carry):
        return before[-1] if before else carry
    bare = tok.unit == "" and tok.kind == "number" and "." not in tok.text
    if after:
        gap = blanked[tok.end - c0 : after[0].start - c0]
        count_like = bare and unit_of.get(after[0].metric_id) == "count"
        adjacent = (_FILLER_COUNT.match(gap) and (count_like or not before)) or (
            after[0].elliptical and _FILLER_PART.match(gap)
        )
        if adjacent and after[0] in fitting:
            return after[0]
    if after and after[0] in fitting:
        gap = blanked[tok.end - c0 : after[0].start - c0]
        article = re.search(r"\b(?:a|an)\s*$", blanked[max(0, tok.start - c0 - 4) : tok.start - c0])
        if article and not gap.strip():
            return after[0]  # "with a 41.9 % win rate": the number is the metric it modifies
        if tok.unit in ("bps", "$", "ms", "s") and re.match(r"^\s*(?:of|in)\s+(?:the\s+|its\s+)?$", gap):
            return after[0]  # "+23.0 bps of P&L": an amount of the metric after it
    for m in reversed(before):
        if m in fitting:
            return m
    for m in after:
        if m in fitting:
            return m
    return before[-1] if before else (after[0] if after else None)


def find_claims(text: str, snapshot: MetricsSnapshot, spans: Sequence[RenderedSpan] = ()) -> Claims:
    """Every number, date and direction word of ``text``, linked to the metrics they are about."""
    lex: Lexicon = lexicon_for(snapshot)
    labels = [(s.end, s.label_end) for s in spans if s.label_end > s.end]
    # a placeholder's printed label ("(winners blocked, regime gate)") names nothing for the verifier
    hits = [h for h in lex.scan(text) if not any(a <= h.start < b for a, b in labels)]
    hit_spans = [(h.start, h.end) for h in hits]
    tokens = extract_numbers(text, lex.names())
    dates = find_dates(text, snapshot.date.year)
    allowed = allowed_dates(snapshot)
    words = sorted(
        find_direction_words(text) + find_readiness_words(text) + find_standing_words(text), key=lambda w: w.start
    )
    out = Claims(units(text), hits=[h for h in hits if not any(a <= h.start < b for a, b in labels)])
    carry: Mention | None = None
    unit_of = {mid: m.unit for mid, m in snapshot.metrics.items()}
    for unit in out.units:
        unit_hits = [h for h in hits if unit.start <= h.start < unit.end]
        prev_mention: Mention | None = None
        unit_mentions: list[Mention] = []
        previous_day = any(what_date(d, allowed) == "previous_day" for d in dates if unit.start <= d.start < unit.end)
        for d in dates:
            if unit.start <= d.start < unit.end:
                out.dates.append(DateClaim(d, unit, what_date(d, allowed)))
        claims_at = [t.start for t in tokens] + [w.start for w in words]
        for c0, c1 in clauses(text, unit, _breaks(text, unit, unit_hits, claims_at)):
            c_hits = [h for h in unit_hits if c0 <= h.start < c1]
            c_toks = [t for t in tokens if c0 <= t.start < c1]
            # "… 105 live trades and won 53.3 % of them": a clause that begins "and <verb>" shares
            # its sentence's subject (Hamilton's win rate)
            subject = unit.start if c0 > unit.start and re.match(r"\s*(?:and|with)\s", text[c0:c1]) else None
            mentions = lex.resolve(
                text, (c0, c1), c_hits, [(t.start, t.end) for t in c_toks], prev_mention, subject=subject
            )
            # a placeholder's printed label names it for the reader; it is no cue for the verifier
            clause_text = _blank(text, hit_spans + labels, c0, c1)
            named = mentions
            mentions = _drop_denominators(mentions, text, c0, unit_of)
            # A clause that names no metric continues its sentence's last one ("…, but far below
            # the 0.10 maximum"); across sentences only a pronoun does ("It rests on 8 trades").
            continues = unit_mentions and carry is not None
            if not mentions and carry is not None and (continues or _PRONOUN.search(text[c0:c1])):
                mentions = [Mention(c0, c0, carry.metric_id, carry.family, carry.magnitude, elliptical=True)]
            # a placeholder's label ("(change vs the 7-day mean)") is no scope word of the sentence
            said = _blank(text, labels, c0, c1)
            scope = scope_of(said)
            bound = partitions(text, (c0, c1), c_toks, mentions, c_hits, lex, snapshot)
            each = respectively(text, (c0, c1), c_toks, mentions, c_hits, lex)
            prev_end, range_before = c0, ""
            for i, tok in enumerate(c_toks):
                span = next((s for s in spans if s.start <= tok.start and tok.end <= s.end), None)
                label = (span.end, span.label_end) if span is not None and span.label_end > span.end else None
                nxt = c_toks[i + 1].start if i + 1 < len(c_toks) else c1
                before = cell(clause_text[prev_end - c0 : tok.start - c0], before=True)
                after = cell(clause_text[tok.end - c0 : min(nxt, tok.end + 40) - c0])
                after_raw = cell(text[tok.end : min(nxt, tok.end + 40)])
                probe = roles_for(tok, before, after, said, "count", previous_day, after_raw)
                change = is_change(tok, before, after)
                mention = _link(tok, mentions, clause_text, c0, "n" in probe.fields, label, carry, unit_of, change)
                linked = mention
                if mention is not None and mention.end <= tok.start and (q := _TRAILING_Q.match(after)):
                    mention = lex.retarget(mention, q.group(1)) or mention
                elif (
                    mention is not None
                    and mention.end <= tok.start
                    and (q := re.match(r"^\s+([A-Za-z][\w']*)\b(?!\s+(?:of|than|to|from)\b)", after_raw))
                    and (r := lex.retarget(mention, q.group(1))) is not None
                ):
                    mention = r  # "Of the 1,020 signals, 153 passed and 867 blocked"
                elif mention is not None and (q := _LEADING_Q.search(cell(text[prev_end : tok.start], before=True))):
                    # the word may itself name a metric ("passed"): then it re-reads the one before it
                    earlier = [m for m in mentions if m.end <= tok.start and m.start < mention.start]
                    for m in [mention, *reversed(earlier)] if mention.end <= tok.start else []:
                        if (r := lex.retarget(m, q.group(1))) is not None:
                            mention = r
                            break
                    if mention.start >= tok.end and (r := lex.retarget(mention, q.group(1))) is not None:
                        mention = r  # "the Engine blocked 985 signals": the verb qualifies the noun after
                # a qualifier word at the number ("…, p95 3.75 ms") binds it as tightly as a name
                requalified = mention is not linked
                mention = each.get(tok.start, mention)
                if mention is None and span is not None:
                    mention = Mention(
                        span.start, span.end, span.metric_id, lex.metric_family.get(span.metric_id, span.metric_id)
                    )
                metric = snapshot.metrics.get(mention.metric_id) if mention else None
                metric_unit = metric.unit if metric else "count"
                roles = roles_for(
                    tok, before, after, said, metric_unit, previous_day, after_raw, text[prev_end : tok.start]
                )
                if (
                    metric is not None
                    and metric.unit != "count"
                    and _COUNT_AFTER.match(after_raw)
                    and not roles.specific
                ):
                    roles = Roles(frozenset({"n"}), specific=True)  # "… but that is only 6 trades"
                first = out.numbers[-1] if out.numbers and out.numbers[-1].clause == (c0, c1) else None
                if first is not None and is_range(
                    " ".join(clause_text[first.token.end - c0 : tok.start - c0].split()) or " ", first.roles
                ):
                    # "20–200 target band", "| 0.655–0.727 |": both ends are the range's, read from
                    # the words around the whole range; a range with no words is an interval or a band.
                    whole = roles_for(tok, range_before, after, said, metric_unit, previous_day, after_raw)
                    roles = range_roles(first.roles, whole)
                    first.roles = roles
                    mention = first.mention if first.mention is not None else mention
                    first.mention = mention
                if unit.kind == "row" and not roles.specific:
                    roles = column_roles(
                        text, unit, tok, roles, metric_unit, any(n.unit is unit for n in out.numbers), previous_day
                    )
                if tok.start in bound:
                    mention, roles = bound[tok.start].mention, bound[tok.start].roles
                elif (
                    "n" in roles.fields
                    and metric is not None
                    and (metric.n is None or metric.unit in ("seconds", "ms"))
                ):
                    # "trained for 67 s on 10,886 samples": a metric without a sample size; the
                    # count is the metric its noun names
                    noun = next((m for m in named if m.start >= tok.end and unit_of.get(m.metric_id) == "count"), None)
                    if noun is not None and _FILLER_COUNT.match(clause_text[tok.end - c0 : noun.start - c0]):
                        mention, roles = noun, Roles(frozenset({"value"}), specific=False)
                out.numbers.append(
                    NumberClaim(
                        tok, unit, (c0, c1), mention, roles, scope,
                        hint=sign_hint(text[max(c0, tok.start - 25) : tok.start], after),
                        negative_ok=negative_word(text[c0:c1]) or bool(mention and mention.magnitude),
                        placeholder=span,
                        context=(before, after, said, previous_day, after_raw, text[prev_end : tok.start]),
                        blanked=clause_text,
                        requalified=requalified or tok.start in each or tok.start in bound,
                        anchor=mention.start if mention is not None and mention.end > mention.start else None,
                    )
                )  # fmt: skip
                range_before = before
                prev_end = tok.end
            taken = [(t.start, t.end) for t in c_toks] + [(h.start, h.end) for h in c_hits]
            for qb in quantifiers(text, (c0, c1), mentions, c_hits, lex, snapshot, taken):
                out.numbers.append(NumberClaim(qb.token, unit, (c0, c1), qb.mention, qb.roles, scope))
            for w in words:
                # A change word inside a metric's name ("AUC gain …", "exports marked not ready")
                # is the name, not a claim; but "the model is ready" also names the yes/no
                # metric model_ready, and is the readiness claim all the same.
                inside = [h for h in hits if h.start <= w.start < h.end]
                # "failed on AUC": the criterion is a metric's name; "passed the readiness rule": a verb
                # that is also a gate word
                by_name = w.kind == "readiness_check" or (w.kind == "ready" and w.text.lower() != "ready")
                if not (c0 <= w.start < c1) or (
                    not by_name and any(not (w.kind == "ready" and _yes_no(h, snapshot)) for h in inside)
                ):
                    continue
                subjects = _subjects(w, mentions, text, carry) or _unit_subject(w, unit_mentions)
                out.directions.append(DirectionClaim(w, unit, (c0, c1), subjects, scope))
            unit_mentions += mentions
            # a placeholder's printed label names its metric for the reader, not for the verifier
            out.mentions.setdefault(unit.start, []).extend(
                m for m in named if m.end > m.start and not any(a <= m.start < b for a, b in labels)
            )
            if mentions:
                carry = mentions[-1]
                prev_mention = next((m for m in reversed(mentions) if not m.elliptical), prev_mention)
    return out


_SAMPLE_OF = re.compile(
    r"\b(?:on|over|across|among|from|of|with)\s+(?:only\s+|just\s+|the\s+|all\s+|a\s+mere\s+)?[\d,.]+\s+(?:[a-z\-]+\s+)?$",
    re.I,
)


def _drop_denominators(mentions: list[Mention], text: str, c0: int, unit_of: Mapping[str, str]) -> list[Mention]:
    """A count named as the denominator of a rate is not a subject: "40.6 % of signals",
    "the win rate on closed trades", "up 26.7 pp on only 6 samples"."""
    out = []
    for m in mentions:
        if unit_of.get(m.metric_id) == "count":
            before = text[c0 : m.start]
            rate_first = any(o.end <= m.start and unit_of.get(o.metric_id) != "count" for o in mentions)
            if _DENOMINATOR.search(before) or (rate_first and _SAMPLE_OF.search(before)):
                continue
        out.append(m)
    return out


def _yes_no(hit: Hit, snapshot: MetricsSnapshot) -> bool:
    """Whether a hit names only yes/no metrics (model_ready)."""
    lex = lexicon_for(snapshot)
    ids = [hit.metric_id] if hit.metric_id else [m for f in hit.families for m in lex.families[f].members.values()]
    return bool(ids) and all(snapshot.metrics[i].unit == "bool" for i in ids)


def _unit_subject(w: DirectionWord, unit_mentions: list[Mention]) -> list[Mention]:
    """A direction word in a clause that names no metric is about its sentence's last metric
    ("…, but the change is not significant")."""
    before = [m for m in unit_mentions if m.end <= w.start]
    return [before[-1]] if before else []


def _subjects(w: DirectionWord, mentions: list[Mention], text: str, carry: Mention | None) -> list[Mention]:
    """The metrics a direction word is about: the mention(s) before it, else the next one."""
    before = [m for m in mentions if m.end <= w.start]
    if before:
        group = [before[-1]]
        for m in reversed(before[:-1]):
            if _JOIN.match(text[m.end : group[0].start]):
                group.insert(0, m)
            else:
                break
        return group
    after = [m for m in mentions if m.start >= w.end]
    if after:
        return [after[0]]
    return [carry] if carry is not None and w.kind in ("learning",) else []

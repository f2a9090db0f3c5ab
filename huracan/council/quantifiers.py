"""Quantifiers and partitions: words and number pairs that state how a part relates to its
whole (issue 11, red-team round).

A reader takes "No runner trades were opened" as *zero runner trades*, "Every signal was
blocked" as *blocked signals = all signals*, and "952 of the 1,020 signals were blocked"
as two numbers, a part and its whole. So:

* a **zero quantifier** ("no", "none of", "nothing", "not a single", "not one") is the
  number 0 stated about the metric it quantifies — "no" the metric right after it,
  "none of" / "nothing" the next metric of its clause (none: the claim fails);
* a **total quantifier** ("all", "every", "each" as a subject, not "of all signals") is
  the whole's value stated about the part: "All 68 shadow trades were runners" says
  runner trades = shadow trades; "Every signal was blocked" says blocked = signals; a rate
  it quantifies must be 100 %. One that can't be tied to a part and its whole fails;
* a **partition** "A of (the) B <metric>" binds B to the whole and A to the part the
  clause names ("… were runners", "… were blocked", "… came from the Engine"); with no
  part named, A fails.

The part-whole pairs come from the metric families (``live_trades.scalp`` is a part of
``live_trades``) and the ``checks:`` of ``metrics.yaml`` (:mod:`~huracan.council.vocabulary`).
Each quantifier becomes an ordinary :class:`~huracan.council.numbers.NumberToken` (kind
``quantifier``), so it is matched, reported and removed like any number.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.cues import Roles
from huracan.council.lexicon import Hit, Lexicon, Mention, norm
from huracan.council.numbers import NumberToken
from huracan.council.vocabulary import checked_wholes

__all__ = ["Bound", "partitions", "quantifiers", "whole_of"]

_I = re.IGNORECASE
_ZERO = re.compile(r"(?<![\w-])(?:(?P<none>none of|nothing|not a single|not one)|(?P<no>no))(?![\w-])", _I)
_TOTAL = re.compile(r"(?<![\w-])(?:all|every|each)(?![\w-])", _I)
#: What may stand between "no" and the metric it quantifies ("no new runner trades").
_NO_GAP = re.compile(r"^\s*(?:[\w\-]+\s+){0,2}$", _I)
#: "every gate", "all modes", "each of the six gates": a claim about every part, which one
#: number cannot carry — it fails unless rewritten per part.
_DIMENSION = re.compile(
    r"^\s*(?:of\s+)?(?:the\s+|its\s+|their\s+)?(?:\w+\s+)?(?:gates?|modes?|gate[- ]mode pairs?|sources?|filters?)\b", _I
)
#: "no significant change", "no more than": not a quantity of a metric.
_NOT_QUANTITY = re.compile(r"^\s*(?:significant|longer|more than|less than|fewer than|change|sign|evidence)\b", _I)
#: Words that make "all"/"every" a determiner of something else ("of all signals").
_OBJECT = re.compile(
    r"(?:\b(?:of|on|across|over|for|in|at|to|from|by|among|with|than|through|past|under|above|below|and\s+not|"
    r"passed|cleared|survived|crossed)\s+)$",
    _I,
)
_TOTAL_GAP = re.compile(
    r"^\s*(?:of\s+)?(?:the\s+|its\s+|their\s+|today's\s+|Hamilton's\s+)?(?P<num>[\d,]+\s+)?(?:[\w-]+\s+){0,2}$", _I
)
_PARTITION = re.compile(r"^\s+(?:out\s+)?of\s+(?:the\s+|all\s+|its\s+|their\s+|today's\s+|[A-Z]\w*'s\s+)?$")
_EXACT = 0.0


@dataclass(frozen=True)
class Bound:
    """A number bound by grammar: the metric it is about (None: nothing it can be checked
    against — it fails) and the fields it may be."""

    token: NumberToken
    mention: Mention | None
    roles: Roles


_VALUE = Roles(frozenset({"value"}), specific=False)


def whole_of(metric_id: str, lex: Lexicon, snapshot: MetricsSnapshot) -> str | None:
    """The metric ``metric_id`` is a part of: its family's total, else its ``checks:`` total."""
    if lex.metric_parts.get(metric_id):
        total = lex.families[lex.metric_family[metric_id]].members.get(())
        if total is not None:
            return total
    whole = checked_wholes().get(metric_id)
    return whole if whole in snapshot.metrics else None


def _member(lex: Lexicon, mention: Mention, hit: Hit) -> str | None:
    """``mention``'s family member with ``hit``'s part word in its slot."""
    fam = lex.families[mention.family]
    for k, segs in enumerate(fam.slots):
        seg = next(iter(hit.segments & segs), None)
        if seg is not None:
            slots: list[str | None] = [*mention.parts, *([None] * (len(fam.slots) - len(mention.parts)))]
            slots[k] = seg
            return fam.member(slots) or fam.member(slots[: k + 1])
    return None


def _as(mention: Mention, metric_id: str, lex: Lexicon) -> Mention:
    return Mention(mention.start, mention.end, metric_id, lex.metric_family[metric_id], key=mention.key,
                   parts=lex.metric_parts[metric_id])  # fmt: skip


def _part_named(
    lex: Lexicon, whole: Mention, mentions: list[Mention], hits: list[Hit], lo: int, hi: int
) -> Mention | None:
    """The part of ``whole`` a clause names besides it ("… were runners", "… were blocked")."""
    for h in hits:
        if h.kind == "part" and lo <= h.start < hi and not (whole.start <= h.start < whole.end):
            mid = _member(lex, whole, h)
            if mid is not None and mid != whole.metric_id:
                return _as(whole, mid, lex)
    others = [m for m in mentions if m.metric_id != whole.metric_id and lo <= m.start < hi and m.start >= whole.end]
    return others[0] if others else None


_ARTICLE = r"(?:a\s+|an\s+|any\s+|its\s+|their\s+|the\s+)?"
#: "No signal was left without a gate decision": the quantifier is about the *complement*.
_WITHOUT = re.compile(
    rf"^\s+(?:(?:was|were|is|are|got|been)\s+)*(?:left\s+|still\s+)?(?:without|with no|lacking|missing)\s+{_ARTICLE}"
    r"(?P<y>[A-Za-z][\w\s\-]*?)\s*(?=[.,;:)]|$)",
    _I,
)
#: "Every signal received a gate decision": every X has Y = no X without Y.
_HAS = re.compile(
    rf"^\s+(?:(?:was|were)\s+)?(?:received|got|had|has|have|carried|was given|were given|came with)\s+{_ARTICLE}"
    r"(?P<y>[A-Za-z][\w\s\-]*?)\s*(?=[.,;:)]|$)",
    _I,
)


def _complement(text: str, x: Mention, pattern: re.Pattern[str], lex: Lexicon, c1: int) -> Mention | None:
    """The metric "X without Y" when the words after X are "… without Y" (or "… received Y")."""
    named = text[x.start : x.end]
    for cut in [m.end() for m in re.finditer(r"[\w&']+", named)]:  # "signal received" may itself be a phrase
        m = pattern.match(text[x.start + cut : c1])
        if m is None:
            continue
        for joint in ("without", "with no"):
            owners = lex.phrases.get(norm(f"{named[:cut]} {joint} {m.group('y')}"))
            fam = next((f for f, mem in sorted(owners or ()) if mem is None), None)
            mid = lex.families[fam].members.get(()) if fam else None
            if mid is not None:
                return _as(x, mid, lex)
    return None


def _token(text: str, start: int, end: int, value: float, unit: str = "", tol: float = _EXACT) -> NumberToken:
    return NumberToken(text[start:end], start, end, value, tol, False, unit, "quantifier")


def _total_claim(
    text: str, start: int, end: int, x: Mention, part: Mention | None, lex: Lexicon, snapshot: MetricsSnapshot
) -> Bound:
    """ "every X …": the part equals the whole (a rate: 100 %)."""
    tok0 = _token(text, start, end, 0.0)
    if part is None:
        whole = whole_of(x.metric_id, lex, snapshot)
        if whole is None:
            return Bound(tok0, None, _VALUE)
        part, x = x, _as(x, whole, lex)
    metric, total = snapshot.metrics[part.metric_id], snapshot.metrics[x.metric_id]
    if metric.unit == "fraction":
        return Bound(_token(text, start, end, 100.0, "%", 0.05), part, _VALUE)
    if metric.unit != "count" or total.unit != "count" or total.value is None:
        return Bound(tok0, None, _VALUE)
    return Bound(_token(text, start, end, float(total.value), "", 0.5), part, _VALUE)


def quantifiers(
    text: str, clause: tuple[int, int], mentions: list[Mention], hits: list[Hit], lex: Lexicon,
    snapshot: MetricsSnapshot, taken: list[tuple[int, int]],
) -> list[Bound]:  # fmt: skip
    """The quantifier claims of one clause (``taken``: spans of its other numbers and hits)."""
    c0, c1 = clause
    out: list[Bound] = []
    inside = lambda a: any(s <= a < e for s, e in taken)  # noqa: E731
    for m in _ZERO.finditer(text, c0, c1):
        if inside(m.start()):
            continue
        after = [x for x in mentions if x.start >= m.end()]
        if m.group("no"):
            gap = text[m.end() : after[0].start] if after else ""
            if not after or not _NO_GAP.match(gap) or _NOT_QUANTITY.match(text[m.end() : c1]):
                continue
        x = after[0] if after else None
        if x is not None:
            x = _complement(text, x, _WITHOUT, lex, c1) or x
            rates = [r for r in mentions if snapshot.metrics[r.metric_id].unit == "fraction"]
            if snapshot.metrics[x.metric_id].unit == "count" and rates and x.start > rates[0].start:
                x = rates[0]  # "the gate passed none of the scalp signals": its pass rate is 0
        out.append(Bound(_token(text, m.start(), m.end(), 0.0), x, _VALUE))
    totals = [(h.start, h.end) for h in hits if h.kind == "total"]
    for m in _TOTAL.finditer(text, c0, c1):
        in_total = any(s <= m.start() < e for s, e in totals)
        if (inside(m.start()) and not in_total) or _OBJECT.search(text[max(c0, m.start() - 12) : m.start()]):
            continue
        if in_total or _DIMENSION.match(text[m.end() : c1]):
            out.append(Bound(_token(text, m.start(), m.end(), 0.0), None, _VALUE))  # "every gate …": per part
            continue
        after = [x for x in mentions if x.start >= m.end() and not x.elliptical]
        tg = _TOTAL_GAP.match(text[m.end() : after[0].start]) if after else None
        if tg is None:
            continue
        x = after[0]
        if (none := _complement(text, x, _HAS, lex, c1)) is not None:
            out.append(Bound(_token(text, m.start(), m.end(), 0.0), none, _VALUE))  # every X has Y: none without
            continue
        part = _part_named(lex, x, mentions, hits, x.end, c1)
        if part is None and tg.group("num") and whole_of(x.metric_id, lex, snapshot) is None:
            continue  # "all 153 shadow trades closed": the number states it, and is checked itself
        out.append(_total_claim(text, m.start(), m.end(), x, part, lex, snapshot))
    return out


def partitions(
    text: str, clause: tuple[int, int], tokens: list[NumberToken], mentions: list[Mention], hits: list[Hit],
    lex: Lexicon, snapshot: MetricsSnapshot,
) -> dict[int, Bound]:  # fmt: skip
    """ "A of the B <metric> …": B bound to the whole, A to the part; keyed by token start."""
    _, c1 = clause
    out: dict[int, Bound] = {}
    for a, b in itertools.pairwise(tokens):
        bare = all(t.unit == "" and t.kind == "number" and not t.signed for t in (a, b))
        if not bare or not _PARTITION.match(text[a.end : b.start]):
            continue
        w = next((m for m in mentions if m.start >= b.end), None)
        if w is None or text[b.end : w.start].strip():
            continue
        whole_id = whole_of(w.metric_id, lex, snapshot)
        part = _part_named(lex, w, mentions, hits, w.end, c1)
        if part is None and whole_id is not None:
            part, w = w, _as(w, whole_id, lex)  # "952 of the 1,020 signals were blocked"
        out[b.start] = Bound(b, w, _VALUE)
        out[a.start] = Bound(a, part, _VALUE)
    return out


_RESPECTIVELY = re.compile(r"\brespectively\b", _I)
_ELIDED = re.compile(r"([A-Za-z][\w-]*)\s*(?:,\s*and|,|and|&)\s+$", _I)


def _subject_parts(text: str, lex: Lexicon, hits: list[Hit], lo: int, first: int) -> list[Hit]:
    """The part words of a coordinated subject, an elided head restored ("the confidence,
    cost and regime gates" → confidence gate, cost gate, regime gate; the restored reading
    wins over a shorter one of the same word, such as a feature named "confidence")."""
    out: list[Hit] = []
    for h in hits:
        if h.kind != "part" or not (lo <= h.start and h.end <= first):
            continue
        words = text[h.start : h.end].split()
        if len(words) > 1:
            head, end = words[-1], h.start
            restored: list[Hit] = []
            while (m := _ELIDED.search(text[lo:end])) is not None:
                segs = lex.part_words.get(norm(f"{m.group(1)} {head}"))
                if not segs:
                    break
                at = lo + m.start(1)
                restored.insert(0, Hit(at, at + len(m.group(1)), "part", norm(m.group(1)), segments=frozenset(segs)))
                end = at
            out = [o for o in out if not any(r.start <= o.start < r.end for r in restored)] + restored
        out.append(h)
    return sorted(out, key=lambda o: o.start)


def respectively(
    text: str, clause: tuple[int, int], tokens: list[NumberToken], mentions: list[Mention], hits: list[Hit],
    lex: Lexicon,
) -> dict[int, Mention]:  # fmt: skip
    """ "Scalp and runner win rates were 59.3 % and 40.0 %, respectively": the i-th number is
    about the i-th subject (a part of the family, or a metric of the list)."""
    c0, c1 = clause
    word = _RESPECTIVELY.search(text, c0, c1)
    if not tokens or not word:
        return {}
    listed = [t for t in tokens if t.start < word.start()]
    if len(listed) >= 2:
        tokens = listed  # "… 34.2 % and 41.3 %, respectively, of 225 signals": 225 is no item
    first = tokens[0].start
    subjects = [m for m in mentions if m.end <= first and not m.elliptical]
    parts = _subject_parts(text, lex, hits, c0, first)
    family = next((m for m in mentions if not m.elliptical), None)
    targets: list[Mention] = []
    after = [h for h in hits if h.kind == "part" and h.start >= tokens[-1].end and h.end <= c1]
    if len(parts) != len(tokens) and len(after) == len(tokens):
        parts = after  # "… passed 45.1 % and 45.2 % of runner and scalp signals, respectively"
    quals = _qualified_subjects(text, lex, family, c0, first) if family is not None else []
    if len(parts) != len(tokens) and family is not None:
        # "Scalp pass rates at the confidence, cost and volume gates": the list is the parts of one slot
        for segs in lex.families[family.family].slots:
            same = [h for h in parts if h.segments & segs]
            if len(same) == len(tokens):
                parts = same
                break
    if len(parts) == len(tokens) and family is not None:
        for h in parts:
            mid = _member(lex, family, h)
            if mid is None:
                return {}
            targets.append(_as(family, mid, lex))
    elif len(subjects) == len(tokens):
        targets = subjects
    elif len(quals) == len(tokens):
        targets = quals  # "Shadow and live win rates were 50.0 % and 62.5 %, respectively"
    else:
        return {}
    return {t.start: m for t, m in zip(tokens, targets, strict=True)}


def _qualified_subjects(text: str, lex: Lexicon, family: Mention, lo: int, first: int) -> list[Mention]:
    """A subject coordinated by qualifier words before one name ("shadow and live win
    rates"): the name re-read with each qualifier in turn."""
    out: list[Mention] = []
    for qs, _, word in lex.qualifiers(text, lo, first):
        if family.start <= qs < family.end:
            out.append(family)
        elif (r := lex.retarget(family, word)) is not None:
            out.append(r)
    return out

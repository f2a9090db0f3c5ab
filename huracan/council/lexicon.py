"""How a text names metrics: ids, names, synonyms, part words and qualifiers.

Built from a snapshot (each :class:`~huracan.analytics.snapshot.MetricValue` carries the
synonyms and part words of ``metrics.yaml`` / its plugin's ``MetricSpec``), a
:class:`Lexicon` finds the words that name metrics (:meth:`Lexicon.scan`) and resolves a
clause's words to metric ids (:meth:`Lexicon.resolve`):

* a *family* is a metric without its parts (``shadow_win_rate``); its phrases are its
  id, its name and its synonyms ("win rate", "hit rate");
* *part words* pick a member: "runner win rate" → ``shadow_win_rate.runner``, "the cost
  gate passed 50.6 %" → ``gate_pass_rate.cost_gate``. Each family takes, per part slot
  (gate, mode, source), the nearest part word of its clause; "overall" / "in total" pick
  the total. A part word no family took refers back to the sentence's last family
  ("win rate 60.5 %, runners 76.9 %");
* *qualifiers* pick a sibling family: a word ``q`` before a phrase ``p`` where "q p" is
  another family's synonym ("live" + "win rate" = ``live_win_rate``), with no number or
  other metric between them ("Hamilton's live trades had a win rate of …"), or after it
  through a preposition ("the win rate of live trades").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.parts import inner_parts, known_parts, parts_of_totals, trailing_parts
from huracan.council.vocabulary import catalog_part_words, catalog_synonyms

__all__ = ["TOTAL", "Hit", "Lexicon", "Mention", "lexicon_for", "norm"]

#: A part slot filled by "overall", "in total", "combined" …: the total, not a part.
TOTAL = "*"
_TOTAL_WORDS = (
    "overall", "in total", "total", "combined", "aggregate", "all modes", "across modes", "across all modes",
    "all gates", "across gates", "across all gates", "all sources", "every mode", "both modes",
)  # fmt: skip
_OPENS = re.compile(r"^\W*(?:(?:for|among|in|on|across|of)\s+)?(?:the\s+)?$", re.I)
_LOSS_WORDS = ("loss", "losses", "drawdown", "shortfall", "lost")
_BACK_LINK = re.compile(
    r"^\W*(?:\w+\W+){0,1}?(?:of|on|for|in|across|from|among|by)\W+(?:the\W+|its\W+|their\W+)?$", re.I
)


_SUBJECT_START = re.compile(r"^[\W_]*(?:(?:the|a|an|today|on \w+)\W+)?$", re.I)
_NOT_QUALIFIERS = frozenset(
    {"from", "to", "of", "at", "on", "in", "by", "and", "or", "with", "for", "than", "the", "a", "an", "its", "vs"}
    | {"their", "maximum", "minimum", "max", "min", "target", "ideal", "goal", "floor", "cap", "ceiling", "limit"}
)
_FUNCTION_WORDS = frozenset({"of", "on", "in", "for", "at", "to", "from", "by", "with", "the", "a", "an", "and", "or"})
_AUX = {"was", "were", "is", "are", "got", "been", "be", "being"}
_SEP = r"(?:[\s\-]+(?:was|were|is|are|got|been|being)(?=[\s\-]))?[\s\-]+"


def _singular(w: str) -> str:
    w = w.removesuffix("'s").removesuffix("'")
    if len(w) > 3 and w.endswith("es") and w[-3] in "sxh":
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def norm(s: str) -> str:
    """A phrase as the lexicon keys it: lower case, singular words, no "was"/"were", one space."""
    words = [w for w in re.split(r"[\s\-]+", s.lower().replace("’", "'").strip()) if w]
    return " ".join(_singular(w) for i, w in enumerate(words) if i == 0 or w not in _AUX)


def _word(w: str) -> str:
    if not w[-1:].isalpha():
        return re.escape(w)
    base = w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
    return re.escape(base) + r"(?:s|es)?(?:'s|’s|')?"


def _pattern(phrase: str) -> str:
    return _SEP.join(_word(w) for w in re.split(r"[\s\-]+", phrase.strip()) if w)


#: words that make a name the live book's (Hamilton's), not the shadow book's
_LIVE_WORDS = frozenset({"live", "hamilton", "real"})
#: the metric a gate's bare name stands for
BARE_GATE_FAMILY = "gate_pass_rate"
_OF_COUNT = re.compile(
    r"\b(?:of|on|over|out of|across|among)\s+(?:the\s+|all\s+)?(?:[\d,]+\s+)?(?:[a-z\-]+\s+)?$", re.I
)
#: words that name some metric the lexicon does not know
_METRICISH = re.compile(
    r"\b(?:ratio|score|index|rate|accuracy|precision|recall|factor|coefficient|efficiency|quality|drift|skew|"
    r"sharpe|sortino|volatility|correlation|hit|yield|utili[sz]ation|share|p&l|pnl|return|latency)\b",
    re.I,
)


def _blank_spans(text: str, lo: int, hi: int, hits: list[Hit]) -> str:
    chunk = list(text[lo:hi])
    for h in hits:
        for i in range(max(h.start, lo), min(h.end, hi)):
            chunk[i - lo] = " "
    return "".join(chunk)


@dataclass
class Family:
    """A metric without its parts and the members the snapshot has."""

    id: str
    members: dict[tuple[str, ...], str] = field(default_factory=dict)
    slots: list[set[str]] = field(default_factory=list)

    def member(self, filled: list[str | None]) -> str | None:
        parts: list[str] = []
        for seg in filled:
            if seg is None or seg == TOTAL:
                break
            parts.append(seg)
        return self.members.get(tuple(parts))


@dataclass(frozen=True)
class Hit:
    """A word or phrase of the text that names a family, a member, a part or the total."""

    start: int
    end: int
    kind: str  # "family" | "member" | "part" | "total"
    key: str
    families: frozenset[str] = frozenset()
    metric_id: str | None = None
    segments: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Mention:
    """A resolved mention: the metric a span of the text names."""

    start: int
    end: int
    metric_id: str
    family: str
    #: the phrase speaks of a loss or a gap: "losses doubled" is about the magnitude
    magnitude: bool = False
    #: a part word that refers back to the sentence's family ("…, runners 76.9 %")
    elliptical: bool = False
    #: the phrase that named it (its lexicon key) and the member's parts
    key: str = ""
    parts: tuple[str, ...] = ()


class Lexicon:
    """The words that name the metrics of one snapshot."""

    def __init__(self, snapshot: MetricsSnapshot):
        self.families: dict[str, Family] = {}
        self.metric_family: dict[str, str] = {}
        self.metric_parts: dict[str, tuple[str, ...]] = {}
        #: the ranked metrics each subject word names ("funding_rate": feature_share.top1 …)
        self.subject_of: dict[str, list[str]] = {}
        self.unit_of: dict[str, str] = {mid: m.unit for mid, m in snapshot.metrics.items()}
        phrases: dict[str, set[tuple[str, str | None]]] = {}
        part_words: dict[str, set[str]] = {}
        known = known_parts() | parts_of_totals(snapshot.metrics)
        shipped, shipped_parts = catalog_synonyms(), catalog_part_words()
        for mid, m in snapshot.metrics.items():
            parts = list(m.parts) if m.parts else trailing_parts(mid, known)
            fam_id = mid[: len(mid) - len(".".join(parts)) - 1] if parts else mid
            fam = self.families.setdefault(fam_id, Family(fam_id))
            fam.members[tuple(parts)] = mid
            for i, seg in enumerate(parts):
                while len(fam.slots) <= i:
                    fam.slots.append(set())
                fam.slots[i].add(seg)
                # the day's subject names the last part: "is_runner's share of importance" is
                # feature_share.top2 on a day is_runner made the second-largest move
                subject = (m.subject, m.subject.replace("_", " ")) if m.subject and i == len(parts) - 1 else ()
                for w in subject:
                    self.subject_of.setdefault(norm(w), []).append(mid)
                for w in (seg, seg.replace("_", " "), *m.parts.get(seg, ()), *shipped_parts.get(seg, ()), *subject):
                    part_words.setdefault(norm(w), set()).add(seg)
            self.metric_family[mid] = fam_id
            self.metric_parts[mid] = tuple(parts)
            base = re.sub(r"\s*\([^)]*\)\s*$", "", m.name) if parts else m.name
            for p in (fam_id, fam_id.replace("_", " "), base, *m.synonyms, *shipped.get(fam_id, ())):
                phrases.setdefault(norm(p), set()).add((fam_id, None))
            if parts:
                for p in (mid, m.name):
                    phrases.setdefault(norm(p), set()).add((fam_id, mid))
        inner_parts(phrases, self.families, part_words)
        self.phrases = phrases
        self._names = tuple(phrases)
        self.part_words = part_words
        # Qualifiers are family-wide: "live P&L" names live_pnl_bps and "P&L" names the shadow
        # P&L, so "live" turns any shadow P&L phrase ("lost") into the live one.
        fam_q: dict[str, dict[str, set[str]]] = {}
        for key, owners in phrases.items():
            first, _, rest = key.partition(" ")
            if rest in phrases:
                q = first.removesuffix("'s")
                for base, mem in phrases[rest]:
                    if mem is None:
                        targets = {f for f, m2 in owners if m2 is None}
                        fam_q.setdefault(base, {}).setdefault(q, set()).update(targets)
        self.prefix: dict[str, dict[str, set[str]]] = {}
        for key, owners in phrases.items():
            for base, mem in owners:
                if mem is None:
                    for q, targets in fam_q.get(base, {}).items():
                        self.prefix.setdefault(key, {}).setdefault(q, set()).update(targets)
        everything = [(p, "phrase") for p in phrases] + [(w, "part") for w in part_words if w not in phrases]
        everything += [(norm(w), "total") for w in _TOTAL_WORDS if norm(w) not in phrases and norm(w) not in part_words]
        everything.sort(key=lambda pk: -len(pk[0]))
        self._kinds = {p: k for p, k in everything}
        self._all_prefix_families = {
            k: frozenset(f for fs in by_q.values() for f in fs) for k, by_q in self.prefix.items()
        }
        alternation = "|".join(_pattern(p) for p, _ in everything)
        self._regex = re.compile(rf"(?<![\w&]){'(?:' + alternation + ')'}(?![\w&])", re.IGNORECASE)
        qwords = sorted({q for by_q in self.prefix.values() for q in by_q}, key=len, reverse=True)
        self._qregex = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, qwords)) + r")(?:'s|’s)?(?![\w])", re.I)

    def names(self) -> tuple[str, ...]:
        """Every phrase that names a metric (for the extractor's digits-in-names policy)."""
        return self._names

    def _lookup(self, matched: str) -> tuple[str, str] | None:
        key = norm(matched)
        return (key, self._kinds[key]) if key in self._kinds else None

    def scan(self, text: str) -> list[Hit]:
        """Every word or phrase of ``text`` that names a metric, a part or the total, in order."""
        hits: list[Hit] = []
        for m in self._regex.finditer(text):
            found = self._lookup(m.group(0))
            if found is None:
                continue
            key, kind = found
            if kind == "phrase":
                owners = self.phrases[key]
                members = {mem for _, mem in owners if mem is not None}
                if len(members) == 1 and len(owners) == 1:
                    ((fam, mem),) = owners
                    hits.append(Hit(m.start(), m.end(), "member", key, frozenset({fam}), metric_id=mem))
                    continue
                fams = frozenset(f for f, mem in owners if mem is None)
                hits.append(
                    Hit(m.start(), m.end(), "family", key, fams, segments=frozenset(self.part_words.get(key, ())))
                )
            elif kind == "part":
                hits.append(Hit(m.start(), m.end(), "part", key, segments=frozenset(self.part_words[key])))
            else:
                hits.append(Hit(m.start(), m.end(), "total", key))
        return hits

    def qualifiers(self, text: str, start: int, end: int) -> list[tuple[int, int, str]]:
        """(start, end, word) of every qualifier word in ``text[start:end]``."""
        return [
            (start + m.start(), start + m.end(), m.group(1).lower()) for m in self._qregex.finditer(text[start:end])
        ]

    def resolve(
        self,
        text: str,
        clause: tuple[int, int],
        hits: list[Hit],
        numbers: Iterable[tuple[int, int]] = (),
        previous: Mention | None = None,
        subject: int | None = None,
    ) -> list[Mention]:
        """The mentions of one clause: families qualified, parts attached, ellipses resolved.

        ``hits`` are the clause's hits; ``numbers`` the spans of its numbers (a number
        ends a qualifier's reach); ``previous`` the sentence's last mention before this
        clause (a part word with no family of its own refers back to it); ``subject`` where
        the sentence whose subject this clause shares begins.
        """
        c0, c1 = clause
        nums = list(numbers)
        quals = self.qualifiers(text, c0, c1)
        if subject is not None:
            lead = [q for q in self.qualifiers(text, subject, c0) if _SUBJECT_START.match(text[subject : q[0]])]
            quals = lead + quals
            c0 = subject
        fam_hits = [h for h in hits if h.kind in ("family", "member")]
        slot_hits = [h for h in hits if h.kind in ("part", "total")]
        used: set[int] = set()
        out: list[Mention] = []
        for h in fam_hits:
            if h.kind == "member" and h.metric_id is not None:
                fam_id = next(iter(h.families))
                out.append(Mention(h.start, h.end, h.metric_id, fam_id, _is_loss(h.key), key=h.key,
                                   parts=self.metric_parts[h.metric_id]))  # fmt: skip
                continue
            families = self._qualified(text, h, quals, fam_hits, nums, c0)
            if self._live_without_live(text, h, families, c0):
                continue  # "Hamilton's 30-day Sharpe": no such metric (only the shadow book has one)
            # A part word may also pick a sibling family: "P&L of what the cost gate blocked"
            # is the blocked-signal P&L (the only P&L with gates).
            siblings = self._all_prefix_families.get(h.key, frozenset()) - families
            best: tuple[tuple[int, int, int], str, str, list[int]] | None = None
            for fid in sorted(families | siblings):
                fam = self.families[fid]
                filled, took = self._fill(fam, h, slot_hits, nums, text, c0)
                mid = fam.member(filled)
                if mid is None:
                    continue
                score = sum(1 for s in filled if s not in (None, TOTAL))
                rank = (score, int(fid in families), -len(fam.slots))
                if fid in siblings and score == 0:
                    continue
                if best is None or rank > best[0]:
                    best = (rank, fid, mid, took)
            if best is None:
                best = self._subject_part(families, h, slot_hits, text, c0, previous)
            if best is None:
                continue
            _, fid, mid, took = best
            used.update(took)
            out.append(Mention(h.start, h.end, mid, fid, _is_loss(h.key), key=h.key, parts=self.metric_parts[mid]))
        for h in slot_hits:
            if id(h) in used or h.kind != "part":
                continue
            ref = next((m for m in reversed(out) if m.end <= h.start and not m.elliptical and self._takes(m, h)), None)
            if ref is None and previous is not None and self._takes(previous, h):
                ref = previous
            # a gate named beside only the counts it is a share of ("Meta-label (scalp): 33.0 % of
            # 591 signals") is still bare; beside any other metric word, or an unknown one
            # ("signal-to-noise ratio at the regime gate"), it is not
            named = any(not (self._counts(f) and _OF_COUNT.search(text[c0 : f.start])) for f in fam_hits)
            bare = not named and not _METRICISH.search(_blank_spans(text, c0, clause[1], hits))
            m = self.with_part(ref, h) if ref is not None else self._bare_part(h) if bare else None
            if m is not None:
                out.append(m)
        return sorted(out, key=lambda m: m.start)

    def _live_without_live(self, text: str, h: Hit, families: frozenset[str], c0: int) -> bool:
        """Whether a live word right before a name asks for a live metric the name has not."""
        adj = re.search(r"([A-Za-z]+)('s|’s)?\s+$", text[max(c0, h.start - 16) : h.start])
        if adj is None or adj.group(1).lower() not in _LIVE_WORDS:
            return False
        if adj.group(1).lower() == "hamilton" and not adj.group(2):
            return False  # "Hamilton acknowledged the export …": the subject of a verb, not a qualifier
        word = norm(adj.group(1))
        takes_part = any(word in self.part_words and self.part_words[word] & segs
                         for f in families for segs in self.families[f].slots)  # fmt: skip
        return not takes_part and not any(f.startswith("live") for f in families)

    def _counts(self, h: Hit) -> bool:
        """Whether every metric ``h`` may name is a count (signals, trades)."""
        fams = [self.families[f] for f in h.families] if h.metric_id is None else []
        ids = [h.metric_id] if h.metric_id else [mid for fam in fams for mid in fam.members.values()]
        return bool(ids) and all(self.unit_of.get(i) == "count" for i in ids)

    def _bare_part(self, h: Hit) -> Mention | None:
        """A gate named with no metric ("| Cost gate | 50.7 % |", "Spread gate: +2.6 pp vs
        yesterday") speaks of its pass rate, the one number a desk quotes for a gate."""
        fam = self.families.get(BARE_GATE_FAMILY)
        if fam is None or not fam.slots or not (h.segments & fam.slots[0]):
            return None
        mid = fam.member([next(iter(h.segments & fam.slots[0]))])
        if mid is None:
            return None
        return Mention(h.start, h.end, mid, fam.id, key=norm(BARE_GATE_FAMILY), parts=self.metric_parts[mid])

    def with_part(self, ref: Mention, h: Hit) -> Mention | None:
        """``ref``'s family with ``h``'s part word in its slot ("… and Hamilton 105": the
        Hamilton member of the events named before), placed at the part word."""
        if not self._takes(ref, h):
            return None
        ref_fam = self.families[ref.family]
        slot = next(k for k, segs in enumerate(ref_fam.slots) if segs & h.segments)
        slots: list[str | None] = [*ref.parts, *([None] * (len(ref_fam.slots) - len(ref.parts)))]
        slots[slot] = next(iter(h.segments & ref_fam.slots[slot]))
        mid = ref_fam.member(slots) or ref_fam.member(slots[: slot + 1])
        if mid is None:
            return None
        return Mention(h.start, h.end, mid, ref.family, ref.magnitude, True, ref.key, self.metric_parts[mid])

    def _takes(self, mention: Mention, part: Hit) -> bool:
        """Whether ``mention``'s family has a slot for ``part``'s word."""
        return any(segs & part.segments for segs in self.families[mention.family].slots)

    def retarget(self, mention: Mention, qualifier: str) -> Mention | None:
        """``mention`` re-read with a qualifier that follows it ("… for the shadow book")."""
        q = qualifier.lower().removesuffix("'s")
        if q in _NOT_QUALIFIERS:
            return None  # "78 from 156", "0.10 maximum": a preposition or a target word, not "shadow"/"p95"
        base = mention.key.partition(" ")[2]
        owners = self.prefix.get(mention.key, {}).get(q) or self.prefix.get(base, {}).get(q)
        if not owners or mention.family in owners:
            return None
        for fid in sorted(owners):
            mid = self.families[fid].members.get(mention.parts) or self.families[fid].members.get(())
            if mid is not None:
                return Mention(mention.start, mention.end, mid, fid, mention.magnitude, mention.elliptical,
                               mention.key, self.metric_parts[mid])  # fmt: skip
        return None

    def _qualified(
        self,
        text: str,
        h: Hit,
        quals: list[tuple[int, int, str]],
        fam_hits: list[Hit],
        nums: list[tuple[int, int]],
        c0: int = 0,
    ) -> frozenset[str]:
        by_q = self.prefix.get(h.key)
        if not by_q or h.key.partition(" ")[0].removesuffix("'s") in by_q:
            return h.families  # "shadow win rate" carries its own qualifier
        best: tuple[int, set[str]] | None = None
        for qs, qe, word in quals:
            owners = by_q.get(word.removesuffix("'s").removesuffix("’s"))
            if not owners or (qs >= h.start and qe <= h.end):
                continue
            if qe <= h.start:  # forward: nothing that ends a noun phrase in between
                lo, hi = qe, h.start
                if any(lo <= a and b <= hi for a, b in nums):
                    continue
                if any(o.start >= lo and o.end <= hi and not (o.start <= qs and qe <= o.end) for o in fam_hits):
                    continue
                gap = hi - lo
            elif qs >= h.end and _BACK_LINK.match(text[h.end : qs]):
                gap = qs - h.end
            else:
                continue
            if best is None or gap < best[0]:
                best = (gap, owners)
        if best is None:
            # The clause's subject qualifies what it did: "Hamilton made 43 live trades with a 41.9 %
            # win rate and +23.0 bps of P&L" — Hamilton's win rate and P&L.
            for qs, _, word in quals:
                owners = by_q.get(word.removesuffix("'s").removesuffix("’s"))
                if owners and qs < h.start and word not in _FUNCTION_WORDS and _SUBJECT_START.match(text[c0:qs]):
                    return frozenset(owners)
        return frozenset(best[1]) if best else h.families

    def _subject_part(
        self, families: frozenset[str], h: Hit, slot_hits: list[Hit], text: str, c0: int, previous: Mention | None
    ) -> tuple[tuple[int, int, int], str, str, list[int]] | None:
        """A family that needs a part and found none within reach takes its clause's subject's
        part ("the meta-label gate blocked 94.0 % of the day's 315 winning trades"), else the
        sentence's last metric's ("is_runner's share is 7.2 %; before this training it was …")."""
        for fid in sorted(families):
            fam = self.families[fid]
            if () in fam.members:
                continue
            filled, took = self._fill(fam, h, [s for s in slot_hits if s.end <= h.start], [], text, c0)
            mid = fam.member(filled) or (fam.members.get(previous.parts) if previous and previous.parts else None)
            if mid is not None:
                return (1, 1, 0), fid, mid, took
        return None

    def _fill(
        self, fam: Family, h: Hit, slot_hits: list[Hit], nums: list[tuple[int, int]], text: str, c0: int
    ) -> tuple[list[str | None], list[int]]:
        """Per part slot of ``fam``, the nearest part word of the clause (a number in between
        ends its reach, unless the part word opens the clause: "Runners: win rate …, P&L …")."""
        filled: list[str | None] = [None] * len(fam.slots)
        took: list[int] = []
        for k, segs in enumerate(fam.slots):
            best: tuple[int, Hit, str] | None = None
            for s in slot_hits:
                seg = TOTAL if s.kind == "total" else next(iter(s.segments & segs), None)
                if seg is None:
                    continue
                lo, hi = (s.end, h.start) if s.end <= h.start else (h.end, s.start)
                if (
                    s.end <= h.start
                    and text[s.end : h.start].strip()
                    and any(b <= s.start and not text[b : s.start].strip() for _, b in nums)
                ):
                    continue  # "(84 scalp, 21 runner), live win rate …": the part labels its number
                topic = s.end <= h.start and _OPENS.match(text[c0 : s.start])
                if not topic and any(lo <= a and b <= hi for a, b in nums):
                    continue
                gap = s.start - h.end if s.start >= h.end else h.start - s.end
                if best is None or gap < best[0]:
                    best = (gap, s, seg)
            if best is not None:
                filled[k] = best[2]
                took.append(id(best[1]))
        return filled, took


def _is_loss(key: str) -> bool:
    return any(w in key.split() for w in _LOSS_WORDS)


_CACHE: dict[int, tuple[MetricsSnapshot, Lexicon]] = {}


def lexicon_for(snapshot: MetricsSnapshot) -> Lexicon:
    """The lexicon of ``snapshot`` (built once per snapshot object)."""
    hit = _CACHE.get(id(snapshot))
    if hit is not None and hit[0] is snapshot:
        return hit[1]
    lex = Lexicon(snapshot)
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[id(snapshot)] = (snapshot, lex)
    return lex

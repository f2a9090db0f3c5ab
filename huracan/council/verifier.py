"""The number verifier: every number in a text must be a snapshot number.

Each extracted number (:mod:`huracan.council.numbers`) is matched against every number
the snapshot holds — values, day-over-day and 7-day baselines and deltas, percent
changes, sample sizes, interval ends and targets — in every way the metric's unit may
be written (a fraction as a percent or in bps, seconds as ms, …), within the rounding
the number's own printed precision allows. A signed number must match a signed value;
an unsigned one may match a change's magnitude ("fell by 3.1 pp").

Words must match the evidence too: "improved", "fell", "better" … about a metric whose
change the snapshot marks as not significant is flagged like an unverified number.

Example::

    >>> report = verify("AUC rose to 0.712 (+0.012).", snapshot)  # doctest: +SKIP
    >>> [(n.text, n.metric_id, n.field) for n in report.numbers]
    [('0.712', 'auc', 'value'), ('+0.012', 'auc', 'delta_1d')]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.council.numbers import NumberToken, extract_numbers
from huracan.council.placeholders import FIELDS, REMOVED, RenderedSpan, field_kind, number_of
from huracan.council.schema import Flag, VerifiedNumber

__all__ = ["Candidate", "VerificationReport", "apply_fixes", "candidates", "displays", "verify"]

_WHICHES = tuple(dict.fromkeys(FIELDS.values()))

CHANGE_WORDS = re.compile(
    r"\b(improv(?:ed|es|ing|ement)?|degrad(?:ed|es|ing|ation)?|worsen(?:ed|s|ing)?|"
    r"rose|rise[sn]?|rising|f[ae]ll(?:s|en|ing)?|increas(?:ed|es|ing|e)|decreas(?:ed|es|ing|e)|"
    r"jump(?:ed|s|ing)?|drop(?:ped|s|ping)?|declin(?:ed|es|ing|e)|climb(?:ed|s|ing)?|"
    r"surg(?:ed|es|ing|e)|plung(?:ed|es|ing|e)|better|worse)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=\d))+(?:[.!?]+|\n|$)")
_CLAUSE = re.compile(r"(?:[^.;!?\n]|[.](?=\d))+")
_ONE_DAY = {"baseline_1d", "delta_1d", "pct_1d"}
_SEVEN_DAY = {"baseline_7d", "delta_7d", "pct_7d"}


@dataclass(frozen=True)
class Candidate:
    metric_id: str
    which: str
    raw: float
    unit: str


def candidates(snapshot: MetricsSnapshot) -> list[Candidate]:
    """Every number the snapshot holds, with where it comes from."""
    out: list[Candidate] = []
    for mid, m in snapshot.metrics.items():
        for which in _WHICHES:
            v = number_of(m, which)
            if v is not None:
                out.append(Candidate(mid, which, float(v), m.unit))
    return out


def displays(c: Candidate) -> list[tuple[float, frozenset[str]]]:
    """The ways ``c`` may be printed: (number in display units, units it may carry)."""
    v, kind = c.raw, field_kind(c.which)
    if kind == "count":
        return [(v, frozenset({""}))]
    if kind == "pct":
        return [(v * 100, frozenset({"%"}))]
    u = c.unit
    if u == "fraction":
        if kind == "delta":
            return [(v * 100, frozenset({"pp", ""})), (v * 1e4, frozenset({"bps"})), (v, frozenset({""}))]
        return [(v * 100, frozenset({"%", ""})), (v, frozenset({""})), (v * 1e4, frozenset({"bps"}))]
    if u == "bps":
        return [(v, frozenset({"bps", ""})), (v / 100, frozenset({"pp" if kind == "delta" else "%"}))]
    if u == "usd":
        return [(v, frozenset({"$", ""}))]
    if u == "seconds":
        return [(v, frozenset({"s", ""})), (v * 1000, frozenset({"ms"}))]
    if u == "ms":
        return [(v, frozenset({"ms", ""})), (v / 1000, frozenset({"s"}))]
    if u == "ratio":
        return [(v, frozenset({"", "x"}))]
    if u == "bool":
        return []
    return [(v, frozenset({""}))]


def _error(tok: NumberToken, c: Candidate) -> float | None:
    """How far ``tok`` is from ``c`` in units of its tolerance; None if it cannot be ``c``."""
    best: float | None = None
    for shown, units in displays(c):
        if tok.unit not in units:
            continue
        target = shown if tok.signed else abs(shown)
        diff = abs(tok.value - target)
        if diff <= tok.tolerance + 1e-9 * max(1.0, abs(target)):
            err = diff / tok.tolerance if tok.tolerance else 0.0
            best = err if best is None else min(best, err)
    return best


class _Index:
    """Every printable form of every snapshot number, sorted for range lookups."""

    def __init__(self, cands: list[Candidate]):
        rows = [(shown, units, i) for i, c in enumerate(cands) for shown, units in displays(c)]
        self.signed = sorted((shown, units, i) for shown, units, i in rows)
        self.unsigned = sorted((abs(shown), units, i) for shown, units, i in rows)
        self._signed_keys = [r[0] for r in self.signed]
        self._unsigned_keys = [r[0] for r in self.unsigned]

    def near(self, tok: NumberToken) -> list[tuple[float, int]]:
        """(error in tolerances, candidate index) of every candidate ``tok`` can be."""
        rows, keys = (self.signed, self._signed_keys) if tok.signed else (self.unsigned, self._unsigned_keys)
        slack = tok.tolerance + 1e-9 * max(1.0, abs(tok.value))
        lo = bisect.bisect_left(keys, tok.value - slack)
        hi = bisect.bisect_right(keys, tok.value + slack)
        out = []
        for shown, units, i in rows[lo:hi]:
            if tok.unit in units:
                out.append((abs(tok.value - shown) / tok.tolerance if tok.tolerance else 0.0, i))
        return out


@dataclass
class VerificationReport:
    """What :func:`verify` found; ``ok`` when nothing needs fixing."""

    text: str
    numbers: list[VerifiedNumber] = field(default_factory=list)
    wording: list[Flag] = field(default_factory=list)
    #: (start, end, suggested replacement) for each wording flag
    wording_spans: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def unverified(self) -> list[VerifiedNumber]:
        return [n for n in self.numbers if n.metric_id is None]

    @property
    def ok(self) -> bool:
        return not self.unverified and not self.wording

    def problems(self) -> list[str]:
        """One line per problem, worded for the model that must fix it."""
        lines = [
            f"unverified number {n.text!r} (…{_context(self.text, n.start, n.end)}…): it matches no snapshot value; "
            "write it as a placeholder such as {metric_id} or {metric_id.delta_1d}, or drop it"
            for n in self.unverified
        ]
        lines += [f"{f.detail} (…{f.text}…)" for f in self.wording]
        return lines


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    return text[max(0, start - width) : min(len(text), end + width)].replace("\n", " ").strip()


def _mention_list(
    sentence: str, s0: int, snapshot: MetricsSnapshot, spans: Sequence[RenderedSpan]
) -> list[tuple[int, str, str | None]]:
    """(offset in sentence, metric id, placeholder field or None) for each mention."""
    out: list[tuple[int, str, str | None]] = []
    s1 = s0 + len(sentence)
    for sp in spans:
        if s0 <= sp.start < s1:
            out.append((sp.start - s0, sp.metric_id, sp.which))
    low = sentence.lower()
    hits: list[tuple[int, int, str]] = []
    for mid, m in snapshot.metrics.items():
        for name in (mid, m.name):
            if name and name.lower() in low:
                pat = r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)"
                hits.extend((h.start(), h.end(), mid) for h in re.finditer(pat, low))
    for a, b, mid in hits:
        # "Shadow win rate" inside "Shadow win rate (scalp)" names the part, not the total.
        if not any(c <= a and b <= d and (d - c) > (b - a) for c, d, _ in hits):
            out.append((a, mid, None))
    return out


def _mentions(sentence: str, s0: int, snapshot: MetricsSnapshot, spans: Sequence[RenderedSpan]) -> dict[str, set[str]]:
    """Metrics a sentence talks about → the fields it used (empty set: named only)."""
    found: dict[str, set[str]] = {}
    for _, mid, which in _mention_list(sentence, s0, snapshot, spans):
        found.setdefault(mid, set()).update({which} if which else set())
    return found


def _neutral(word: str) -> str:
    w = word.lower()
    if w in ("better", "worse"):
        return "not significantly different"
    if w.endswith("ing"):
        return "changing (not significantly)"
    if w.endswith(("ment", "ation")) or w in {"increase", "decrease", "decline", "surge", "plunge", "drop", "rise"}:
        return "change (not significant)"
    if w.endswith("s") and not w.endswith("ss"):
        return "changes (not significantly)"
    return "changed (not significantly)"


def _not_significant(m: MetricValue, used: set[str]) -> bool:
    """True when every comparison the text can mean is judged and none is significant."""
    comps = []
    if not used & _SEVEN_DAY or used & _ONE_DAY:
        comps.append(m.vs_prev_day)
    if not used & _ONE_DAY or used & _SEVEN_DAY:
        comps.append(m.vs_7d_mean)
    judged = [c.significant for c in comps if c is not None and c.significant is not None]
    return bool(judged) and not any(judged)


def _wording(
    text: str, snapshot: MetricsSnapshot, spans: Sequence[RenderedSpan]
) -> tuple[list[Flag], list[tuple[int, int, str]]]:
    """Change words about metrics whose change is not significant.

    A change word is about the metric mentioned nearest to it in its clause (clauses
    end at ``. ; ! ?`` and newlines), so "AUC improved; ECE was flat" judges each alone.
    """
    flags: list[Flag] = []
    edits: list[tuple[int, int, str]] = []
    for cm in _CLAUSE.finditer(text):
        clause, c0 = cm.group(0), cm.start()
        words = list(CHANGE_WORDS.finditer(clause))
        if not words:
            continue
        mentions = _mention_list(clause, c0, snapshot, spans)
        if not mentions:
            continue
        for w in words:
            _, mid, _ = min(mentions, key=lambda mm: (abs(mm[0] - w.start()), mm[0]))
            used = {wh for _, m2, wh in mentions if m2 == mid and wh}
            if not _not_significant(snapshot.metrics[mid], used):
                continue
            flags.append(
                Flag(
                    kind="unsupported_wording",
                    text=_context(text, c0 + w.start(), c0 + w.end()),
                    detail=f"{w.group(0)!r} about {mid} but the snapshot marks its change as not "
                    "significant; say it was flat / within noise, or drop the comparison",
                    metric_id=mid,
                    action="reworded",
                )
            )
            edits.append((c0 + w.start(), c0 + w.end(), _neutral(w.group(0))))
    return flags, edits


def verify(text: str, snapshot: MetricsSnapshot, spans: Sequence[RenderedSpan] = ()) -> VerificationReport:
    """Match every number in ``text`` to the snapshot and check change words.

    ``spans`` are the placeholder renderings (from :func:`~huracan.council.placeholders.render`):
    a number inside one is attributed to that placeholder's metric first.
    """
    names = [n for mid, m in snapshot.metrics.items() for n in (mid, m.name)]
    cands = candidates(snapshot)
    by_key = {(c.metric_id, c.which): c for c in cands}
    report = VerificationReport(text=text)
    sentences = list(_SENTENCE.finditer(text))
    index = _Index(cands)
    near_cache: dict[int, dict[str, set[str]]] = {}
    for tok in extract_numbers(text, names):
        match: Candidate | None = None
        hint = next((s for s in spans if s.start <= tok.start and tok.end <= s.end), None)
        if hint is not None:
            c = by_key.get((hint.metric_id, hint.which))
            if c is not None and _error(tok, c) is not None:
                match = c
        if match is None:
            sentence = next((m for m in sentences if m.start() <= tok.start < m.end()), None)
            if sentence is not None and sentence.start() not in near_cache:
                near_cache[sentence.start()] = _mentions(sentence.group(0), sentence.start(), snapshot, spans)
            near = near_cache.get(sentence.start(), {}) if sentence else {}
            # Prefer a metric the sentence talks about, then the closest number, then a value.
            scored = [(cands[i].metric_id not in near, err, cands[i].which != "value", i) for err, i in index.near(tok)]
            if scored:
                match = cands[min(scored)[3]]
        report.numbers.append(
            VerifiedNumber(
                text=tok.text,
                start=tok.start,
                end=tok.end,
                value=tok.value,
                metric_id=match.metric_id if match else None,
                field=match.which if match else None,
            )
        )
    report.wording, report.wording_spans = _wording(text, snapshot, spans)
    return report


def apply_fixes(report: VerificationReport) -> tuple[str, list[VerifiedNumber], list[Flag]]:
    """Remove unverified numbers and neutralise unsupported change words.

    Returns the cleaned text, the numbers with spans in the cleaned text (an unverified
    one marked ``removed``, spanning the :data:`REMOVED` marker), and a flag for every
    change made.
    """
    edits: list[tuple[int, int, str]] = [(n.start, n.end, REMOVED) for n in report.unverified]
    edits += report.wording_spans
    edits.sort()
    pieces: list[str] = []
    pos = 0
    new_pos: dict[int, int] = {}  # old start of an edit -> its start in the new text
    out_len = 0
    for start, end, new in edits:
        pieces.append(report.text[pos:start])
        out_len += start - pos
        new_pos[start] = out_len
        pieces.append(new)
        out_len += len(new)
        pos = end
    pieces.append(report.text[pos:])

    def shift(i: int) -> int:
        return i + sum(len(new) - (e - s) for s, e, new in edits if e <= i)

    numbers = []
    for n in report.numbers:
        if n.metric_id is None:
            at = new_pos[n.start]
            numbers.append(n.model_copy(update={"action": "removed", "start": at, "end": at + len(REMOVED)}))
        else:
            numbers.append(n.model_copy(update={"start": shift(n.start), "end": shift(n.end)}))
    flags = [
        Flag(
            kind="unverified_number",
            text=n.text,
            detail=f"matched no snapshot value; removed (…{_context(report.text, n.start, n.end)}…)",
        )
        for n in report.unverified
    ]
    return "".join(pieces), numbers, flags + list(report.wording)

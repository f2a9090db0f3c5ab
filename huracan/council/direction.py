"""Direction words are claims: "rose", "fell", "improved", "jumped", "held steady",
"significant", "is learning", "is ready" are checked against the snapshot (issue 11).

Each word is checked against the metric it is about (linked by
:mod:`huracan.council.claims`) and that metric's comparison — vs yesterday, or vs the
7-day mean when the clause says so:

* plain movement (rose, fell, increased, widened …): the change's sign, visible at the
  metric's precision; a change the snapshot marks *not significant* may not be called a
  movement ("flat / within noise"); one it cannot judge may, if the sign is right;
* strong movement (jumped, surged, plunged, collapsed …) and judgement (improved,
  worsened, better, worse): the sign, in the metric's good direction for a judgement,
  *and* significance;
* steadiness (held steady, flat, unchanged, within noise): not significant (or no
  visible change when significance cannot be judged);
* "significant(ly)": significant; "not significant": not;
* "is learning" / "learned": a significant improvement of the metric its sentence names;
* "ready for Hamilton" / "not ready": the snapshot's readiness verdict.

A negation before the word ("did not improve") inverts the claim: it fails only when the
positive claim is clearly true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from huracan.analytics.snapshot import Comparison, MetricsSnapshot, MetricValue

__all__ = ["PLAIN", "DirectionWord", "Verdict", "check_direction", "find_direction_words"]

_I = re.IGNORECASE
#: Comparatives of a quantity: "a larger share of winners", "fewer signals than yesterday".
_SHARE = r"(?:share|proportion|fraction|percentage|portion|number|part)"
_THAN = r"(?=(?:\s+[\w&'-]+){0,4}\s+than\s+(?:yesterday|the day before|the previous (?:trading )?day|(?:its |the )?7-day|last week))"
_MORE_OF = rf"(?:larger|bigger|greater|higher)\s+{_SHARE}|(?:more|larger|bigger|greater){_THAN}"
_LESS_OF = rf"(?:smaller|lower)\s+{_SHARE}|(?:fewer|less|smaller){_THAN}"
_COMPARATIVE = re.compile(r"(?:more|fewer|less|larger|bigger|greater|smaller|lower|higher)\b", re.I)
_COUNTED_BEFORE = re.compile(r"\d\s*(?:%|pp|bps|points?|ms|s|x)?\s*$", re.I)
_WORDS: list[tuple[str, str]] = [
    ("steady", r"held (?:steady|flat|stable|level)|(?:stayed|remained|was|is|were|are|looked) (?:flat|steady|stable|"
               r"unchanged|level)|little changed|barely moved|within (?:the )?noise|no significant change|flat|"
               r"unchanged|steady|stable"),
    ("learning", r"(?:is|are|was|keeps?|kept|still) learning|learned|learnt"),
    ("ready", r"ready"),
    ("significant", r"statistically significant(?:ly)?|significant(?:ly)?|meaningful(?:ly)?"),
    ("strong_up", r"jump(?:ed|s|ing)?|surg(?:ed|es|ing)|soar(?:ed|s|ing)?|spik(?:ed|es)|skyrocket(?:ed|s)?|lea(?:pt|ped)|"
                  r"shot up"),
    ("strong_down", r"plung(?:ed|es|ing)|plummet(?:ed|s|ing)?|collaps(?:ed|es|ing)|crash(?:ed|es)|tumbl(?:ed|es|ing)|"
                    r"slump(?:ed|s)?|tank(?:ed|s)|nosedived|cratered"),
    ("better", r"improv(?:ed|es|ing|ement)|better|strengthen(?:ed|s)"),
    ("worse", r"worsen(?:ed|s|ing)?|deteriorat(?:ed|es|ing|ion)|degrad(?:ed|es|ing|ation)|weaken(?:ed|s)|worse"),
    ("widen", r"widen(?:ed|s|ing)?|deepen(?:ed|s|ing)?"),
    # shrink/grow speak of size: "losses shrank" is a smaller loss, whatever the sign
    ("narrow", r"narrow(?:ed|s|ing)|tighten(?:ed|s|ing)|shr[au]nk|shrinking|shrinks"),
    ("up", r"rose|risen|rises|rising|rise|increas(?:ed|es|ing|e)|climb(?:ed|s|ing)?|grew|grow(?:s|ing|n)|gain(?:ed|s)|"
           r"went up|edged up|ticked up|moved up|rebounded|recovered|(?<!made )(?<!make )(?<!makes )(?<!adds )(?<!added )"
           r"(?<!sums )(?<!summed )up(?= (?:by )?[+\d.]| from)|"
           r"higher(?= than (?:yesterday|the day before|the previous day|(?:its |the )?7-day|last week|the week))|"
           rf"{_MORE_OF}"),
    ("down", r"fell|fallen|falls|falling|fall|drop(?:ped|s|ping)?|declin(?:ed|es|ing|e)|decreas(?:ed|es|ing|e)|slipped|"
             r"dipped|eased|went down|edged down|ticked down|moved down|sank|slid|"
             r"down(?= (?:by )?[+\d.]| from)|lower(?= than (?:yesterday|the day before|the previous day|(?:its |the )?7-day|"
             r"last week|the week))|"
             rf"{_LESS_OF}"),
]  # fmt: skip
_WORD_RE = re.compile("|".join(f"(?P<{k}>(?<![\\w-])(?:{p})(?![\\w-]))" for k, p in _WORDS), _I)
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|without|hardly|isn't|aren't|wasn't|weren't|didn't|doesn't|"
                       r"don't|hasn't|haven't|cannot|can't|won't)\b(?:\s+\w+){0,2}\s*$|n't\s+(?:\w+\s+)?$|"
                       r"\btoo\s+\w+\s+to\s+(?:call|count|say|describe)\b(?:\s+\w+){0,3}\s*$", _I)  # fmt: skip
_VS_TARGET = re.compile(
    r"^\s+(?:than\s+|short\s+of\s+|of\s+)?(?:its|the|their)?\s*(?:[\d.,]+\s*(?:%|bps|pp)?\s+)?"
    r"(?:readiness\s+)?(?:target|minimum|min|maximum|max|goal|ideal|floor|ceiling|bar|cap|threshold)",
    _I,
)
#: "Nothing was dropped", "events were shed": a passive verb is no movement
_PASSIVE = re.compile(r"\b(?:was|were|been|being|be|is|are|get|got)\s+$", _I)


@dataclass(frozen=True)
class DirectionWord:
    """A word that claims a direction, a significance, learning or readiness."""

    text: str
    start: int
    end: int
    kind: str  # up, down, strong_up, …, steady, significant, learning, ready, readiness_check
    negated: bool
    #: for a readiness_check: the key of ``readiness.checks`` it names (auc, ece, samples …)
    criterion: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The outcome of one direction check; ``actual`` says what the snapshot shows."""

    ok: bool
    actual: str


def find_direction_words(text: str, start: int = 0, end: int | None = None) -> list[DirectionWord]:
    """Direction words in ``text[start:end]`` (comparisons with a target are not changes)."""
    out = []
    end = len(text) if end is None else end
    for m in _WORD_RE.finditer(text, start, end):
        kind = m.lastgroup or ""
        if _VS_TARGET.match(text[m.end() : m.end() + 50]):
            continue  # "better than its target", "fell short of the minimum of 20": a status, not a change
        if kind == "down" and _PASSIVE.search(text[max(start, m.start() - 12) : m.start()]):
            continue
        if _COMPARATIVE.match(m.group(0)) and _COUNTED_BEFORE.search(text[max(start, m.start() - 20) : m.start()]):
            continue  # "31 more than yesterday": the number states the change; the word is its cue
        negated = bool(_NEGATION.search(text[max(start, m.start() - 30) : m.start()]))
        out.append(DirectionWord(m.group(0), m.start(), m.end(), kind, negated))
    return out


def _standing(word: DirectionWord, metric: MetricValue) -> Verdict:
    """ "below the readiness minimum", "clears the 0.65 minimum", "within its 0.10 cap": the
    value against the bound its words name (a bare "target" or "bar" is the minimum when the
    metric has one, else the maximum)."""
    side, _, kind = (word.criterion or "").partition(":")
    t, v = metric.targets, metric.value
    lo = t.min if t is not None else None
    hi = t.max if t is not None else None
    bound = lo if kind == "min" else hi if kind == "max" else (lo if lo is not None else hi)
    if v is None or bound is None:
        return Verdict(False, f"{metric.id} has no {'value' if v is None else 'such target'} to stand against")
    is_max = kind == "max" or (kind == "any" and lo is None)
    holds = {
        "above": v > bound,
        "below": v < bound,
        "meets": v <= bound if is_max else v >= bound,
        "within": v <= bound if is_max else v >= bound,
        "short": v > bound if is_max else v < bound,
    }[side]
    return Verdict(
        holds != word.negated, f"{metric.id} is {v:g} against its {'maximum' if is_max else 'minimum'} {bound:g}"
    )


def _describe(c: Comparison, scope: str) -> str:
    sig = {True: "significant", False: "not significant", None: "significance unknown"}[c.significant]
    return f"{c.direction or 'unknown'} vs {'yesterday' if scope == '1d' else 'the 7-day mean'} ({sig})"


def _movement(c: Comparison, metric: MetricValue, magnitude: bool) -> int:
    """+1 / -1 / 0: the change's direction (of the magnitude for a loss or a gap)."""
    if c.direction in (None, "flat") or c.delta is None:
        return 0
    if magnitude and c.baseline is not None and metric.value is not None:
        diff = abs(metric.value) - abs(c.baseline)
        return 0 if diff == 0 else (1 if diff > 0 else -1)
    return 1 if c.delta > 0 else -1


#: Movement words that describe the raw move; said with "not significant" in the same
#: sentence they are true (strong and judging words never are: "jumped, not significantly").
PLAIN = frozenset({"up", "down", "widen", "narrow"})


def _positive(
    word: DirectionWord, metric: MetricValue, c: Comparison, magnitude: bool, disclosed: bool = False
) -> bool | None:
    """Whether the un-negated claim holds (None: it can be neither confirmed nor refuted)."""
    move = _movement(c, metric, magnitude or word.kind in ("widen", "narrow"))
    sig = c.significant
    k = word.kind
    if k == "steady":
        return sig is not True and (sig is False or move == 0)
    if k == "significant":
        return sig
    want = {"up": 1, "strong_up": 1, "widen": 1, "down": -1, "strong_down": -1, "narrow": -1}.get(k)
    if k in ("better", "worse", "learning"):
        if metric.higher_is_better is None:
            return False
        good = 1 if metric.higher_is_better else -1
        want = good if k in ("better", "learning") else -good
        return move == want and sig is True
    if want is None:
        return False
    if k.startswith("strong"):
        return move == want and sig is True
    return move == want and (sig is not False or disclosed)


def check_direction(
    word: DirectionWord,
    snapshot: MetricsSnapshot,
    metric: MetricValue | None,
    scope: str | None,
    magnitude: bool = False,
    disclosed: bool = False,
) -> Verdict:
    """Check one direction word about ``metric`` (None: it names no metric).

    ``disclosed``: the sentence says the change is not significant, so a plain movement
    word ("slipped 6.5 pp, not significant") describes the raw move truthfully.
    """
    if word.kind in ("ready", "readiness_check"):
        r = snapshot.readiness
        if r is None:
            return Verdict(False, "the snapshot has no readiness assessment")
        if word.kind == "readiness_check" and word.criterion == "awaiting":
            waiting = bool(r.checks.get("exported")) and not r.checks.get("acknowledged")
            state = "an export awaits acknowledgement" if waiting else "no export awaits acknowledgement"
            return Verdict(waiting != word.negated, state)
        if word.kind == "readiness_check":
            passed = r.checks.get(word.criterion or "")
            if passed is None:
                return Verdict(False, f"readiness has no {word.criterion} check")
            return Verdict(
                passed != word.negated, f"readiness check {word.criterion}: {'passed' if passed else 'failed'}"
            )
        return Verdict(r.ready != word.negated, f"readiness: {'ready' if r.ready else 'not ready'}")
    if metric is None:
        return Verdict(False, "names no metric")
    if word.kind == "vs_target":
        return _standing(word, metric)
    if metric.id.split(".")[0].endswith("_change") and metric.value is not None:
        # a change metric's own value is the move ("the AUC change … is within noise"): its
        # sign, and its interval excluding zero, are what its direction words claim
        iv = metric.interval
        sig = None if iv is None else not (iv.low <= 0.0 <= iv.high)
        direction = "up" if metric.value > 0 else "down" if metric.value < 0 else "flat"
        own = Comparison(baseline=0.0, delta=metric.value, significant=sig, direction=direction)
        holds = _positive(word, metric, own, magnitude, disclosed)
        ok = (holds is not True) if word.negated else bool(holds)
        return Verdict(ok, f"{direction} (the change itself; {'beyond' if sig else 'within'} its interval's noise)")
    scopes = [scope] if scope else ["1d", "7d"]
    for sc in scopes:
        c = metric.vs_prev_day if sc == "1d" else metric.vs_7d_mean
        if c is None:
            continue
        holds = _positive(word, metric, c, magnitude, disclosed)
        ok = (holds is not True) if word.negated else bool(holds)
        return Verdict(ok, _describe(c, sc))
    return Verdict(False, "the snapshot has no comparison for it")

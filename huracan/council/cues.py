"""Which field of its metric a number claims to be, read from the words around it.

"AUC was 0.699" claims the value; "against a minimum of 0.650" a target; "(95 % CI
0.68–0.72)" the interval; "up 0.010 vs yesterday" the day-over-day change; "from 0.689"
or "0.689 yesterday" the baseline; "on 964 predictions" the sample size. A number is
verified only against the fields its words allow, so a target, an interval end or a
baseline stated as the value is a wrong record, not a pass (issue 11).

Fields are the placeholder fields of :mod:`huracan.council.placeholders` in their
``which`` form (``value``, ``low``, ``high``, ``baseline_1d`` …) plus ``level`` (the
interval's confidence level).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from huracan.council.numbers import COUNT_NOUNS, NumberToken

__all__ = ["Roles", "is_change", "negative_word", "roles_for", "scope_of", "sign_hint"]

_I = re.IGNORECASE
_TARGET_MIN = re.compile(r"\b(?:minimum|min|floor|at least|no less than|lower target|target min)\b", _I)
_TARGET_MAX = re.compile(r"\b(?:maximum|max|ceiling|cap|at most|no more than|upper target|target max|limit)\b", _I)
_TARGET_IDEAL = re.compile(r"\b(?:ideal)\b", _I)
#: A goal or a target may be any bound the desk set ("the desk's 87 % goal" is its minimum).
_TARGET = re.compile(r"\b(?:targets?|threshold|bar|objective|goal|aim)\b", _I)
_INTERVAL = re.compile(
    r"\b(?:interval|CI|confidence (?:interval|band|level|bounds?)|range|bounds?|band|between|low end|high end|lower end|upper end|"
    r"lower bound|upper bound|plausibly|plausible)\b|±",
    _I,
)
_LEVEL_AFTER = re.compile(r"^\s*(?:%\s*)?(?:CI|confidence|interval|credible)\b", _I)
_YESTERDAY = re.compile(
    r"\b(?:yesterday(?:'s)?|(?:the )?previous day(?:'s)?|(?:the )?prior day(?:'s)?|(?:the )?day before|a day earlier)\b",
    _I,
)
_WEEK = re.compile(r"\b(?:7[- ]day|seven[- ]day|week(?:ly|'s)?|7d|mean_7d|baseline_7d)\b", _I)
_WEEK_MEAN_AFTER = re.compile(
    r"^\s*(?:%|pp|bps|s|ms)?\s*(?:7[- ]day|seven[- ]day|weekly|week's|7d)\s+(?:mean|average|avg|baseline|norm)\b", _I
)
_MEAN = re.compile(r"\b(?:mean|average|avg|baseline|norm)\b", _I)
_FROM = re.compile(r"\bfrom\s*(?:about\s+|around\s+|roughly\s+)?$", _I)
#: "81.8 % against 76.6 %": the second of two levels set side by side is the comparison's base
_VERSUS_BEFORE = re.compile(
    r"^\s*(?:%|pp|bps|s|ms|min)?\s*,?\s*(?:vs\.?|versus|against|compared (?:with|to))\s*(?:about\s+|around\s+)?$", _I
)
_TO_AFTER = re.compile(r"^\s*(?:%|pp|bps|ms|s)?\s*(?:to|→|->)\s", _I)
_DELTA_BEFORE = re.compile(
    r"\b(?:by|up|down|moved|change of|changed|a (?:rise|fall|drop|gain|move|change|swing|jump|"
    r"decline|increase|decrease) of|an (?:increase|improvement) of|rose|fell|increased|decreased|climbed|dropped|declined|"
    r"slipped|dipped|jumped|improved|worsened|grew|shrank|widened|narrowed|swung|edged up|edged down|ticked up|"
    r"ticked down)\s*(?:about\s+|some\s+|nearly\s+)?$",
    _I,
)
#: Verbs that state a level or a change ("Hamilton lost 39.4 bps", "signals gained 31").
_EITHER_BEFORE = re.compile(r"\b(?:gained|lost|added|shed|made|earned|gave up)\s*(?:about\s+|some\s+)?$", _I)
_COMPARATIVE = (
    r"(?:more|less|fewer|longer|shorter|higher|lower|larger|smaller|greater|faster|slower|above|below|over|under)"
)
#: "−7 on yesterday", "+19 against the previous day": after a signed or change-cued number, a delta.
_ON_YESTERDAY = re.compile(
    r"^\s*(?:pp|points?|bps|%|s|ms)?\s*(?:on|against|over|compared (?:with|to)|relative to)\s+"
    r"(?:yesterday|the (?:previous|prior) (?:trading )?day|the day before)\b(?!'s|’s)",
    _I,
)
_DELTA_AFTER = re.compile(
    r"^\s*(?:pp|points?|bps)?\s*(?:vs\.?|versus|day[- ]over[- ]day|from yesterday|since|"
    + _COMPARATIVE
    + r"\s+(?:than\s+)?(?:yesterday|the day before|the previous day|its|the|a|on)\b)",
    _I,
)
#: "35.5 % versus 50.9 % yesterday", "81.8 % against 76.6 %": the first of two levels set
#: side by side is the day's value (the second is read by its own words)
_LEVEL_PAIR = re.compile(
    r"^\s*(?:%|pp|bps|s|ms|min)?\s*,?\s*(?:vs\.?|versus|against|compared (?:with|to)|up from|down from)\s+"
    r"(?:about\s+|around\s+|roughly\s+|the\s+|a\s+|its\s+)?(?:[$]?\d(?![\d,.]*\s?-?\s?days?\b)|$)",
    _I,
)
_AFTER_SIGN = re.compile(r"^\s*(?:pp|points?|bps|s|ms)?\s*(?P<w>" + _COMPARATIVE + r")\b", _I)
_N_BEFORE = re.compile(
    r"(?:\bn\s*=\s*|\bsample(?: size)? of\s+|\b(?:on|over|from|across|of|among|out of|based on|with|after)\s+"
    r"(?:only\s+|just\s+|some\s+|about\s+|the\s+|all\s+|its\s+|a\s+mere\s+)?(?:[a-z]+'s\s+)?)$",
    _I,
)
_N_AFTER = re.compile(rf"^\s+(?:[\w\-']+\s+){{0,2}}?(?:{COUNT_NOUNS})\b", _I)
_PCT_WORDS = re.compile(r"\b(?:percent change|relative|in relative terms|per cent change)\b", _I)
_NEG_SIGN = re.compile(
    r"\b(?:loss(?:es)?|lost|losing|behind|trail(?:ed|s|ing)?|negative|minus|deficit|in the red|below zero|short)\b", _I
)
_UP = re.compile(
    r"\b(?:up|rose|risen|rising|increased|climbed|gained|added|grew|jumped|improved|widened|higher|ahead)\s*(?:by\s+)?$",
    _I,
)
_DOWN = re.compile(
    r"\b(?:down|fell|fallen|falling|decreased|dropped|declined|slipped|dipped|lost|shed|shrank|narrowed|lower|behind)\s*(?:by\s+)?$",
    _I,
)

#: The comparison fields of each scope.
SCOPED = {
    "delta": ("delta_1d", "delta_7d"),
    "pct": ("pct_1d", "pct_7d"),
    "baseline": ("baseline_1d", "baseline_7d"),
}


@dataclass(frozen=True)
class Roles:
    """The fields a number may claim, and how it reads."""

    fields: frozenset[str]
    #: "specific" when a word named the field (target, interval, baseline …): a number
    #: that is some other field of its metric then fails as a wrong record
    specific: bool


def scope_of(clause: str) -> str | None:
    """``1d`` / ``7d`` when the clause says which comparison it means, else None."""
    week, day = bool(_WEEK.search(clause)), bool(_YESTERDAY.search(clause))
    if week and not day:
        return "7d"
    if day and not week:
        return "1d"
    return None


def _scoped(kind: str, scope: str | None) -> set[str]:
    one, seven = SCOPED[kind]
    return {one} if scope == "1d" else {seven} if scope == "7d" else {one, seven}


def _pct_if(tok: NumberToken, metric_unit: str, scope: str | None) -> frozenset[str]:
    return frozenset(_scoped("pct", scope)) if tok.unit == "%" else frozenset()


def sign_hint(before: str, after: str = "") -> int:
    """+1 / -1 when a word gives an unsigned change its sign ("fell 2.7 pp", "3 s less than")."""
    if _UP.search(before):
        return 1
    if _DOWN.search(before):
        return -1
    m = _AFTER_SIGN.match(after)
    if m:
        return (
            1
            if m.group("w").lower() in ("more", "longer", "higher", "larger", "greater", "slower", "above", "over")
            else -1
        )
    return 0


def negative_word(clause: str) -> bool:
    """The clause says the quantity is a loss or a shortfall ("losses of 7,576 bps")."""
    return bool(_NEG_SIGN.search(clause))


_MADE_UP = re.compile(r"\b(?:made|make|makes|add|adds|added|sum|sums|summed)\s+up\b", _I)
_AFTER_WORD = r"^\W*(?:[\w\-]+\s+)?"


def _after(pattern: re.Pattern[str], after: str) -> bool:
    """``pattern`` within the first word or two after the number ("50 bps daily minimum")."""
    return bool(re.match(_AFTER_WORD + "(?:" + pattern.pattern + ")", after, pattern.flags))


#: "AUC 0.657 above the 0.65 minimum": a level set against a target, not a change
_VS_TARGET_AFTER = re.compile(
    r"^\s*(?:%|bps|pp|s|ms)?\s*,?\s*(?:well\s+|just\s+|comfortably\s+)?(?:above|below|over|under|short of|beyond|"
    r"within|inside|outside)\s+(?:the\s+|its\s+|a\s+)?(?:(?:[\d.,]+\s*(?:%|bps|pp|s|ms)?\s+)?(?:readiness\s+)?"
    r"(?:minimum|maximum|floor|cap|ceiling|target|ideal|bar|threshold|limit|goal|band|range)|$)",
    _I,
)
#: "95.0 %, CI 91.7 %–97.1 %": the interval word owns the numbers after it, not this one
_OWN_INTERVAL = re.compile(
    r"^\s*(?:%|bps|pp|s|ms)?\s*[,;(]\s*(?:\d+\s*%\s*)?(?:CI|interval|confidence interval|range)\b", _I
)


_COPULA = re.compile(
    r"\b(?:was|were|is|are|stood at|stands at|came to|came in at|finished at|ended at|closed at)\s*$", _I
)


def _delta_after(after: str) -> bool:
    return bool(_DELTA_AFTER.match(after)) and not _VS_TARGET_AFTER.match(after)


def _before(pattern: re.Pattern[str], before: str) -> bool:
    """``pattern`` naming the number that follows: "a minimum of 0.65", "target: 0.65", "at least 20"
    (not "below its maximum at 0.037", where the number is the value)."""
    tail = r"\s*(?:of|:|=|is|was|would be|stands at|sits at)?\s*(?:about\s+|around\s+)?$"
    return bool(re.search("(?:" + pattern.pattern + ")" + tail, before, pattern.flags))


def is_change(tok: NumberToken, before: str, after: str) -> bool:
    """Whether the words around ``tok`` make it a change ("up 3.1 %", "+4 vs yesterday")."""
    to_level = bool(re.search(r"\b(?:to|at|reached|hit)\s*$", before, _I))
    return tok.signed or bool(_DELTA_BEFORE.search(before)) or (_delta_after(after) and not to_level)


def roles_for(
    tok: NumberToken,
    before: str,
    after: str,
    clause: str,
    metric_unit: str,
    previous_day: bool = False,
    after_raw: str | None = None,
    clause_before: str | None = None,
) -> Roles:
    """The fields ``tok`` may claim, from ``before`` / ``after`` it (mention text blanked;
    ``after_raw`` unblanked, for the count noun of a sample size)."""
    fields: set[str] = set()
    if not tok.signed and tok.unit != "pp" and _LEVEL_PAIR.match(after_raw if after_raw is not None else after):
        return Roles(frozenset({"value"}), specific=True)
    scope = scope_of(clause) or ("1d" if previous_day else None)
    raw = after if after_raw is None else after_raw
    before = _MADE_UP.sub(" ", before)  # "scalps made up 58": not a change
    if (_N_AFTER.match(raw) and _N_BEFORE.search(before)) or re.search(r"\bn\s*=\s*$", before):
        fields.add("n")
    if tok.unit == "%" and _LEVEL_AFTER.match(after):
        fields.add("level")
    target = ({"target_min"} if _before(_TARGET_MIN, before) or _after(_TARGET_MIN, after) else set()) | (
        {"target_max"} if _before(_TARGET_MAX, before) or _after(_TARGET_MAX, after) else set()
    )
    target |= {"target_ideal"} if _before(_TARGET_IDEAL, before) or _after(_TARGET_IDEAL, after) else set()
    if not target and (_before(_TARGET, before) or _after(_TARGET, after)):
        target = {"target_min", "target_ideal", "target_max"}
    fields |= target
    if _INTERVAL.search(before) or (_after(_INTERVAL, after) and not _OWN_INTERVAL.match(after)):
        fields |= {"low", "high"}
    if (_FROM.search(before) or (scope and _VERSUS_BEFORE.search(before))) and not fields:
        fields |= _scoped("baseline", scope)
    said_yesterday = _YESTERDAY.search(after[:30]) and not _DELTA_AFTER.match(after)
    if not fields and (said_yesterday or re.search(r"\byesterday(?:'s)?\s*(?:of\s+|was\s+|at\s+|:\s*)?$", before, _I)):
        fields |= {"baseline_1d"}
    if not fields and ((_MEAN.search(before[-40:]) and _WEEK.search(before[-40:])) or _WEEK_MEAN_AFTER.match(after)):
        fields |= {"baseline_7d"}  # "the 7-day mean of 11.6 %", "the 15.4 % weekly average"
    if not fields and previous_day and not re.search(r"\b(?:to|at|now)\s*$", before, _I):
        fields |= {"baseline_1d"}  # "compared with 2026-10-05, … from 50 to 6": 6 is today's
    to_level = bool(re.search(r"\b(?:to|at|reached|hit)\s*$", before, _I))  # "rose to 0.712 vs …": the level
    cued = bool(_DELTA_BEFORE.search(before)) or tok.unit == "pp" or (_delta_after(after) and not to_level)
    if (cued or tok.signed) and _ON_YESTERDAY.match(after):
        # "(−7 on yesterday)", "up 70 % on yesterday": the change, not yesterday's level
        fields -= {"baseline_1d"}
        scope = "1d"
        cued = True
    if not cued and not fields and (_EITHER_BEFORE.search(before) or _EITHER_BEFORE.search(clause_before or "")):
        # "Hamilton made 105 live trades", "lost 154.7 bps": the verb states the level
        return Roles(frozenset({"value"}), specific=False)
    if tok.signed and not cued and not fields and _COPULA.search(before):
        return Roles(frozenset({"value"}), specific=False)  # "Live P&L was +598.8 bps": the level
    if tok.signed and not cued and not fields:
        # "-$1,240.55", "+874.4 bps": a sign alone marks a change or a signed level.
        return Roles(frozenset({"value"}) | _scoped("delta", scope) | _pct_if(tok, metric_unit, scope), specific=False)
    if cued and not (fields - {"n"}):
        fields |= _scoped("delta", scope)
        if tok.unit == "%" and metric_unit != "fraction":
            fields = (fields - set(SCOPED["delta"])) | _scoped("pct", scope)
        elif tok.unit == "%":
            fields |= _scoped("pct", scope)
    elif tok.unit == "%" and metric_unit not in ("fraction", "bps") and not fields:
        # "AUC was 58.3 %": a percent of a non-rate can only be its percent change
        return Roles(frozenset(_scoped("pct", scope)), specific=False)
    if _PCT_WORDS.search(after[:25]) and not fields - set(SCOPED["delta"]):
        fields |= _scoped("pct", scope)
    if not fields:
        return Roles(frozenset({"value"}), specific=False)
    return Roles(frozenset(fields), specific=True)

"""Where a metric stands against its target, and where the model stands with Hamilton: claims
in words that are checked like direction words (issue 11, red-team rounds 3–5).

* ``vs_target`` — "the AUC is below the readiness minimum", "clears the 0.65 minimum",
  "well under its 0.10 cap", "fell short of the minimum of 20": the value of the metric the
  clause names against the bound its words name (``criterion``: ``above``/``below`` and the
  bound ``min``/``max``/``any`` after a colon, e.g. ``below:min``).
* ``readiness_check`` on ``exported`` / ``acknowledged`` — "was exported to Hamilton",
  "Hamilton acknowledged the export", "still awaiting acknowledgement", "has not yet
  acknowledged": the snapshot's readiness checks of the day's model. "No export is awaiting
  acknowledgement" is the negation of the awaiting claim.

A claim about yesterday ("yesterday's export was acknowledged") is not read here: the
snapshot holds today's hand-off only, and such a sentence fails closed on its other words
or passes as prose with no checkable claim.
"""

from __future__ import annotations

import re

from huracan.council.direction import DirectionWord

__all__ = ["find_standing_words"]

_I = re.IGNORECASE
_BOUND = (
    r"(?:the\s+|its\s+|their\s+|a\s+)?(?:[\d.,]+\s*(?:%|bps|pp|s|ms)?\s+)?(?:readiness\s+|desk'?s?\s+)?"
    r"(?P<bound>minimum|min|floor|lower bound|maximum|max|cap|ceiling|limit|upper bound|target|bar|threshold|goal)"
)
#: relation words before a bound: "below the minimum", "clears the bar", "short of the floor"
_RELATION = re.compile(
    r"(?<![\w-])(?P<rel>(?:well\s+|just\s+|comfortably\s+|safely\s+)?(?:above|over|below|under|beneath|within|inside|"
    r"clear(?:s|ed|ing)?|meet(?:s|ing)?|met|exceed(?:s|ed|ing)?|beat(?:s|ing)?|miss(?:es|ed|ing)?|"
    r"(?:fell|falls|fall|falling|came|comes|is|was|sits|sat|remains|stayed)\s+short\s+of|short\s+of|"
    r"fail(?:s|ed|ing)?\s+to\s+(?:reach|clear|meet)|breach(?:es|ed|ing)?))\s+" + _BOUND + r"\b",
    _I,
)
_UP = re.compile(r"above|over|exceed|beat|breach", _I)
_MEETS = re.compile(r"clear|meet|met\b", _I)
_SHORT = re.compile(r"short|miss|fail", _I)
_NEG = re.compile(r"\b(?:not|never|isn't|wasn't|aren't|weren't|doesn't|didn't|hasn't|no longer)\s+(?:\w+\s+)?$", _I)

_SUBJECT = r"(?:the\s+|today's\s+|its\s+|this\s+|the\s+new\s+|the\s+day's\s+|the\s+latest\s+)?(?:export|model|models)"
#: (criterion, pattern): "awaiting" claims an export Hamilton has not acknowledged
_HANDOFF: list[tuple[str, str]] = [
    ("awaiting", r"(?:has|have|had)\s+(?:not|n't)\s+(?:yet\s+)?(?:been\s+)?acknowledged|"
                 r"(?:is|was|are|were)\s+(?:not|n't)\s+(?:yet\s+)?acknowledged|not\s+yet\s+acknowledged|"
                 r"has\s+yet\s+to\s+acknowledge|unacknowledged|"
                 r"(?:still\s+)?(?:awaiting|waiting\s+for|pending)\s+(?:hamilton'?s?\s+)?acknowledg(?:e)?ment"),
    ("acknowledged", r"(?:hamilton\s+)?(?:has\s+|had\s+)?(?:loaded\s+and\s+)?acknowledged\s+" + _SUBJECT + r"|"
                     r"(?:was|were|has\s+been|have\s+been)\s+(?:loaded\s+and\s+)?acknowledged|"
                     r"exported\s+and\s+acknowledged"),
    ("not_acknowledged", r"acknowledged\s+(?:no|none\s+of\s+the|zero)\s+(?:new\s+)?(?:models?|exports?)"),
    ("not_exported", r"(?:was|were|is|are|has|have)\s+(?:not|n't)\s+(?:yet\s+)?(?:been\s+)?exported|never\s+exported|"
                     r"nothing\s+(?:was\s+)?exported|no\s+(?:model\s+)?(?:was\s+)?exported|none\s+(?:was|were)\s+exported"),
    ("exported", r"(?:was|were|has\s+been|have\s+been)\s+exported|exported\s+to\s+hamilton"),
]  # fmt: skip
_HANDOFF_RE = [(c, re.compile(rf"(?<![\w-])(?:{p})(?![\w-])", _I)) for c, p in _HANDOFF]
_NONE_OF = re.compile(r"\b(?:no|none|nothing|zero)\b[^.;:]*$", _I)
_YESTERDAY = re.compile(r"\byesterday", _I)


def find_standing_words(text: str, start: int = 0, end: int | None = None) -> list[DirectionWord]:
    """Target standings and hand-off claims in ``text[start:end]``."""
    end = len(text) if end is None else end
    out: list[DirectionWord] = []
    for m in _RELATION.finditer(text, start, end):
        rel = m.group("rel")
        bound = m.group("bound").lower()
        kind = "min" if bound in ("minimum", "min", "floor", "lower bound") else "any"
        kind = "max" if bound in ("maximum", "max", "cap", "ceiling", "limit", "upper bound") else kind
        if _MEETS.search(rel):
            side = "meets"
        elif _SHORT.search(rel):
            side = "short"
        elif _UP.search(rel):
            side = "above"
        elif re.search(r"within|inside", rel, _I):
            side = "within"
        else:
            side = "below"
        negated = bool(_NEG.search(text[max(start, m.start() - 25) : m.start()]))
        out.append(DirectionWord(rel, m.start(), m.start() + len(rel), "vs_target", negated, f"{side}:{kind}"))
    for criterion, pattern in _HANDOFF_RE:
        for m in pattern.finditer(text, start, end):
            if any(w.start <= m.start() < w.end for w in out):
                continue
            clause_start = max(text.rfind(".", start, m.start()), text.rfind(";", start, m.start()), start - 1) + 1
            before = text[clause_start : m.start()]
            if _YESTERDAY.search(before):
                continue
            clause_end = min(
                [i for i in (text.find(".", m.end(), end), text.find(";", m.end(), end)) if i >= 0] or [end]
            )
            if criterion == "awaiting" and re.search(r"\d", text[clause_start:clause_end]):
                continue  # "0 exports are pending acknowledgement": the count says it (exports_pending)
            negated = criterion in ("not_exported", "not_acknowledged")
            if not negated and _NONE_OF.search(before):
                negated = True  # "no export is awaiting acknowledgement", "none was acknowledged"
            key = criterion.removeprefix("not_")
            out.append(DirectionWord(m.group(0), m.start(), m.end(), "readiness_check", negated, key))
    return sorted(out, key=lambda w: w.start)

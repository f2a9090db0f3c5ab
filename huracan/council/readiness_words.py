"""Readiness wording is a claim: "passed the readiness rule", "readiness failed on ECE",
"passed the ECE and training-sample checks but failed on AUC" (issue 11, red-team round).

Two kinds of :class:`~huracan.council.direction.DirectionWord` come from here:

* ``ready`` — the verdict: "passed / met / cleared the readiness rule" claims the model is
  ready, "readiness failed", "failed the readiness checks" that it is not (``negated``);
* ``readiness_check`` — one criterion of the verdict (``criterion``: a key of the
  snapshot's ``readiness.checks``: auc, ece, samples, exported, acknowledged): "passed the
  ECE check" claims it passed, "failed on AUC" that it failed.

Both are checked against :attr:`MetricsSnapshot.readiness` by
:func:`~huracan.council.direction.check_direction`. A pass/fail verb with no readiness word
and no criterion after it ("the cost gate passed 45.9 %") is not a readiness claim.
"""

from __future__ import annotations

import re

from huracan.council.direction import DirectionWord

__all__ = ["CRITERIA", "find_readiness_words"]

_I = re.IGNORECASE
#: Criterion key → the words a desk uses for it.
CRITERIA: dict[str, str] = {
    "auc": r"(?:out-of-time\s+|OOT\s+|model\s+)?AUC",
    "ece": r"(?:model\s+)?ECE|calibration(?:\s+error)?",
    "samples": r"(?:training[\s-])?samples?(?:[\s-](?:size|count))?|sample[\s-]size|training[\s-]sample",
    "exported": r"exports?|export(?:ed)?",
    "acknowledged": r"acknowledg(?:e?ment|ed)|acks?",
}
_CRITERION = "|".join(f"(?P<{k}>{p})" for k, p in CRITERIA.items())
_ANY = "(?:" + "|".join(CRITERIA.values()) + ")"
_PASS = r"passed|passes|pass|met|meets|cleared|clears|satisfied|satisfies"
_FAIL = r"failed|fails|fail|missed|misses|flunked"
_NEG = re.compile(r"\b(?:not|never|didn't|did not|doesn't|does not|hasn't|has not|haven't)\s+(?:\w+\s+)?$", _I)
_VERB = re.compile(rf"(?<![\w-])(?:(?P<pass>{_PASS})|(?P<fail>{_FAIL}))(?![\w-])", _I)
_RULE = r"(?:readiness|export|ship(?:ping)?)[\s-](?:rule|rules|check|checks|test|tests|criteria|criterion|bar|gate)"
#: "readiness failed", "the readiness check passed": the verdict as the subject.
_SUBJECT = re.compile(r"\breadiness(?:[\s-](?:rule|check|checks|test|verdict))?\s+(?:was\s+|has\s+)?$", _I)
#: "… the readiness rule", "… its readiness checks": the verdict as the object.
_OBJECT = re.compile(
    rf"^\s+(?:the\s+|its\s+|all\s+|every\s+)?(?:model'?s?\s+)?(?:{_RULE}|readiness(?=\s+(?:on|at|for|because)\b|\s*[.,;:]|\s*$))",
    _I,
)
_LIST_SEP = r"(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*,\s*and\s+)"
_CRITERIA_AFTER = re.compile(
    rf"^\s+(?:readiness\s+(?=on\b|at\b|for\b))?(?:on\s+|at\s+|the\s+|its\s+|both\s+|all\s+|for\s+)*(?P<list>{_ANY}"
    rf"(?:{_LIST_SEP}(?:the\s+)?{_ANY})*)(?P<tail>[\s-]+(?:checks?|tests?|criteria|"
    rf"criterion|bars?|minimums?|requirements?|thresholds?|rules?))?(?![\w-])",
    _I,
)
_ONE = re.compile(_CRITERION, _I)


def find_readiness_words(text: str, start: int = 0, end: int | None = None) -> list[DirectionWord]:
    """Readiness verdicts and criteria claimed in ``text[start:end]``."""
    end = len(text) if end is None else end
    out: list[DirectionWord] = []
    for m in _VERB.finditer(text, start, end):
        failing = m.group("fail") is not None
        negated = bool(_NEG.search(text[max(start, m.start() - 20) : m.start()]))
        says_pass = failing == negated  # "did not fail" passes; "did not pass" fails
        before, after = text[max(start, m.start() - 40) : m.start()], text[m.end() : end]
        verdict = _SUBJECT.search(before) or _OBJECT.match(after)
        crit = _CRITERIA_AFTER.match(after)
        # "failed on AUC" names a criterion; "passed the ECE check" too — but "AUC passed"
        # or "passed 45.9 %" do not.
        named = crit is not None and (
            crit.group("tail") or re.match(r"^\s+(?:readiness\s+)?on\b", after, _I) or verdict
        )
        if verdict:
            out.append(DirectionWord(m.group(0), m.start(), m.end(), "ready", not says_pass))
        if named and crit is not None:
            lo = m.end() + crit.start("list")
            for c in _ONE.finditer(crit.group("list")):
                key = next(k for k, v in c.groupdict().items() if v)
                out.append(
                    DirectionWord(c.group(0), lo + c.start(), lo + c.end(), "readiness_check", not says_pass, key)
                )
    return out

"""Numbers written in words: "seventy-four percent", "one hundred ninety-three", "a third",
"doubled", "halved", "twice", "three times".

A reader takes these as numbers, so the verifier must too (issue 11): "the win rate was
seventy percent" is a claim about the win rate exactly like "70 %".

Example::

    >>> [(w.text, w.value) for w in find_number_words("win rate of seventy-four percent, trades doubled")]
    [('seventy-four', 74.0), ('doubled', 2.0)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MULTIPLIER_WORDS", "NumberWords", "find_number_words"]

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_DIGIT_WORDS = {w: v for w, v in _UNITS.items() if v < 10}

#: Words that state a multiple of the baseline: "doubled" = today is 2x yesterday.
MULTIPLIER_WORDS: dict[str, float] = {
    "doubled": 2.0, "doubling": 2.0, "doubles": 2.0, "double": 2.0,
    "tripled": 3.0, "tripling": 3.0, "triples": 3.0, "triple": 3.0,
    "quadrupled": 4.0, "quadrupling": 4.0, "quadruples": 4.0,
    "halved": 0.5, "halving": 0.5, "halves": 0.5,
}  # fmt: skip

#: "a third of the signals", "two thirds of trades": shares, as a percent.
_FRACTIONS = {"half": 50.0, "third": 100 / 3, "thirds": 100 / 3, "quarter": 25.0, "quarters": 25.0}

_NUMBER_WORD = "|".join(sorted([*_UNITS, *_TENS, *_SCALES, "and", "point"], key=len, reverse=True))
_RUN = re.compile(rf"(?<![\w-])(?:(?:{_NUMBER_WORD})(?:[ \-]+|(?=\W)|$))+", re.IGNORECASE)
_MULT = re.compile(
    r"(?<![\w-])(?:(?P<word>" + "|".join(MULTIPLIER_WORDS) + r")|(?P<cut>cut in half)"
    r"|(?P<twice>twice)(?=\s+(?:as|the|yesterday|its|that|what|over|their)\b))(?![\w-])",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    r"(?<![\w-])(?:(?P<count>a|an|one|two|three)[ \-])?(?P<frac>half|thirds?|quarters?)(?=\s+(?:of|the)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z]+")
_TIMES = re.compile(r"^\s+times\s+(?:as|higher|larger|lower|smaller|more|bigger|the|yesterday|its|over|what)\b", re.I)


@dataclass(frozen=True)
class NumberWords:
    """A number written in words; ``kind`` is ``number``, ``multiplier`` or ``share``."""

    text: str
    start: int
    end: int
    value: float
    kind: str
    decimals: int = 0


def _parse(words: list[str]) -> tuple[float, int] | None:
    """(value, decimals) of a run of number words, or None if it is not one number."""
    total, current, seen = 0, 0, False
    decimals: list[int] = []
    in_point = False
    for w in words:
        if w == "and":
            continue
        if w == "point":
            if in_point or not seen:
                return None
            in_point = True
            continue
        if in_point:
            if w not in _DIGIT_WORDS:
                return None
            decimals.append(_DIGIT_WORDS[w])
            continue
        seen = True
        if w in _UNITS:
            if current % 10 and current % 100 > 9:  # "twenty one" fine, "one one" is not one number
                return None
            current += _UNITS[w]
        elif w in _TENS:
            if current % 100:
                return None
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        else:  # thousand, million, billion
            total += max(current, 1) * _SCALES[w]
            current = 0
    if not seen:
        return None
    value = float(total + current)
    if decimals:
        value += float("0." + "".join(str(d) for d in decimals))
    return value, len(decimals)


def find_number_words(text: str) -> list[NumberWords]:
    """Every number written in words in ``text`` (counts, multipliers, shares), in order."""
    out: list[NumberWords] = []
    taken: list[tuple[int, int]] = []
    for m in _MULT.finditer(text):
        factor = 0.5 if m.group("cut") else 2.0 if m.group("twice") else MULTIPLIER_WORDS[m.group(0).lower()]
        out.append(NumberWords(m.group(0), m.start(), m.end(), factor, "multiplier"))
        taken.append((m.start(), m.end()))
    for m in _FRACTION.finditer(text):
        if m.group("count") is None and (
            m.group("frac").lower() != "half"
            or re.match(r"^\s+of\s+(?:\S+\s+){0,2}?(?:yesterday|[\d.,]+\b)", text[m.end() :])
        ):
            continue  # "third of the gates": an ordinal; "half of yesterday's 156": a multiple, not a share
        count = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}[(m.group("count") or "a").lower()]
        out.append(NumberWords(m.group(0), m.start(), m.end(), count * _FRACTIONS[m.group("frac").lower()], "share"))
        taken.append((m.start(), m.end()))
    for m in _RUN.finditer(text):
        words = [(w.group(0).lower(), m.start() + w.start(), m.start() + w.end()) for w in _WORD.finditer(m.group(0))]
        while words and words[0][0] in ("and", "point"):
            words.pop(0)
        while words and words[-1][0] in ("and", "point"):  # "one and …": the run ends before "and"
            words.pop()
        if not words:
            continue
        start, end = words[0][1], words[-1][2]
        if any(s < end and start < e for s, e in taken):
            continue
        parsed = _parse([w for w, _, _ in words])
        if parsed is None:
            continue
        value, decimals = parsed
        kind = "multiplier" if _TIMES.match(text[end:]) else "number"
        out.append(NumberWords(text[start:end], start, end, value, kind, decimals))
    return sorted(out, key=lambda w: w.start)

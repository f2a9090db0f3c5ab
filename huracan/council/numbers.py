"""Finding the numbers in a text as a reader sees them, and the policy of which are not claims.

Extracted (each a :class:`NumberToken`): integers, decimals, thousands separators
(``5,412``), e-notation (``4.1e-2``), signs including the unicode minus and an en dash
used as one (``−3.1 pp``, ``–2.74 bps``), percentages (``61.3 %``, ``74 percent``,
``12 pct``), percentage points (``pp``, ``points``), basis points, durations (``450 ms``,
``2.5 s``, ``42 min``), money (``$3M``), magnitudes (``1.2k``, ``1.5 million``, ``2 bn``),
ratios (``3:1``, ``70:30``, ``8 to 1``, ``3x``), multiples of the baseline (``2.5-fold``,
``doubled``, ``halved``, ``three times``), numbers in words (``seventy-four percent``,
``one hundred ninety-three``, ``two thirds of``), numbers glued to a metric's name
(``AUC0.772``), both ends of ranges (``0.65–0.70``), and the bound a word puts on a
number (``above 60 %``, ``at most 0.10``). Dates are claims too; they are found by
:mod:`huracan.council.dates`.

Policy — these are *not* claims and need no match (:data:`POLICY`):

* clock times (``00:15``, ``06:00 UTC``) and URLs;
* identifiers: version strings (``v42``), model names (``gpt-4o``), ids (``sharpe_7d``,
  ``#123``) — unless the letters before the digits are a metric's name (``AUC0.772``);
* numbers glued to a word that is not a unit: sha prefixes (``3f9a2c1``), window labels
  (``7d``, ``7-day``), ordinals (``3rd``), and windows in words (``the last 7 days``);
* list markers at the start of a line (``1.``, ``2)``);
* digits inside a metric's id, name or synonym (``Sharpe ratio (30 days)``);
* small numbers in words that count nothing ("one of the gates").

Example::

    >>> [t.text for t in extract_numbers("AUC 0.712 (+0.012) by gpt-4o; 5,412 trades; doubled")]
    ['0.712', '+0.012', '5,412', 'doubled']
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from huracan.council.dates import find_dates
from huracan.council.numwords import find_number_words

__all__ = ["COUNT_NOUNS", "POLICY", "NumberToken", "extract_numbers", "ignored_spans"]

#: Why a number-like token needs no match; keys are the reasons ``ignored_spans`` reports.
POLICY: dict[str, str] = {
    "url": "part of a URL",
    "time": "a clock time (00:15, 06:00 UTC)",
    "identifier": "part of an identifier: version (v42), model name (gpt-4o), id (sharpe_7d, #123)",
    "list_marker": "an ordinal list marker at the start of a line (1., 2))",
    "metric_name": "part of a metric's id, name or synonym as the snapshot spells it",
    "label": "glued to a word that is not a unit: sha prefix (3f9a2c1), window (7d, 7-day), ordinal (3rd)",
    "window": "a window in words (the last 7 days, over 30 days)",
}

#: Nouns that make the number before them a count ("on 964 predictions").
COUNT_NOUNS = (
    "trades|signals|samples|observations|predictions|outcomes|decisions|blocks|events|exports|models|alerts|"
    "sessions|winners|losers|acknowledgements|acks|drops|duplicates|orphans|rejections|violations|positions|"
    "gates|runs|days|bins|records|rows|points"
)

_SINGULAR = "|".join(w[:-1] for w in COUNT_NOUNS.split("|") if w.endswith("s") and w not in ("days", "points"))

_IGNORE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("url", re.compile(r"https?://\S+")),
    ("time", re.compile(r"(?<![\d:.])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?![\d:])")),
    ("identifier", re.compile(r"(?<![\w$])[A-Za-z_][\w\-]*\d[\w\-]*(?:\.\d[\w\-]*)*")),
    ("identifier", re.compile(r"#\d+\b")),
    ("list_marker", re.compile(r"(?m)^[ \t]*(?:[-*][ \t]+)?\d{1,2}[.)](?=[ \t])")),
    (
        "window",
        re.compile(
            r"(?i)(?:\b(?:last|past|previous|prior|trailing|over|the|a|its|of|this|in|within)\s|\()(?P<n>\d{1,3})(?=[ \-]"
            r"(?:days?|hours?|weeks?|months?)\b)"
        ),
    ),
]

_UNIT_WORDS = (
    r"%|percentage[ \-]points?|percent|per[ \-]cent|pct|pp|points?|pts|basis[ \-]points?|bps|bp|ms|milliseconds?|"
    r"seconds?|secs?|s|minutes?|mins?|min|hours?|hrs?|h|x|×|[ \-]fold"
)
_NUMBER_RE = re.compile(
    rf"""
    (?<![\w.])
    (?P<sign>[+\-−±–])?
    (?P<cur>\$)?
    (?P<body>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|\.\d+)
    (?P<exp>[eE][+\-−]?\d+)?
    (?:[ \u00a0]?(?P<mult>bn|mn|mln|[kKMB]|thousand|million|billion)(?![A-Za-z]))?
    (?:[ \u00a0]?(?P<suf>{_UNIT_WORDS})(?![A-Za-z0-9_]))?
    """,
    re.VERBOSE,
)
_RATIO_RE = re.compile(r"(?<![\w.:])(?P<a>\d+(?:\.\d+)?)\s?:\s?(?P<b>\d+(?:\.\d+)?)(?![\w:]|\.\d)")
#: "8 to 1" — but not "318.5 to 1,534.8" (a range) nor "to 1.5"
_TO_ONE_RE = re.compile(r"(?<![\w.,])(?P<a>\d+(?:\.\d+)?)\s+to\s+(?P<b>1)(?![\w%]|[.,]\d)")
_WORD_UNIT = re.compile(r"^\s*(?P<suf>" + _UNIT_WORDS.replace("|s|", "|").replace("|h|", "|") + r")(?![A-Za-z])", re.I)
#: "one model", "one export": a small number counts a singular noun too
_COUNTED = re.compile(rf"^\s+(?:[A-Za-z\-']+\s+)?(?:{COUNT_NOUNS}|{_SINGULAR})\b", re.I)
#: Past 10**300 a float overflows (and past 10**-300 underflows to zero).
_MAX_EXP = 300
_MULT = {"k": 1e3, "K": 1e3, "M": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "thousand": 1e3}
_MULT.update({"B": 1e9, "bn": 1e9, "billion": 1e9})
_APPROX = re.compile(r"(?:\b(?:about|around|roughly|approximately|approx\.?|nearly|almost|some)|~|≈)\s*$", re.I)
_GE = re.compile(
    r"(?:\b(?:above|over|more than|greater than|at least|exceeding|exceeds?|beyond|upwards of)|>=?|≥)\s*$", re.I
)
_LE = re.compile(r"(?:\b(?:below|under|less than|fewer than|at most|no more than|lower than)|<=?|≤)\s*$", re.I)
_RANGE_SEP = re.compile(r"\s?[–—-]\s?|\s+to\s+|\s+and\s+")
_GLUED = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z_&\-]*?)[_=:]?(?P<num>[+\-−]?\d[\d,]*(?:\.\d+)?)(?P<suf>%|bps|pp|ms|x)?$"
)

#: Relative tolerance of a multiple written without digits ("doubled" covers 1.85x-2.15x).
MULTIPLE_TOLERANCE = 0.075


@dataclass(frozen=True)
class NumberToken:
    """A number as printed.

    ``value`` is in the printed unit (``61.3 %`` → 61.3; ``1.2k`` → 1200), signed when a
    sign was printed. ``tolerance`` is half a unit of the last printed digit: the
    rounding the printed precision allows (doubled for "about"). ``kind``: ``number``;
    ``multiplier`` (a multiple of the baseline: "doubled", "2.5-fold"); ``ratio`` ("3:1";
    ``share`` is then a/(a+b) in percent); ``share`` ("two thirds of", in percent).
    ``bound`` is ``ge`` / ``le`` when a word makes it a bound ("above 60 %").
    """

    text: str
    start: int
    end: int
    value: float
    tolerance: float
    signed: bool
    unit: str  # "", "%", "pp", "bps", "ms", "s", "min", "h", "x", "$"
    kind: str = "number"
    bound: str | None = None
    approx: bool = False
    share: float | None = None


def _unit(suffix: str) -> str:
    s = suffix.lower().replace("-", " ").strip()
    if s in ("%", "percent", "per cent", "pct"):
        return "%"
    if s.startswith(("percentage point", "point", "pt")) or s == "pp":
        return "pp"
    if s.startswith("basis point") or s in ("bps", "bp"):
        return "bps"
    if s.startswith("millisecond") or s == "ms":
        return "ms"
    if s.startswith(("second", "sec")) or s == "s":
        return "s"
    if s.startswith("min"):
        return "min"
    if s.startswith(("hour", "hr")) or s == "h":
        return "h"
    if s in ("x", "×"):
        return "x"
    return "fold" if s.endswith("fold") else s


def ignored_spans(text: str, names: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """Spans of ``text`` whose digits are not claims, with the :data:`POLICY` reason.

    ``names`` are metric ids, names and synonyms: digits inside them are part of the
    name (``Sharpe ratio (30 days)``), not a value; an identifier whose letters are a name
    followed by a number (``AUC0.772``) is a claim and is not ignored.
    """
    names = tuple(names)
    lowered_names = _lowered(names)
    spans: list[tuple[int, int, str]] = []
    for reason, pat in _IGNORE_PATTERNS:
        for m in pat.finditer(text):
            if reason == "identifier" and _glued_claim(m.group(0), lowered_names):
                continue
            g = "n" if "n" in pat.groupindex else 0
            spans.append((m.start(g), m.end(g), reason))
    lowered = text.lower()
    for name in _with_digits(names):
        for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", lowered):
            spans.append((m.start(), m.end(), "metric_name"))
    return sorted(spans)


@lru_cache(maxsize=8)
def _lowered(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


@lru_cache(maxsize=8)
def _with_digits(names: tuple[str, ...]) -> tuple[str, ...]:
    """The names with digits in them ("sharpe ratio (30 days)"), once per lexicon."""
    return tuple(n for n in _lowered(names) if any(ch.isdigit() for ch in n))


@lru_cache(maxsize=8)
def _underscored(names: frozenset[str]) -> frozenset[str]:
    return names | {n.replace(" ", "_") for n in names}


def _glued_claim(ident: str, names: frozenset[str]) -> re.Match[str] | None:
    m = _GLUED.match(ident)
    if m and m.group("name").lower().strip("_-") in _underscored(names):
        return m
    return None


def _covered(start: int, end: int, spans: Iterable[tuple[int, int, str]]) -> bool:
    return any(s < end and start < e for s, e, _ in spans)


def _context(text: str, start: int) -> tuple[bool, str | None]:
    before = text[max(0, start - 20) : start]
    bound = "ge" if _GE.search(before) else "le" if _LE.search(before) else None
    return bool(_APPROX.search(before)), bound


def _token(text: str, m: re.Match[str], start: int, end: int, unsigned: bool = False) -> NumberToken:
    body = m.group("body")
    decimals = len(body.split(".")[1]) if "." in body else 0
    exp = int((m.groupdict().get("exp") or "e0")[1:].replace("−", "-"))
    # An exponent beyond a float's range ("1e999999999", or a hex id like "309e41539305")
    # used to raise OverflowError out of publish(); "1e-999" became 0.0 and could pass as a
    # zero. Such a number is no value of any metric: infinite, with no tolerance, it fails.
    huge = abs(exp) > _MAX_EXP
    mult = _MULT.get(m.groupdict().get("mult") or "", 1.0) * (1.0 if huge else 10.0**exp)
    sign = "" if unsigned else m.groupdict().get("sign") or ""
    magnitude = math.inf if huge else float(body.replace(",", "")) * mult
    value = -magnitude if sign in ("-", "−", "–") else magnitude
    unit = "$" if m.groupdict().get("cur") else _unit(m.groupdict().get("suf") or "")
    approx, bound = _context(text, start)
    unit_step = 10.0**-decimals * mult
    # "about 12 minutes" (11.9): a hedge widens the rounding to a whole last digit, but
    # never past 5 % of the number
    tol = 0.5 * unit_step if not approx else max(0.5 * unit_step, min(unit_step, 0.05 * magnitude))
    tol = 0.0 if not math.isfinite(magnitude) else tol
    digits = body.replace(",", "")
    zeros = 0 if "." in digits or not digits.strip("0") else len(digits) - len(digits.rstrip("0"))
    if approx and zeros and math.isfinite(magnitude):
        # "about 1,000 signals" (1,020), "roughly 11,000 samples" (10,897): a hedged round
        # number's zeros are not digits; within half its last unit, and never beyond 5 %
        tol = max(tol, min(0.5 * 10.0**zeros * mult, 0.05 * magnitude))
    kind = "number"
    if unit == "fold":
        kind, unit, tol = "multiplier", "", max(tol, MULTIPLE_TOLERANCE * magnitude)
    return NumberToken(text[start:end], start, end, value, tol, sign in ("+", "-", "−", "–"), unit, kind, bound, approx)


def _ratios(text: str, skip: list[tuple[int, int, str]]) -> list[NumberToken]:
    out = []
    for pat in (_RATIO_RE, _TO_ONE_RE):
        for m in pat.finditer(text):
            if _covered(m.start(), m.end(), skip) or re.search(r"\b(?:from|between)\s+$", text[: m.start()]):
                continue
            a, b = float(m.group("a")), float(m.group("b"))
            if b == 0:
                continue
            decimals = max(len(x.split(".")[1]) if "." in x else 0 for x in (m.group("a"), m.group("b")))
            tol = 0.5 * 10.0**-decimals / b
            out.append(
                NumberToken(m.group(0), m.start(), m.end(), a / b, tol, False, "x", "ratio", share=100 * a / (a + b))
            )
    return out


def _words(text: str, skip: list[tuple[int, int, str]], taken: list[tuple[int, int, str]]) -> list[NumberToken]:
    out = []
    for w in find_number_words(text):
        if _covered(w.start, w.end, skip) or _covered(w.start, w.end, taken):
            continue
        approx, bound = _context(text, w.start)
        if w.kind == "multiplier":
            out.append(
                NumberToken(
                    w.text, w.start, w.end, w.value, MULTIPLE_TOLERANCE * w.value, False, "", "multiplier", bound
                )
            )
            continue
        if w.kind == "share":
            out.append(NumberToken(w.text, w.start, w.end, w.value, 2.0, False, "%", "share", bound, True))
            continue
        unit_m = _WORD_UNIT.match(text[w.end :])
        end = w.end + unit_m.end() if unit_m else w.end
        small = w.value <= 10 and " " not in w.text.strip() and "-" not in w.text
        if small and not unit_m and not _COUNTED.match(text[w.end :]):
            continue  # "one of the gates": counts nothing
        tol = 0.5 * 10.0**-w.decimals * (2 if approx else 1)
        unit = _unit(unit_m.group("suf")) if unit_m else ""
        out.append(NumberToken(text[w.start : end], w.start, end, w.value, tol, False, unit, "number", bound, approx))
    return out


def extract_numbers(text: str, names: Iterable[str] = ()) -> list[NumberToken]:
    """Every number in ``text`` that is a claim (see the module's policy), in order."""
    names = tuple(names)
    # Dates are claims of their own (huracan.council.dates), never numbers.
    skip = ignored_spans(text, names) + [(d.start, d.end, "date") for d in find_dates(text, 2000)]
    tokens: list[NumberToken] = _ratios(text, skip)
    taken = [(t.start, t.end, "ratio") for t in tokens]
    for m in _NUMBER_RE.finditer(text):
        start, end = m.start(), m.end()
        if m.group("sign") == "–" and start > 0 and (text[start - 1].isalnum() or text[start - 1] in "%$"):
            start += 1  # "0.65–0.70", "43.4 %–66.5 %": a range, not a minus
        nxt = text[end : end + 2]
        if nxt[:1].isalnum() or nxt[:1] == "_" or (nxt[:1] == "-" and nxt[1:2].isalpha() and not m.group("suf")):
            continue  # glued to a word that is not a unit: 7d, 3rd, 3f9a2c1, 7-day
        if _covered(start, end, skip) or _covered(start, end, taken):
            continue
        tokens.append(_token(text, m, start, end, unsigned=start != m.start()))
    lowered = _lowered(names)
    for s, e, reason in ignored_spans(text):
        if reason == "identifier" and (g := _glued_claim(text[s:e], lowered)):
            inner = _NUMBER_RE.match(g.group("num") + (g.group("suf") or ""))
            if inner:
                off = s + g.start("num")
                tokens.append(_token(text, inner, off, off + inner.end()))
    taken += [(t.start, t.end, "number") for t in tokens]
    tokens += _words(text, skip, taken)
    return _propagate_ranges(text, sorted(tokens, key=lambda t: t.start))


def _propagate_ranges(text: str, tokens: list[NumberToken]) -> list[NumberToken]:
    """``61–64 %``: the first end of a range takes the unit printed after the second."""
    out = list(tokens)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        sep = text[a.end : b.start]
        if not _RANGE_SEP.fullmatch(sep) or a.kind != "number" or b.kind != "number":
            continue
        if not a.unit and b.unit and b.unit != "$":
            out[i] = replace(a, unit=b.unit)
        elif a.unit == "$" and not b.unit:
            out[i + 1] = replace(b, unit="$")
    return out

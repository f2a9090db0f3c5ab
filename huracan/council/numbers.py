"""Finding the numbers in a text, and the explicit policy of which ones are not claims.

Every number-like token is extracted: integers, decimals, percentages (``61.3 %``),
percentage points (``−3.1 pp``), basis points (``12 bps``), signed changes
(``+0.012``), thousands separators (``5,412``), multipliers (``1.2k``, ``$3M``),
durations (``450 ms``, ``2.5 s``), ratios (``1.8x``) and both ends of ranges
(``0.65–0.70``, ``61–64 %``).

Policy — these are *not* claims about the snapshot and need no match (:data:`POLICY`):

* dates and timestamps (``2025-11-06``, ``2025-11-06T00:15:00Z``) and clock times
  (``00:15``, ``06:00 UTC``);
* identifiers: any word that starts with a letter and contains a digit — version
  strings (``v42``, ``v1.2.3``), model names (``gpt-4o``, ``claude-3-5-haiku``), metric
  ids (``sharpe_7d``), ticket numbers (``#123``);
* numbers glued to letters that are not a unit: sha prefixes (``3f9a2c1``), window labels
  (``7d``, ``24h``, ``7-day``), ordinals (``3rd``);
* list markers at the start of a line (``1.``, ``2)``);
* numbers inside a metric's id or name as the snapshot spells it, and inside URLs.

Example::

    >>> [t.text for t in extract_numbers("AUC 0.712 (+0.012) on 2025-11-06 by gpt-4o; 5,412 trades")]
    ['0.712', '+0.012', '5,412']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = ["POLICY", "NumberToken", "extract_numbers", "ignored_spans"]

#: Why a number-like token needs no match; keys are the reasons ``ignored_spans`` reports.
POLICY: dict[str, str] = {
    "url": "part of a URL",
    "date": "a date or timestamp (2025-11-06, 2025-11-06T00:15Z)",
    "time": "a clock time (00:15, 06:00 UTC)",
    "identifier": "part of an identifier: version (v42), model name (gpt-4o), id (sharpe_7d, #123)",
    "list_marker": "an ordinal list marker at the start of a line (1., 2))",
    "metric_name": "part of a metric's id or name as the snapshot spells it",
    "label": "glued to a word that is not a unit: sha prefix (3f9a2c1), window (7d, 7-day), ordinal (3rd)",
}

_IGNORE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("url", re.compile(r"https?://\S+")),
    (
        "date",
        re.compile(
            r"(?<!\d)\d{4}[-/]\d{2}[-/]\d{2}"
            r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?(?!\d)"
        ),
    ),
    ("time", re.compile(r"(?<![\d:.])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])")),
    ("identifier", re.compile(r"(?<![\w$])[A-Za-z_][\w\-]*\d[\w\-]*(?:\.\d[\w\-]*)*")),
    ("identifier", re.compile(r"#\d+\b")),
    ("list_marker", re.compile(r"(?m)^[ \t]*(?:[-*][ \t]+)?\d{1,2}[.)](?=[ \t])")),
]

_NUMBER_RE = re.compile(
    r"""
    (?<![\w.])
    (?P<sign>[+\-−±])?
    (?P<cur>\$)?
    (?P<body>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)
    (?:(?P<mult>bn|[kKMB])(?![A-Za-z]))?
    (?:[ \u00a0]?(?P<suf>%|pp|bps|bp|ms|s|x)(?![A-Za-z0-9_]))?
    """,
    re.VERBOSE,
)
_MULT = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9}
_RANGE_SEP = re.compile(r"\s?[–—-]\s?|\s+to\s+")


@dataclass(frozen=True)
class NumberToken:
    """A number as printed.

    ``value`` is in the printed unit (``61.3 %`` → 61.3; ``1.2k`` → 1200), signed when
    a sign was printed. ``tolerance`` is half a unit of the last printed digit: the
    rounding the printed precision allows.
    """

    text: str
    start: int
    end: int
    value: float
    tolerance: float
    signed: bool
    unit: str  # "", "%", "pp", "bps", "ms", "s", "x", "$"


def ignored_spans(text: str, names: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """Spans of ``text`` whose digits are not claims, with the :data:`POLICY` reason.

    ``names`` are metric ids and names from the snapshot: digits inside them are part
    of the name (``Sharpe 30d``), not a value.
    """
    spans: list[tuple[int, int, str]] = []
    for reason, pat in _IGNORE_PATTERNS:
        spans.extend((m.start(), m.end(), reason) for m in pat.finditer(text))
    lowered = text.lower()
    for name in names:
        if not any(ch.isdigit() for ch in name):
            continue
        for m in re.finditer(r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)", lowered):
            spans.append((m.start(), m.end(), "metric_name"))
    return sorted(spans)


def _covered(start: int, end: int, spans: list[tuple[int, int, str]]) -> bool:
    return any(s < end and start < e for s, e, _ in spans)


def extract_numbers(text: str, names: Iterable[str] = ()) -> list[NumberToken]:
    """Every number in ``text`` that is a claim (see the module's policy), in order."""
    skip = ignored_spans(text, names)
    tokens: list[NumberToken] = []
    for m in _NUMBER_RE.finditer(text):
        end = m.end()
        nxt = text[end : end + 2]
        if nxt[:1].isalnum() or nxt[:1] == "_" or (nxt[:1] == "-" and nxt[1:2].isalpha()):
            continue  # glued to a word that is not a unit: 7d, 3rd, 3f9a2c1, 7-day
        if _covered(m.start(), end, skip):
            continue
        body = m.group("body")
        decimals = len(body.split(".")[1]) if "." in body else 0
        mult = _MULT.get(m.group("mult") or "", 1.0)
        sign = m.group("sign") or ""
        magnitude = float(body.replace(",", "")) * mult
        value = -magnitude if sign in "-−" and sign else magnitude
        unit = "$" if m.group("cur") else (m.group("suf") or "")
        if unit == "bp":
            unit = "bps"
        tokens.append(
            NumberToken(
                text=m.group(0),
                start=m.start(),
                end=end,
                value=value,
                tolerance=0.5 * 10.0**-decimals * mult,
                signed=sign in ("+", "-", "−"),
                unit=unit,
            )
        )
    return _propagate_ranges(text, tokens)


def _propagate_ranges(text: str, tokens: list[NumberToken]) -> list[NumberToken]:
    """``61–64 %``: the first end of a range takes the unit printed after the second."""
    out = list(tokens)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        sep = text[a.end : b.start]
        if not _RANGE_SEP.fullmatch(sep):
            continue
        if not a.unit and b.unit and b.unit != "$":
            out[i] = replace(a, unit=b.unit)
        elif a.unit == "$" and not b.unit:
            out[i + 1] = replace(b, unit="$")
    return out

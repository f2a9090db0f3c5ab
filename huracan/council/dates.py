"""Dates in a text, and which of them a snapshot can vouch for.

A date is a claim (issue 11): "On 2026-11-29 the AUC was 0.699" must fail when the
snapshot is of 2025-11-30. A date passes only when it is the snapshot's own day or the trading
day its day-over-day comparisons are against (numbers about that day are yesterday's).

Forms understood: ISO (``2025-11-06``, ``2025/11/06``, with an optional time), month
names (``Nov 6``, ``November 6, 2025``, ``6 November 2025``, ``6th of Nov``), with or
without a weekday. A month-and-day without a year takes the snapshot's year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from huracan.analytics.snapshot import MetricsSnapshot

__all__ = ["DateToken", "allowed_dates", "find_dates", "what_date"]

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d{2}))?"
_PATTERNS = [
    re.compile(
        r"(?<![\w.])(?P<year>\d{4})[-/](?P<month>\d{2})[-/](?P<day>\d{2})"
        r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?(?![\w])"
    ),
    re.compile(rf"(?<![\w]){_MONTH}\s+{_DAY}(?![\w]){_YEAR}", re.IGNORECASE),
    re.compile(rf"(?<![\w.]){_DAY}\s+(?:of\s+)?{_MONTH}(?![\w]){_YEAR}", re.IGNORECASE),
]
_WEEKDAY = re.compile(r"(?<![\w-])(?P<w>mon|tues|wednes|thurs|fri|satur|sun)day(?:'s|’s)?(?![\w-])", re.IGNORECASE)
_WEEKDAYS = ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun")
#: 12/03/2026 or 03.12.2026: month/day (US) or day/month (most of the world) — either reading.
_NUMERIC = re.compile(r"(?<![\w./])(?P<a>\d{1,2})([/.])(?P<b>\d{1,2})\2(?P<year>(?:19|20)\d{2})(?![\w/]|\.\d)")


@dataclass(frozen=True)
class DateToken:
    """A date as printed; ``day`` is None when it names no real date (2025-02-30)."""

    text: str
    start: int
    end: int
    day: date | None
    year_given: bool
    #: every reading of an ambiguous numeric date (12/03/2026: Dec 3 or 12 Mar)
    readings: tuple[date, ...] = ()
    #: a weekday named alone ("on Thursday"): 0 = Monday
    weekday: int | None = None


def _month(raw: str) -> int:
    return int(raw) if raw.isdigit() else _MONTHS[raw.lower().rstrip(".")]


def find_dates(text: str, default_year: int) -> list[DateToken]:
    """Every date in ``text`` in order; a date without a year takes ``default_year``."""
    found: list[DateToken] = []
    for pat in _PATTERNS:
        for m in pat.finditer(text):
            if any(d.start < m.end() and m.start() < d.end for d in found):
                continue
            if m.group("month") == "may":  # the verb, not the month
                continue
            year = m.group("year")
            try:
                day: date | None = date(
                    int(year) if year else default_year, _month(m.group("month")), int(m.group("day"))
                )
            except ValueError:
                day = None
            found.append(DateToken(m.group(0), m.start(), m.end(), day, year is not None, (day,) if day else ()))
    for m in _NUMERIC.finditer(text):
        if any(d.start < m.end() and m.start() < d.end for d in found):
            continue
        readings = []
        for mo, dy in ((m.group("a"), m.group("b")), (m.group("b"), m.group("a"))):
            try:
                readings.append(date(int(m.group("year")), int(mo), int(dy)))
            except ValueError:
                pass
        readings = list(dict.fromkeys(readings))
        found.append(
            DateToken(m.group(0), m.start(), m.end(), readings[0] if readings else None, True, tuple(readings))
        )
    for m in _WEEKDAY.finditer(text):
        if not any(d.start <= m.end() + 2 and m.start() <= d.end + 2 for d in found):  # "Thursday, Dec 3": one date
            wd = _WEEKDAYS.index(m.group("w").lower())
            found.append(DateToken(m.group(0), m.start(), m.end(), None, False, (), wd))
    return sorted(found, key=lambda d: d.start)


def what_date(token: DateToken, allowed: dict[date, str]) -> str | None:
    """What ``token`` is to the snapshot (``snapshot_date``, ``previous_day``), None if nothing."""
    if token.weekday is not None:  # the most recent day it can be
        return next((what for d, what in sorted(allowed.items(), reverse=True) if d.weekday() == token.weekday), None)
    return next((allowed[d] for d in token.readings if d in allowed), None)


def allowed_dates(snapshot: MetricsSnapshot) -> dict[date, str]:
    """The dates a text about ``snapshot`` may name → what each one is: its data day and
    the trading day its day-over-day comparisons are against (the calendar's, else the
    day before). Not the day it was generated: no number of the snapshot is of that day."""
    cal = snapshot.calendar
    previous = cal.previous_day if cal is not None and cal.previous_day is not None else None
    return {snapshot.date: "snapshot_date", previous or snapshot.date - timedelta(days=1): "previous_day"}

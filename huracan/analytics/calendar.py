"""Trading days: should the Engine have sent data on a day, or was its market closed?

A weekend or a holiday without bars is not an outage, and zero signals on a closed day
is not a finding: it is *no data* (#12). A day is a **trading day** when the Engine
logged anything on it; a day without any Engine data is decided by
``analytics.trading_calendar``:

* ``auto`` (default): closed — "no data", never critical. The reason says whether the
  Engine usually sends data on that weekday (then it was a holiday, or an outage the
  daemon's dead-man switch reported while it happened);
* ``always``: every day trades (crypto, 24/7): a silent day is an outage;
* ``weekdays``: Monday to Friday trade (FX, equities): a silent weekday is an outage.

``analytics.holidays`` lists closed days for every calendar (Christmas, New Year).

Example::

    >>> weekdays = {date(2018, 1, 1) + timedelta(days=k): 30 for k in range(33) if k % 7 < 5}
    >>> classify(date(2018, 2, 3), weekdays, load_config()).reason
    'Saturday: market closed (the Engine sent no data on the last 4 Saturdays)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from huracan.events import EVENT_TYPES

__all__ = ["ENGINE_ACTIVITY_SQL", "LOOKBACK_DAYS", "DayKind", "classify", "day_kinds"]

#: How far back ``auto`` looks for the same weekday.
LOOKBACK_DAYS = 28
_WEEKDAY = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: Engine events per day (a daily query for the metrics computer's cache).
ENGINE_ACTIVITY_SQL = (
    "SELECT day, sum(n) AS rows FROM ("
    + " UNION ALL ".join(
        f"SELECT day, count(*) AS n FROM v_{t} WHERE source = 'engine' AND day BETWEEN {{start}} AND {{end}} "
        "GROUP BY day"
        for t in sorted(EVENT_TYPES)
    )
    + ") GROUP BY day"
)


@dataclass(frozen=True)
class DayKind:
    """Whether ``day`` is a trading day, why, and how many Engine events it holds."""

    day: date
    trading: bool
    reason: str
    engine_events: int


def classify(day: date, activity: Mapping[date, int], settings: Any) -> DayKind:
    """Is ``day`` a trading day, given Engine events per day (``activity``) around it?"""
    a = settings.analytics
    own = int(activity.get(day, 0))
    name = _WEEKDAY[day.weekday()]
    if own > 0:
        return DayKind(day, True, f"the Engine logged {own:,} events", own)
    if day in set(a.holidays):
        return DayKind(day, False, f"{day.isoformat()} is a holiday (analytics.holidays): market closed", 0)
    if a.trading_calendar == "always":
        return DayKind(day, True, "every day trades (analytics.trading_calendar: always)", 0)
    if a.trading_calendar == "weekdays":
        if day.weekday() >= 5:
            return DayKind(day, False, f"{name}: market closed (analytics.trading_calendar: weekdays)", 0)
        return DayKind(day, True, f"{name} is a trading day (analytics.trading_calendar: weekdays)", 0)
    earlier = [day - timedelta(days=k) for k in range(1, LOOKBACK_DAYS + 1)]
    if not any(activity.get(d, 0) for d in earlier):
        return DayKind(day, False, f"no Engine data on {day.isoformat()} nor in the {LOOKBACK_DAYS} days before", 0)
    same = [d for d in earlier if d.weekday() == day.weekday()]
    if not any(activity.get(d, 0) for d in same):
        return DayKind(
            day, False, f"{name}: market closed (the Engine sent no data on the last {len(same)} {name}s)", 0
        )
    return DayKind(
        day,
        False,
        f"no Engine data at all on this {name}, a day it usually trades: a holiday (list it in "
        "analytics.holidays) or an outage (analytics.trading_calendar: always or weekdays makes that critical)",
        0,
    )


def day_kinds(cache: Any, days: Sequence[date], settings: Any) -> dict[date, DayKind]:
    """:func:`classify` for each of ``days`` from the metrics computer's query cache."""
    by_day = cache.fetch(ENGINE_ACTIVITY_SQL, LOOKBACK_DAYS, 0)
    activity = {d: int(rows[0]["rows"] or 0) for d, rows in by_day.items() if rows}
    return {d: classify(d, activity, settings) for d in days}

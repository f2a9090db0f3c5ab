"""The one rule for "the day": which UTC day a per-day report is about when none is given.

The day is **the last UTC day holding Engine data** — signals, or shadow outcomes, logged
by the Engine (``source = 'engine'``). Not Huracan's own alerts (the daemon's 00:15 alert
about yesterday is not a day of data), not Hamilton-only days, and never a day beyond
the clock-skew allowance (:func:`huracan.events.future_cutoff`): ingest rejects such
timestamps, and a store that holds some from before is not fooled by them.

Every per-day command (``metrics``, ``gates report``, ``learning summary``, ``digest
render|send``, ``council run``, ``trace stats``, ``trades stats --date``), the dashboard
and the daemon's status use :func:`report_day`, so with no ``--date`` they all report
the same day (#12).

Example::

    >>> report_day(conn)                       # doctest: +SKIP
    datetime.date(2018, 2, 6)
    >>> report_day(conn, date(2018, 2, 3))     # an explicit day always wins  # doctest: +SKIP
    datetime.date(2018, 2, 3)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from huracan.events import future_cutoff

__all__ = ["ENGINE_DAY_SQL", "LOOKBACK_SPANS", "engine_days", "last_data_day", "report_day"]

#: The last day with Engine signals or outcomes, not after the bound (``?`` twice).
ENGINE_DAY_SQL = """SELECT max(d) AS d FROM (
  SELECT max(day) AS d FROM v_signal WHERE source = 'engine' AND day <= CAST(? AS DATE)
  UNION ALL
  SELECT max(day) AS d FROM v_shadow_outcome WHERE source = 'engine' AND day <= CAST(? AS DATE))"""

#: The same, for the days ``?..?`` only (``?`` four times): the archive reads just those partitions.
_SPAN_SQL = """SELECT max(d) AS d FROM (
  SELECT max(day) AS d FROM v_signal WHERE source = 'engine' AND day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
  UNION ALL
  SELECT max(day) AS d FROM v_shadow_outcome WHERE source = 'engine' AND day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE))"""

#: How far back each step looks, newest days first: the hot tier's week, a month, a year;
#: then everything older in one query.
LOOKBACK_SPANS = (8, 31, 366)

_DAYS_SQL = """SELECT DISTINCT day FROM (
  SELECT day FROM v_signal WHERE source = 'engine' AND day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
  UNION ALL
  SELECT day FROM v_shadow_outcome WHERE source = 'engine' AND day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE))
ORDER BY day"""


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):  # the daemon's remote reader may hand back ISO text
        return date.fromisoformat(value[:10])
    return value if isinstance(value, date) else None


def last_data_day(conn: Any, now: datetime | None = None) -> date | None:
    """The last UTC day holding Engine signals or outcomes (None for a store without any).

    ``conn`` is connection-like (``execute(sql, params).fetchone()``): a store cursor or
    the daemon's remote reader. ``now`` is the clock the future bound is taken from.
    """
    bound = future_cutoff(now).date()
    # Newest days first, stopping at the first that holds Engine data: the max over disjoint
    # spans taken newest-first is the max over all of them (ENGINE_DAY_SQL), while the
    # archive reads one partition per day looked at (a GET per file on S3), not a year's.
    hi = bound
    for span in LOOKBACK_SPANS:
        lo = hi - timedelta(days=span - 1)
        row = conn.execute(_SPAN_SQL, [lo, hi, lo, hi]).fetchone()
        if row and (found := _as_date(row[0])) is not None:
            return found
        hi = lo - timedelta(days=1)
    row = conn.execute(ENGINE_DAY_SQL, [hi, hi]).fetchone()
    return _as_date(row[0]) if row else None


def report_day(conn: Any, day: date | None = None, now: datetime | None = None) -> date | None:
    """``day`` when given, else :func:`last_data_day`: the day every per-day report defaults to."""
    return day if day is not None else last_data_day(conn, now)


def engine_days(conn: Any, start: date, end: date) -> list[date]:
    """The days in ``start..end`` (inclusive) holding Engine signals or outcomes, oldest first."""
    rows = conn.execute(_DAYS_SQL, [start, end, start, end]).fetchall()
    return [d for r in rows if (d := _as_date(r[0])) is not None]

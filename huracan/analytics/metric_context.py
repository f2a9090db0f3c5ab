"""What a metric's ``compute(ctx)`` receives: the day, the settings and cached daily SQL.

The metrics computer evaluates every metric for the report day *and* the seven days
before it (for the comparisons). Rather than running each metric's SQL eight times, a
metric asks for a **daily query** — SQL grouped by ``day`` with ``{start}`` and
``{end}`` placeholders — and the context runs it once over the whole window, caches
the rows, and hands each day its own. The provenance it records is the same SQL with
the placeholders bound to that one day, so anyone can re-run it.

Only ``conn.execute(sql).fetchall()`` and ``.description`` are used, so a local DuckDB
connection or the daemon's query proxy both work (see docs/contracts.md).

Example (inside a metric plugin)::

    SQL = "SELECT day, count(*) AS rows FROM v_signal WHERE day BETWEEN {start} AND {end} GROUP BY day"

    def compute(ctx: MetricContext) -> MetricResult:
        rows = ctx.daily(SQL)
        n = rows[0]["rows"] if rows else 0
        return ctx.result(n, SQL, rows)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from huracan.plugins.types import MetricResult

__all__ = ["MetricContext", "NoDataError", "QueryCache", "bind_days"]

T = TypeVar("T")
_VIEW = re.compile(r"\bv_[a-z_]+\b")


class NoDataError(Exception):
    """Raised by a compute function when the metric has no data, with the reason why.

    The computer records the metric as ``no_data`` with this reason; unlike any other
    exception it does not count as a plugin failure.
    """

    def __init__(self, reason: str, query: str = "", tables: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.query = query
        self.tables = tuple(tables)


def bind_days(sql: str, start: date, end: date) -> str:
    """Replace ``{start}`` / ``{end}`` with DATE literals (dates only: no injection)."""
    return sql.replace("{start}", f"DATE '{start.isoformat()}'").replace("{end}", f"DATE '{end.isoformat()}'")


def tables_of(sql: str) -> tuple[str, ...]:
    """The ``v_<type>`` views a query reads, for provenance."""
    return tuple(sorted(set(_VIEW.findall(sql))))


def _is_missing_table(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}"
    return "CatalogException" in text or "does not exist" in text


@dataclass
class QueryCache:
    """Rows of each daily query over the computer's window, shared by every day."""

    conn: Any
    window_start: date
    window_end: date
    rows: dict[tuple[str, int, int], dict[date, list[dict[str, Any]]]] = field(default_factory=dict)
    memo: dict[Any, Any] = field(default_factory=dict)
    #: every SQL statement actually executed (the benchmark and tests count them)
    executed: list[str] = field(default_factory=list)

    def fetch(self, sql: str, lookback: int, lookahead: int) -> dict[date, list[dict[str, Any]]]:
        key = (sql, lookback, lookahead)
        hit = self.rows.get(key)
        if hit is not None:
            return hit
        bound = bind_days(
            sql, self.window_start - timedelta(days=lookback), self.window_end + timedelta(days=lookahead)
        )
        self.executed.append(bound)
        try:
            cur = self.conn.execute(bound)
            raw = cur.fetchall()
            cols = [d[0] for d in cur.description]
        except Exception as exc:
            if _is_missing_table(exc):
                raise NoDataError(
                    f"the store has no table for {', '.join(tables_of(sql)) or 'this query'} yet "
                    f"(no such events were ever written): {str(exc).splitlines()[0]}",
                    query=sql,
                    tables=tables_of(sql),
                ) from exc
            raise
        by_day: dict[date, list[dict[str, Any]]] = {}
        for r in raw:
            row = dict(zip(cols, r, strict=True))
            d = row.get("day")
            if not isinstance(d, date):
                raise ValueError(f"daily query must return a DATE column named 'day'; got {d!r} in: {sql}")
            by_day.setdefault(d, []).append(row)
        self.rows[key] = by_day
        return by_day


@dataclass(frozen=True)
class MetricContext:
    """The context of one metric evaluation for one ``day``.

    Attributes:
        day: the UTC day being computed.
        settings: the effective :class:`~huracan.config.Settings`.
        cache: the window's shared query cache.
    """

    day: date
    settings: Any
    cache: QueryCache

    def at(self, day: date) -> MetricContext:
        """The same context for another day of the window (shares the cache)."""
        return MetricContext(day=day, settings=self.settings, cache=self.cache)

    def daily(self, sql: str) -> list[dict[str, Any]]:
        """This day's rows of a daily query (``GROUP BY day, ...`` with ``{start}/{end}``)."""
        return self.cache.fetch(sql, 0, 0).get(self.day, [])

    def series(self, sql: str, days: int, lookahead: int = 0) -> dict[date, list[dict[str, Any]]]:
        """Rows of a daily query for the ``days`` days ending on this day (inclusive)."""
        by_day = self.cache.fetch(sql, days - 1, lookahead)
        first = self.day - timedelta(days=days - 1)
        last = self.day + timedelta(days=lookahead)
        return {d: rows for d, rows in by_day.items() if first <= d <= last}

    def memo(self, key: Any, make: Callable[[], T]) -> T:
        """Cache a derived value (e.g. parsed predictions) for the whole window."""
        if key not in self.cache.memo:
            self.cache.memo[key] = make()
        return self.cache.memo[key]  # type: ignore[no-any-return]

    def provenance(self, sql: str, days: int = 1, lookahead: int = 0) -> str:
        """``sql`` bound to this day (or the ``days`` ending today): re-runnable as is."""
        return bind_days(sql, self.day - timedelta(days=days - 1), self.day + timedelta(days=lookahead))

    def result(
        self,
        value: float | None,
        sql: str,
        rows: Sequence[dict[str, Any]] | int,
        *,
        days: int = 1,
        lookahead: int = 0,
        n: int | None = None,
        successes: int | None = None,
        interval: tuple[float, float, str] | None = None,
        subject: str | None = None,
    ) -> MetricResult:
        """Build a :class:`MetricResult` with provenance bound to this day.

        ``rows`` is the query's rows for the day (their ``rows`` columns are summed into
        the row count when present) or the row count itself.
        """
        row_count = rows if isinstance(rows, int) else sum(int(r.get("rows", 1) or 0) for r in rows)
        return MetricResult(
            value=None if value is None else float(value),
            query=self.provenance(sql, days, lookahead),
            row_count=row_count,
            tables=tables_of(sql),
            n=n,
            successes=successes,
            interval=interval,
            subject=subject,
        )

    def no_data(self, reason: str, sql: str = "", days: int = 1) -> NoDataError:
        """A :class:`NoDataError` with this day's provenance (``raise ctx.no_data(...)``)."""
        return NoDataError(reason, query=self.provenance(sql, days) if sql else "", tables=tables_of(sql))

"""The trade journal: SQL views over the event views, and the queries that read them.

The events are the one source of truth; the prototype's trade_journal tables are views
over the store's per-type views (``v_shadow_trade``, ``v_shadow_outcome``,
``v_signal``, ``v_live_outcome``):

====================== ==================================================================
``journal_trades``          shadow trades opened (one row per ``shadow_trade`` event)
``journal_trade_features``  the features of each trade's signal, one row per feature
``journal_trade_outcomes``  closes of shadow trades (counterfactuals excluded)
``journal_shadow_trades``   trade + outcome: ``status`` open/closed, ``day`` = close day
                            (open day while open), return, holding time, exit reason
``journal_counterfactuals`` what blocked signals would have returned, with ``blocked_by``
``journal_live_outcomes``   Hamilton's real trades
``journal_daily_pnl``       closed shadow P&L per day and mode
``journal_pnl_by_regime``   … per day and regime
``journal_pnl_by_symbol``   … per day and symbol
``journal_live_vs_shadow``  live vs shadow per (model_id, mode, symbol, day): the gap
====================== ==================================================================

:func:`create_journal_views` creates them as TEMP views on a store connection (works
on a read-only one). The query functions below do not need them: they inline the same
definitions as CTEs, so they also run through the daemon's read-only SQL API, which
takes one SELECT at a time. They only use ``conn.execute(sql, params)`` and
``fetchall()`` / ``description`` (see docs/contracts.md).

Example::

    >>> flt = TradeFilter(mode="scalp", min_bps=0)
    >>> flt.where()
    ("WHERE status = 'closed' AND mode = ? AND return_bps >= ?", ['scalp', 0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from huracan.analytics.performance import DEFAULT_ANNUALIZATION_DAYS, TradeStats, stats_by

__all__ = [
    "JOURNAL_VIEWS",
    "TradeFilter",
    "create_journal_views",
    "daily_pnl",
    "day_range",
    "fetch_rows",
    "list_shadow_trades",
    "live_vs_shadow",
    "shadow_trade_stats",
    "where_clause",
    "with_views",
]

# name -> (SELECT, views it reads). Order matters: a view only reads earlier ones.
JOURNAL_VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "journal_trades": (
        """SELECT trade_id, signal_id, ts AS opened_at, day AS opened_day, symbol, mode, regime, side,
                  entry_price, size_usd, model_id, predicted_win_prob
           FROM v_shadow_trade""",
        (),
    ),
    "journal_trade_features": (
        """SELECT t.trade_id, t.signal_id, f.key AS feature, TRY_CAST(f.value AS DOUBLE) AS value
           FROM v_shadow_trade t JOIN v_signal s ON s.signal_id = t.signal_id,
                json_each(s.features) AS f""",
        (),
    ),
    "journal_trade_outcomes": (
        """SELECT trade_id, signal_id, ts AS closed_at, day AS closed_day, decision_timestamp,
                  label_cutoff_timestamp, symbol, mode, regime, side, entry_price, exit_price,
                  return_bps, win, holding_seconds, exit_reason, model_id
           FROM v_shadow_outcome WHERE NOT counterfactual""",
        (),
    ),
    "journal_shadow_trades": (
        """SELECT COALESCE(o.trade_id, t.trade_id) AS trade_id,
                  COALESCE(o.signal_id, t.signal_id) AS signal_id,
                  COALESCE(o.symbol, t.symbol) AS symbol, COALESCE(o.mode, t.mode) AS mode,
                  COALESCE(o.regime, t.regime) AS regime, COALESCE(o.side, t.side) AS side,
                  COALESCE(o.model_id, t.model_id) AS model_id,
                  CASE WHEN o.trade_id IS NULL THEN 'open' ELSE 'closed' END AS status,
                  t.opened_at, o.closed_at, COALESCE(o.closed_day, t.opened_day) AS day,
                  COALESCE(o.entry_price, t.entry_price) AS entry_price, o.exit_price, t.size_usd,
                  t.predicted_win_prob, o.return_bps, o.win, o.holding_seconds, o.exit_reason
           FROM journal_trades t FULL OUTER JOIN journal_trade_outcomes o ON o.trade_id = t.trade_id""",
        ("journal_trades", "journal_trade_outcomes"),
    ),
    "journal_counterfactuals": (
        """SELECT signal_id, ts AS closed_at, day, symbol, mode, regime, side, blocked_by,
                  return_bps, win, holding_seconds, exit_reason, model_id
           FROM v_shadow_outcome WHERE counterfactual""",
        (),
    ),
    "journal_live_outcomes": (
        """SELECT live_trade_id, signal_id, model_id, ts AS closed_at, day, symbol, mode, regime, side,
                  return_bps, win, slippage_bps, fees_bps, holding_seconds
           FROM v_live_outcome""",
        (),
    ),
    "journal_daily_pnl": (
        """SELECT day, mode, count(*) AS trades, count(*) FILTER (WHERE win) AS wins,
                  sum(return_bps) AS total_bps, avg(return_bps) AS avg_bps
           FROM journal_shadow_trades WHERE status = 'closed' GROUP BY day, mode""",
        ("journal_shadow_trades",),
    ),
    "journal_pnl_by_regime": (
        """SELECT day, regime, count(*) AS trades, count(*) FILTER (WHERE win) AS wins,
                  sum(return_bps) AS total_bps, avg(return_bps) AS avg_bps
           FROM journal_shadow_trades WHERE status = 'closed' GROUP BY day, regime""",
        ("journal_shadow_trades",),
    ),
    "journal_pnl_by_symbol": (
        """SELECT day, symbol, count(*) AS trades, count(*) FILTER (WHERE win) AS wins,
                  sum(return_bps) AS total_bps, avg(return_bps) AS avg_bps
           FROM journal_shadow_trades WHERE status = 'closed' GROUP BY day, symbol""",
        ("journal_shadow_trades",),
    ),
    "journal_live_vs_shadow": (
        # Hamilton's trades next to the Engine's shadow record of the same model, mode,
        # symbol and day; a FULL join keeps days where only one side traded visible.
        """SELECT COALESCE(l.model_id, s.model_id) AS model_id, COALESCE(l.mode, s.mode) AS mode,
                  COALESCE(l.symbol, s.symbol) AS symbol, COALESCE(l.day, s.day) AS day,
                  COALESCE(l.n, 0) AS live_trades, l.avg_bps AS live_avg_bps, l.win_rate AS live_win_rate,
                  l.slippage_bps AS live_avg_slippage_bps,
                  COALESCE(s.n, 0) AS shadow_trades, s.avg_bps AS shadow_avg_bps, s.win_rate AS shadow_win_rate,
                  l.avg_bps - s.avg_bps AS gap_bps, l.win_rate - s.win_rate AS win_rate_gap
           FROM (SELECT model_id, mode, symbol, day, count(*) AS n, avg(return_bps) AS avg_bps,
                        avg(CAST(win AS DOUBLE)) AS win_rate, avg(slippage_bps) AS slippage_bps
                 FROM journal_live_outcomes GROUP BY model_id, mode, symbol, day) l
           FULL OUTER JOIN
                (SELECT model_id, mode, symbol, day, count(*) AS n, avg(return_bps) AS avg_bps,
                        avg(CAST(win AS DOUBLE)) AS win_rate
                 FROM journal_shadow_trades WHERE status = 'closed' AND model_id IS NOT NULL
                 GROUP BY model_id, mode, symbol, day) s
           ON l.model_id = s.model_id AND l.mode = s.mode AND l.symbol = s.symbol AND l.day = s.day""",
        ("journal_live_outcomes", "journal_shadow_trades"),
    ),
}


def fetch_rows(conn: Any, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """Run ``sql`` on a connection-like object and return rows as dicts.

    Accepts a DuckDB connection/cursor, the daemon's remote connection, or anything
    with ``query(sql, params) -> list[dict]`` (the :class:`~huracan.store.Store`).
    """
    if not hasattr(conn, "execute") and hasattr(conn, "query"):
        return list(conn.query(sql, list(params or [])))
    cur = conn.execute(sql, list(params or []))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _closure(names: Sequence[str]) -> list[str]:
    needed: set[str] = set()

    def visit(n: str) -> None:
        if n not in JOURNAL_VIEWS:
            raise KeyError(f"unknown journal view {n!r}; known: {', '.join(JOURNAL_VIEWS)}")
        if n not in needed:
            needed.add(n)
            for dep in JOURNAL_VIEWS[n][1]:
                visit(dep)

    for n in names:
        visit(n)
    return [n for n in JOURNAL_VIEWS if n in needed]


def with_views(*names: str) -> str:
    """A ``WITH`` clause defining ``names`` (and what they read) as CTEs.

    >>> with_views("journal_trades").startswith("WITH journal_trades AS (")
    True
    """
    parts = [f"{n} AS (\n{JOURNAL_VIEWS[n][0]}\n)" for n in _closure(names)]
    return "WITH " + ",\n".join(parts) + "\n"


def create_journal_views(conn: Any) -> list[str]:
    """Create every journal view as a TEMP view on ``conn`` (a DuckDB connection).

    Returns the names created. Temp views live in the connection only, so this works
    on a read-only store and leaves the database file untouched.
    """
    for name, (sql, _) in JOURNAL_VIEWS.items():
        conn.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
    return list(JOURNAL_VIEWS)


@dataclass(frozen=True)
class TradeFilter:
    """Which shadow trades: every field optional; days are UTC and inclusive."""

    mode: str | None = None
    regime: str | None = None
    symbol: str | None = None
    model_id: str | None = None
    since: date | None = None
    until: date | None = None
    min_bps: float | None = None
    max_bps: float | None = None
    status: Literal["closed", "open"] | None = "closed"

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since {self.since} is after until {self.until}; swap them")
        if self.min_bps is not None and self.max_bps is not None and self.min_bps > self.max_bps:
            raise ValueError(f"min_bps {self.min_bps} is above max_bps {self.max_bps}")

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause over ``journal_shadow_trades`` and its parameters."""
        conds: list[str] = []
        params: list[Any] = []
        if self.status:
            conds.append(f"status = '{self.status}'")
        for col in ("mode", "regime", "symbol"):
            v = getattr(self, col)
            if v is not None:
                conds.append(f"{col} = ?")
                params.append(v)
        if self.model_id is not None:
            conds.append("starts_with(model_id, ?)")
            params.append(self.model_id)
        days, day_params = day_range(self.since, self.until)
        conds += days
        params += day_params
        if self.min_bps is not None:
            conds.append("return_bps >= ?")
            params.append(self.min_bps)
        if self.max_bps is not None:
            conds.append("return_bps <= ?")
            params.append(self.max_bps)
        return where_clause(conds), params


def list_shadow_trades(conn: Any, flt: TradeFilter | None = None, limit: int | None = 100) -> list[dict[str, Any]]:
    """Shadow trades matching ``flt``, newest first (by close, else open time)."""
    where, params = (flt or TradeFilter()).where()
    sql = (
        with_views("journal_shadow_trades")
        + f"SELECT * FROM journal_shadow_trades {where} "
        + "ORDER BY COALESCE(closed_at, opened_at) DESC, trade_id"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return fetch_rows(conn, sql, params)


GroupBy = Literal["mode", "regime", "symbol", "model_id", "day"]


def shadow_trade_stats(
    conn: Any,
    flt: TradeFilter | None = None,
    by: GroupBy | None = None,
    *,
    annualization_days: int = DEFAULT_ANNUALIZATION_DAYS,
) -> dict[str, TradeStats]:
    """Performance statistics of closed shadow trades, overall (``"all"``) or per ``by``."""
    if by is not None and by not in ("mode", "regime", "symbol", "model_id", "day"):
        raise ValueError(f"cannot group by {by!r}; use mode, regime, symbol, model_id or day")
    base = flt or TradeFilter()
    if base.status != "closed":
        base = TradeFilter(**{**base.__dict__, "status": "closed"})
    where, params = base.where()
    key = f", {by} AS grp" if by else ""
    sql = (
        with_views("journal_shadow_trades")
        + f"SELECT return_bps, day, holding_seconds{key} FROM journal_shadow_trades {where} "
        + "ORDER BY closed_at, trade_id"
    )
    rows = fetch_rows(conn, sql, params)
    grouped = stats_by(rows, "grp" if by else None, annualization_days=annualization_days)
    return {str(k): v for k, v in grouped.items()}


def day_range(since: date | None = None, until: date | None = None) -> tuple[list[str], list[Any]]:
    """SQL conditions and parameters for ``since <= day <= until`` (either end optional).

    CAST, so that ISO strings (the daemon's JSON params) and dates both work.

    >>> day_range(date(2025, 11, 1), None)
    (['day >= CAST(? AS DATE)'], [datetime.date(2025, 11, 1)])
    """
    conds: list[str] = []
    params: list[Any] = []
    if since is not None:
        conds.append("day >= CAST(? AS DATE)")
        params.append(since)
    if until is not None:
        conds.append("day <= CAST(? AS DATE)")
        params.append(until)
    return conds, params


def where_clause(conds: list[str]) -> str:
    return "WHERE " + " AND ".join(conds) if conds else ""


def live_vs_shadow(
    conn: Any, *, since: date | None = None, until: date | None = None, model_id: str | None = None
) -> list[dict[str, Any]]:
    """Live vs shadow per (model, mode, symbol, day); ``gap_bps`` = live − shadow average."""
    conds, params = day_range(since, until)
    if model_id is not None:
        conds.append("starts_with(model_id, ?)")
        params.append(model_id)
    where = where_clause(conds)
    sql = (
        with_views("journal_live_vs_shadow")
        + f"SELECT * FROM journal_live_vs_shadow {where} ORDER BY day, model_id, mode, symbol"
    )
    return fetch_rows(conn, sql, params)


def daily_pnl(
    conn: Any, *, by: Literal["mode", "regime", "symbol"] = "mode", since: date | None = None, until: date | None = None
) -> list[dict[str, Any]]:
    """Closed shadow P&L per day and ``by`` (trades, wins, total and average bps)."""
    view = {"mode": "journal_daily_pnl", "regime": "journal_pnl_by_regime", "symbol": "journal_pnl_by_symbol"}[by]
    conds, params = day_range(since, until)
    where = where_clause(conds)
    return fetch_rows(conn, with_views(view) + f"SELECT * FROM {view} {where} ORDER BY day, {by}", params)

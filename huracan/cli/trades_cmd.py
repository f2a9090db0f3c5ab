"""`huracan trades list|stats|pnl|live`: the shadow-trade journal."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, JsonOpt, console, fail, parse_day, print_json, settings
from huracan.cli.term import cell, cells

app = typer.Typer(help="Shadow trades (paper only): list, statistics, daily P&L, live vs shadow.", no_args_is_help=True)

ModeOpt = Annotated[str | None, typer.Option("--mode", help="scalp, runner, …")]
RegimeOpt = Annotated[str | None, typer.Option("--regime", help="Market regime, e.g. trend.")]
SymbolOpt = Annotated[str | None, typer.Option("--symbol", help="e.g. BTC-USD.")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model id or prefix.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="First UTC day, YYYY-MM-DD (inclusive).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Last UTC day, YYYY-MM-DD (inclusive).")]
MinOpt = Annotated[float | None, typer.Option("--min-bps", help="Smallest return in bps.")]
MaxOpt = Annotated[float | None, typer.Option("--max-bps", help="Largest return in bps.")]
OneDayOpt = Annotated[
    str | None, typer.Option("--date", "-d", help="One UTC day, YYYY-MM-DD (trades closed that day).")
]


def _day(flag: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{flag} {value!r} is not a day; expected YYYY-MM-DD, e.g. 2025-11-06", code=2)


def _filter(**kw: Any) -> Any:
    from huracan.store.journal import TradeFilter

    try:
        return TradeFilter(**kw)
    except ValueError as exc:
        fail(str(exc), code=2)


def _n(v: float | None, fmt: str = "+.1f") -> str:
    return "-" if v is None else format(v, fmt)


@app.command("list")
def list_(
    ctx: typer.Context,
    mode: ModeOpt = None,
    regime: RegimeOpt = None,
    symbol: SymbolOpt = None,
    model: ModelOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    min_bps: MinOpt = None,
    max_bps: MaxOpt = None,
    open_: Annotated[bool, typer.Option("--open", help="Open trades instead of closed ones.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many, newest first.")] = 50,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Shadow trades matching the filters, newest first."""
    from rich.table import Table

    from huracan.daemon.access import open_reader
    from huracan.store.journal import list_shadow_trades

    flt = _filter(
        mode=mode,
        regime=regime,
        symbol=symbol,
        model_id=model,
        since=_day("--since", since),
        until=_day("--until", until),
        min_bps=min_bps,
        max_bps=max_bps,
        status="open" if open_ else "closed",
    )
    with open_reader(settings(ctx, config, data_dir)) as conn:
        rows = list_shadow_trades(conn, flt, limit=limit)
    if json:
        print_json(rows)
        return
    t = Table(title=f"{len(rows)} {'open' if open_ else 'closed'} shadow trade(s) — paper only", title_justify="left")
    for col in ("closed" if not open_ else "opened", "trade", "symbol", "mode", "regime", "side", "bps", "held"):
        t.add_column(col, justify="right" if col in ("bps", "held") else "left", no_wrap=True)
    for r in rows:
        when = r["closed_at"] if not open_ else r["opened_at"]
        held = "-" if r["holding_seconds"] is None else f"{r['holding_seconds'] / 60:.0f} min"
        t.add_row(
            *cells(
                f"{when:%Y-%m-%d %H:%M}" if when else "-",
                r["trade_id"],
                r["symbol"],
                r["mode"],
                r["regime"],
                r["side"],
                _n(r["return_bps"]),
                held,
            )
        )
    console.print(t)


@app.command("stats")
def stats(
    ctx: typer.Context,
    by: Annotated[str | None, typer.Option("--by", help="Group by mode, regime, symbol, model_id or day.")] = None,
    mode: ModeOpt = None,
    regime: RegimeOpt = None,
    symbol: SymbolOpt = None,
    model: ModelOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    min_bps: MinOpt = None,
    max_bps: MaxOpt = None,
    date: OneDayOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Win rate, returns, profit factor, Sharpe/Sortino (daily, annualised), drawdown, holding time.

    Trades count on the UTC day they closed, as in `huracan metrics`. `--date D` is one
    day (`--since D --until D`); without it, every closed trade.
    """
    from rich.table import Table

    from huracan.daemon.access import open_reader
    from huracan.store.journal import shadow_trade_stats

    if by is not None and by not in ("mode", "regime", "symbol", "model_id", "day"):
        fail(f"--by {by!r} is not a grouping", hint="use mode, regime, symbol, model_id or day", code=2)
    cfg = settings(ctx, config, data_dir)
    one_day = parse_day(date)
    if one_day is not None and (since or until):
        fail("--date is one day; use it without --since / --until", code=2)
    flt = _filter(
        mode=mode,
        regime=regime,
        symbol=symbol,
        model_id=model,
        since=one_day or _day("--since", since),
        until=one_day or _day("--until", until),
        min_bps=min_bps,
        max_bps=max_bps,
    )
    with open_reader(cfg) as conn:
        groups = shadow_trade_stats(conn, flt, by, annualization_days=cfg.analytics.annualization_days)  # type: ignore[arg-type]
    n_days = cfg.analytics.annualization_days
    if json:
        print_json(
            {"annualization_days": n_days, "by": by or "all", "groups": {k: v.to_dict() for k, v in groups.items()}}
        )
        return
    if not groups:
        fail("no closed shadow trades match", hint="widen the filters or check `huracan trades list`")
    t = Table(title=f"Shadow trade statistics (Sharpe/Sortino on daily returns × √{n_days})", title_justify="left")
    for col in (by or "", "n", "win", "avg", "median", "total", "PF", "Sharpe", "Sortino", "max DD", "held"):
        t.add_column(col, justify="left" if col == (by or "") else "right", no_wrap=True)
    for k, s in groups.items():
        t.add_row(
            cell(k),
            str(s.count),
            _n(s.win_rate, ".1%"),
            _n(s.avg_bps),
            _n(s.median_bps),
            _n(s.total_bps),
            _n(s.profit_factor, ".2f") if s.profit_factor is not None else "∞" if s.count else "-",
            _n(s.sharpe, ".2f"),
            _n(s.sortino, ".2f"),
            _n(s.max_drawdown_bps, ".1f"),
            "-" if s.avg_holding_seconds is None else f"{s.avg_holding_seconds / 60:.0f} min",
        )
    console.print(t)
    console.print("[dim]returns in bps; PF = profit factor (∞: no losing trade); max DD in bps[/]")


@app.command("pnl")
def pnl(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="mode, regime or symbol.")] = "mode",
    since: SinceOpt = None,
    until: UntilOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Closed shadow P&L per day and mode / regime / symbol."""
    from rich.table import Table

    from huracan.daemon.access import open_reader
    from huracan.store.journal import daily_pnl

    if by not in ("mode", "regime", "symbol"):
        fail(f"--by {by!r} is not a grouping", hint="use mode, regime or symbol", code=2)
    with open_reader(settings(ctx, config, data_dir)) as conn:
        rows = daily_pnl(conn, by=by, since=_day("--since", since), until=_day("--until", until))  # type: ignore[arg-type]
    if json:
        print_json(rows)
        return
    t = Table(title=f"Daily shadow P&L by {by}", title_justify="left")
    for col in ("day", by, "trades", "wins", "total bps", "avg bps"):
        t.add_column(col, justify="left" if col in ("day", by) else "right")
    for r in rows:
        t.add_row(*cells(r["day"], r[by], r["trades"], r["wins"], _n(r["total_bps"]), _n(r["avg_bps"])))
    console.print(t)


@app.command("live")
def live(
    ctx: typer.Context,
    model: ModelOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Hamilton's live outcomes next to the shadow record of the same model, mode, symbol and day."""
    from rich.table import Table

    from huracan.daemon.access import open_reader
    from huracan.store.journal import live_vs_shadow

    with open_reader(settings(ctx, config, data_dir)) as conn:
        rows = live_vs_shadow(conn, since=_day("--since", since), until=_day("--until", until), model_id=model)
    if json:
        print_json(rows)
        return
    t = Table(title="Live (Hamilton) vs shadow (Engine), average bps per trade", title_justify="left")
    for col in ("day", "model", "mode", "symbol", "live n", "live", "shadow n", "shadow", "gap"):
        t.add_column(col, justify="right" if col in ("live n", "live", "shadow n", "shadow", "gap") else "left")
    for r in rows:
        t.add_row(
            *cells(r["day"], r["model_id"][:12], r["mode"], r["symbol"]),
            str(r["live_trades"]),
            _n(r["live_avg_bps"]),
            str(r["shadow_trades"]),
            _n(r["shadow_avg_bps"]),
            _n(r["gap_bps"]),
        )
    console.print(t)

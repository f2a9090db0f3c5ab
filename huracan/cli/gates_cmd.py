"""`huracan gates report|what-if|history`: are the gates too strict, too loose, or right?"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, DateOpt, JsonOpt, console, fail, parse_day, print_json, settings
from huracan.cli.fmt import VERDICT_LABEL, VERDICT_STYLE
from huracan.cli.term import cell, cells, safe

app = typer.Typer(help="Gate pass rates, accuracy, blocked P&L, threshold what-ifs and history.", no_args_is_help=True)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def _pct0(v: float | None) -> str:
    return "-" if v is None else f"{v:.0%}"


def _num(v: float | None) -> str:
    from huracan.cli.fmt import num  # never 1.095e+04 for a threshold

    return num(v)


def _reader(ctx: typer.Context, config: Any, data_dir: Any) -> tuple[Any, Any]:
    from huracan.cli.plugins_cmd import load_plugins

    cfg = settings(ctx, config, data_dir)
    return cfg, load_plugins(cfg)


@app.command("report")
def report(
    ctx: typer.Context,
    date: DateOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Per gate and mode: pass rate vs target, verdict, block accuracy, blocked P&L and a what-if summary."""
    from rich.table import Table

    from huracan.analytics.gate_explainer import gate_report
    from huracan.daemon.access import open_reader

    cfg, plugins = _reader(ctx, config, data_dir)
    with open_reader(cfg) as conn:
        rep = gate_report(conn, parse_day(date), plugins.gates())
    if json:
        print_json(rep.model_dump(mode="json"))
        return
    if rep.day is None:
        fail("no gate decisions in the store yet", hint="the Engine logs one gate_decision per gate per signal")
    t = Table(title=f"Gates on {rep.day}", title_justify="left")
    t.add_column("gate (mode)", no_wrap=True)
    for col in ("thr.", "n", "pass", "verdict", "acc.", "sole", "blocked"):
        t.add_column(col, justify="left" if col == "verdict" else "right", no_wrap=True)
    for g in rep.gates:
        t.add_row(
            cell(f"{g.gate} ({g.mode})"),
            _num(g.threshold),
            str(g.n),
            _pct(g.pass_rate),
            f"[{VERDICT_STYLE[g.verdict]}]{VERDICT_LABEL[g.verdict]}[/]",
            _pct0(g.accuracy),
            _pct0(g.sole_accuracy),
            f"{g.blocked_pnl_bps:+.1f}",
        )
    console.print(t)
    for g in rep.gates:
        if g.verdict in ("too_strict", "too_loose"):
            style = VERDICT_STYLE[g.verdict]
            console.print(
                f"[{style}]{safe(g.gate)} ({safe(g.mode)}) {g.verdict.replace('_', ' ')}:[/] {safe(g.verdict_reason)}",
                soft_wrap=True,
            )
    w = Table(title="What-if (recorded values and outcomes)", title_justify="left")
    w.add_column("gate (mode)", no_wrap=True)
    for col in ("now", "P&L now", "best", "P&L best", "for ideal rate"):
        w.add_column(col, justify="right", no_wrap=True)
    for s in rep.what_if:
        ideal = f"{_num(s.threshold_for_ideal)} (→{_pct0(s.ideal_pass_rate)})" if s.ideal_pass_rate is not None else "-"
        w.add_row(
            cell(f"{s.gate} ({s.mode})"),
            _num(s.current_threshold),
            f"{s.current_pnl_bps:+.1f} bps",
            _num(s.best_threshold),
            "-" if s.best_pnl_bps is None else f"{s.best_pnl_bps:+.1f} bps",
            ideal,
        )
    console.print(w)
    console.print(
        "[dim]acc. = good blocks (blocked a loser) / blocks with a known outcome; sole = the same where the gate "
        "alone blocked; blocked = bps the blocked signals would have made (negative: losses avoided); "
        "--json has the counts[/]"
    )


@app.command("what-if")
def what_if_cmd(
    ctx: typer.Context,
    gate: Annotated[str, typer.Argument(help="Gate name, e.g. meta_label.")],
    mode: Annotated[str, typer.Option("--mode", "-m", help="Trading mode, e.g. scalp.")],
    thresholds: Annotated[
        str | None,
        typer.Option("--thresholds", "-t", help="Comma-separated thresholds; default: a grid over the data."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD); default: 7 days to --to.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day; default: the last day with decisions.")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Pass rate, good-block rate and trade P&L had GATE's threshold been elsewhere."""
    from rich.table import Table

    from huracan.analytics.gate_whatif import what_if
    from huracan.daemon.access import open_reader

    grid: list[float] | None = None
    if thresholds:
        try:
            grid = [float(x) for x in thresholds.split(",") if x.strip()]
        except ValueError:
            fail(f"--thresholds {thresholds!r} must be numbers separated by commas, e.g. 0.40,0.45,0.50", code=2)
    cfg, plugins = _reader(ctx, config, data_dir)
    with open_reader(cfg) as conn:
        try:
            res = what_if(conn, gate, mode, grid, parse_day(start), parse_day(end), plugins.gates())
        except LookupError as exc:
            fail(str(exc), hint="`huracan plugins list` shows every registered gate", code=2)
    if json:
        print_json(res.model_dump(mode="json"))
        return
    if res.n == 0:
        fail(f"no {gate} decisions in mode {mode} between {res.start} and {res.end}", code=1)
    t = Table(title=f"{safe(gate)} ({safe(mode)}, {res.direction}) over {res.start}..{res.end}: {res.n} decisions")
    for col in ("threshold", "pass rate", "blocks", "good-block rate", "traded", "win rate", "P&L"):
        t.add_column(col, justify="right")
    for p in res.points:
        mark = " ◀ now" if p.is_current else (" ★ best" if res.best and p.threshold == res.best.threshold else "")
        t.add_row(
            f"{_num(p.threshold)}{mark}",
            _pct(p.pass_rate),
            str(p.blocks),
            _pct(p.good_block_rate),
            f"{p.traded} ({p.traded_with_outcome} known)",
            _pct(p.win_rate),
            f"{p.pnl_bps:+.1f} bps",
        )
    console.print(t)


@app.command("history")
def history(
    ctx: typer.Context,
    gate: Annotated[str | None, typer.Argument(help="Only this gate.")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Every threshold change: gates.yaml history plus the Engine's config_change events."""
    from rich.table import Table

    from huracan.config import ConfigError
    from huracan.daemon.access import open_reader
    from huracan.plugins.gates_config import load_gates_config, threshold_history

    cfg = settings(ctx, config, data_dir)
    try:
        gates_cfg = load_gates_config(cfg)
    except ConfigError as exc:
        fail(str(exc), code=2)
    with open_reader(cfg) as conn:
        changes = threshold_history(gates_cfg, conn, gate)
    if json:
        print_json([c.model_dump(mode="json") for c in changes])
        return
    t = Table(title="Threshold changes", title_justify="left")
    for col in ("when", "gate", "mode", "old", "new", "by", "reason", "source"):
        t.add_column(col)
    for c in changes:
        t.add_row(
            *cells(
                c.at.strftime("%Y-%m-%d %H:%M"), c.gate, c.mode or "-", _num(c.old), _num(c.new), c.author or "-",
                c.reason, c.source,
            )
        )  # fmt: skip
    console.print(t)

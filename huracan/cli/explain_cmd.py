"""`huracan explain SIGNAL_ID` and `huracan trace SIGNAL_ID | trace stats`: one decision, explained."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from huracan.cli.common import ConfigOpt, DataDirOpt, DateOpt, JsonOpt, console, fail, parse_day, print_json, settings
from huracan.cli.term import MAX_TEXT, cell, safe

SignalArg = Annotated[str, typer.Argument(help="The signal's id, e.g. sig-00a1b2c3d4.")]


class _DefaultToShow(TyperGroup):
    """``huracan trace ID`` means ``huracan trace show ID`` (the issue names both forms)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors click: Context is private
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["show", *args]
        return super().parse_args(ctx, args)


trace_app = typer.Typer(
    cls=_DefaultToShow,
    help="Decision traces: `huracan trace SIGNAL_ID` (timeline) or `huracan trace stats [--date D]`.",
    no_args_is_help=True,
)


def _style(passed: bool | None) -> str:
    return "" if passed is None else ("[green]PASS[/]" if passed else "[bold red]REJECT[/]")


def explain(
    ctx: typer.Context,
    signal_id: SignalArg,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Why SIGNAL_ID passed or was blocked: each gate's value vs threshold, what it needed, and the outcome."""
    from rich.table import Table

    from huracan.analytics.gate_explainer import SignalNotFound, explain_signal, format_delta, format_value
    from huracan.cli.plugins_cmd import load_plugins
    from huracan.daemon.access import open_reader

    cfg = settings(ctx, config, data_dir)
    gates = load_plugins(cfg).gates()
    with open_reader(cfg) as conn:
        try:
            ex = explain_signal(conn, signal_id, gates)
        except SignalNotFound as exc:
            fail(str(exc), code=1)
    if json:
        print_json(ex.model_dump(mode="json"))
        return
    head = " · ".join(str(x) for x in (ex.symbol, ex.mode, ex.side, ex.ts) if x is not None)
    console.print(
        f"[bold]{safe(ex.signal_id)}[/] {safe(head)}  →  [bold]{safe(ex.verdict.upper())}[/]", highlight=False
    )
    t = Table(show_edge=False)
    for col in ("gate", "verdict", "value", "threshold", "margin", "needs"):
        t.add_column(col)
    for g in ex.gates:
        rel = f" ({g.margin_rel:+.1%})" if g.margin_rel is not None else ""
        t.add_row(
            cell(g.gate),
            _style(g.passed),
            cell(format_value(g.value, g.unit)),
            cell(f"{'≥' if g.direction == 'above' else '≤'} {format_value(g.threshold, g.unit)}"),
            cell(format_delta(g.margin, g.unit) + rel),
            cell(g.needs or ""),
        )
    console.print(t)
    for g in ex.gates:
        if not g.passed:
            console.print(f"  • {safe(g.sentence)}", highlight=False, soft_wrap=True)
    console.print(cell(ex.summary, MAX_TEXT), highlight=False, soft_wrap=True)


@trace_app.command("show")
def show(
    ctx: typer.Context,
    signal_id: SignalArg,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """The timeline of one decision: signal → features → each gate → shadow trade, with the bottleneck."""
    from rich.table import Table

    from huracan.analytics.decision_trace import BOTTLENECK_SHARE, TraceNotFound, trace_signal
    from huracan.daemon.access import open_reader

    cfg = settings(ctx, config, data_dir)
    with open_reader(cfg) as conn:
        try:
            tl = trace_signal(conn, signal_id)
        except TraceNotFound as exc:
            fail(str(exc), code=1)
    if json:
        print_json(tl.model_dump(mode="json"))
        return
    t = Table(title=f"{safe(tl.signal_id)} → {safe(tl.outcome)}: {tl.total_ms:.2f} ms", title_justify="left")
    for col in ("step", "start ms", "ms", "share", "", "gate"):
        t.add_column(col, justify="right" if col in ("start ms", "ms", "share") else "left")
    for s in tl.steps:
        bar = "█" * max(1, round((s.share or 0) * 30))
        share = "-" if s.share is None else f"{s.share:.0%}"
        t.add_row(
            cell(s.name, style="bold red" if s.bottleneck else ""),
            f"{s.start_ms:.2f}",
            f"{s.duration_ms:.2f}",
            share,
            f"[red]{bar}[/]" if s.bottleneck else bar,
            _style(s.passed),
        )
    console.print(t)
    if tl.bottlenecks:
        console.print(f"bottleneck (> {BOTTLENECK_SHARE:.0%} of the total): {safe(', '.join(tl.bottlenecks))}")


@trace_app.command("stats")
def stats(
    ctx: typer.Context,
    date: DateOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Average and p95 duration of every step over a day, and which steps are bottlenecks."""
    from rich.table import Table

    from huracan.analytics.decision_trace import trace_stats
    from huracan.daemon.access import open_reader

    cfg = settings(ctx, config, data_dir)
    with open_reader(cfg) as conn:
        st = trace_stats(conn, parse_day(date))
    if json:
        print_json(st.model_dump(mode="json"))
        return
    if st.traces == 0:
        fail("no decision traces for that day" if st.day else "no decision traces in the store yet", code=1)
    title = (
        f"Decision traces on {st.day}: {st.traces}, total avg {st.total_avg_ms:.2f} ms, p95 {st.total_p95_ms:.2f} ms"
    )
    t = Table(title=title, title_justify="left")
    for col in ("step", "count", "avg ms", "p95 ms", "max ms", "avg share", "bottleneck in"):
        t.add_column(col, justify="left" if col == "step" else "right")
    for s in st.steps:
        share = "-" if s.avg_share is None else f"{s.avg_share:.0%}"
        t.add_row(
            cell(s.name, style="bold red" if s.name in st.bottlenecks else ""),
            str(s.count),
            f"{s.avg_ms:.2f}",
            f"{s.p95_ms:.2f}",
            f"{s.max_ms:.2f}",
            share,
            str(s.bottleneck_count),
        )
    console.print(t)


def register(app: Any) -> None:
    """Add the top-level ``explain`` command and the ``trace`` group to the root app."""
    app.command("explain")(explain)
    app.add_typer(trace_app, name="trace")

"""`huracan metrics [--date D] [--json]`: the day's MetricsSnapshot.

``--json`` prints ``MetricsSnapshot.model_dump(mode="json")`` — exactly what the
council receives. Otherwise a table per category, status coloured, followed by the
self-check, readiness and the top insights.
"""

from __future__ import annotations

from typing import Any

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, DateOpt, JsonOpt, console, fail, parse_day, print_json, settings
from huracan.cli.term import MAX_TEXT, cell, cells, safe

_STATUS_STYLE = {
    "ok": "green",
    "warning": "yellow",
    "critical": "bold red",
    "no_data": "dim",
    "insufficient_data": "dim",
    "zero": "magenta",
}
_ARROW = {"up": "↑", "down": "↓", "flat": "→"}


def _change(m: Any) -> str:
    from huracan.analytics.format import format_value

    c = m.vs_prev_day
    if c is None or c.direction is None or c.delta is None:
        return ""
    mark = "*" if c.significant else ""
    return f"{_ARROW[c.direction]} {format_value(m, 'delta_1d')}{mark}"


def _interval(m: Any) -> str:
    from huracan.analytics.format import format_value

    if m.interval is None:
        return ""
    return f"{format_value(m, 'low')} – {format_value(m, 'high')}"


def _table(snapshot: Any) -> None:
    from rich.table import Table

    from huracan.analytics.format import format_value

    categories: dict[str, list[Any]] = {}
    for m in snapshot.metrics.values():
        categories.setdefault(m.category, []).append(m)
    # Below ~100 columns the reason no longer fits beside the numbers: it goes under the table.
    wide = console.width >= 100
    for category, metrics in categories.items():
        t = Table(title=safe(category), title_justify="left", show_edge=False)
        t.add_column("metric", no_wrap=True)
        t.add_column("value", justify="right", no_wrap=True)
        t.add_column("vs yesterday", justify="right", no_wrap=True)
        t.add_column("95% interval", justify="right", no_wrap=True)
        t.add_column("n", justify="right", no_wrap=True)
        t.add_column("status", no_wrap=True)
        if wide:
            # The reason wraps rather than the numbers and statuses being cut ("criti…").
            t.add_column("why", overflow="fold", ratio=1, min_width=16)
        for m in metrics:
            style = _STATUS_STYLE[m.status]
            n = "" if m.n is None else f"{m.n:,}" + ("" if m.judged or m.value is None else f" (<{m.min_n:,})")
            row = [
                *cells(m.id, format_value(m), _change(m), _interval(m), n),
                cell(m.status, style=style),
            ]
            t.add_row(*row, *([cell(m.status_reason or "")] if wide else []))
        console.print(t)
        if not wide:
            for m in metrics:
                if m.status_reason:
                    console.print(cell(f"  {m.id}: {m.status_reason}", MAX_TEXT), soft_wrap=False)
        console.print()


def register(app: typer.Typer) -> None:
    """Add the top-level ``metrics`` command."""

    @app.command("metrics")
    def metrics(
        ctx: typer.Context,
        date: DateOpt = None,
        config: ConfigOpt = None,
        data_dir: DataDirOpt = None,
        json: JsonOpt = False,
    ) -> None:
        """Every metric of a day with provenance, comparisons, status, readiness and insights.

        `*` after a change marks it statistically significant. A value on fewer samples than
        its metric's minimum (n shown as "3 (<50)") is `insufficient_data`: shown, not judged.
        """
        from huracan.analytics.days import report_day
        from huracan.analytics.metrics import compute_snapshot
        from huracan.cli.plugins_cmd import load_plugins
        from huracan.daemon.access import open_reader

        cfg = settings(ctx, config, data_dir)
        plugins = load_plugins(cfg)
        day = parse_day(date)
        with open_reader(cfg) as conn:
            day = report_day(conn, day)
            if day is None:
                fail(
                    "the store has no Engine data (signals or outcomes) yet, so there is no day to compute",
                    hint="log events from the Engine, or try `huracan demo` for simulated data",
                )
            snapshot = compute_snapshot(conn, day, plugins, cfg)
        if json:
            print_json(snapshot.model_dump(mode="json"))
            return
        console.print(f"[bold]Metrics for {snapshot.date}[/] ({len(snapshot.metrics)} metrics)")
        _table(snapshot)
        check = snapshot.self_check
        console.print("self-check: " + ("[green]passed[/]" if check.passed else "[bold red]FAILED[/]"))
        for p in check.problems:
            console.print(f"  [red]•[/] {safe(p)}", highlight=False)
        r = snapshot.readiness
        if r is not None:
            verdict = "[green]ready[/]" if r.ready else "[yellow]not ready[/]"
            console.print(
                f"model {safe(r.model_id[:12] if r.model_id else '?')}: {verdict} for Hamilton", highlight=False
            )
            for reason in r.reasons:
                console.print(f"  • {safe(reason)}", highlight=False)
        for name, error in snapshot.disabled_plugins.items():
            console.print(f"[red]plugin {safe(name)} failed:[/] {safe(error)}", highlight=False)
        if snapshot.insights:
            console.print("[bold]insights[/]")
            for i in snapshot.insights[:8]:
                console.print(f"  • {safe(i['text'])}", highlight=False)

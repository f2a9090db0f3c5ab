"""`huracan digest render|send|status`: the daily digest, on disk or to its channels."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, DateOpt, JsonOpt, console, fail, parse_day, print_json, settings
from huracan.cli.term import cell, cells, safe

if TYPE_CHECKING:
    from huracan.config import Settings
    from huracan.pipeline import NightlyResult

app = typer.Typer(help="The daily digest: render it to files, send it, see what was sent.", no_args_is_help=True)

CHANNELS = ("email", "telegram", "discord")
LlmOpt = Annotated[
    bool,
    typer.Option(
        "--llm", help="Run the council with the configured LLMs (default: the offline council, no keys, no cost)."
    ),
]
ChartsOpt = Annotated[bool, typer.Option("--charts/--no-charts", help="Draw the PNG charts.")]


def _offline(cfg: Settings) -> Settings:
    """The same settings with every council model replaced by the offline analyst."""
    off = "huracan/offline"
    council = cfg.council.model_copy(
        update={
            "analysts": [a.model_copy(update={"model": off}) for a in cfg.council.analysts],
            "judge_model": off,
            "fallback_judge_model": off,
        }
    )
    return cfg.model_copy(update={"council": council})


def _prepare(cfg: Settings, day: date | None, charts: bool) -> NightlyResult:
    from huracan.daemon.access import open_reader
    from huracan.pipeline import prepare_digest
    from huracan.plugins.manager import PluginError, get_plugins

    try:
        plugins = get_plugins(cfg)
    except PluginError as exc:
        fail(str(exc), hint="fix or disable the plugin (plugins.disabled in huracan.yaml)")
    from huracan.analytics.days import report_day

    with open_reader(cfg) as conn:
        day = report_day(conn, day)
        if day is None:
            fail("the store has no Engine data yet, so there is no day to report", hint="pass --date YYYY-MM-DD")
        return prepare_digest(cfg, conn, plugins, day, charts=charts)


def _already_sent(cfg: Settings, day: date | None, channels: list[str] | None) -> tuple[date, list[Any]] | None:
    """(day, results) when the ledger says every enabled channel has the day's digest, else None."""
    from huracan.analytics.days import report_day
    from huracan.daemon.access import open_reader
    from huracan.digest.deliver import already_delivered
    from huracan.digest.ledger import DeliveryLedger
    from huracan.plugins.manager import PluginError, get_plugins

    try:
        notifiers = get_plugins(cfg).notifiers()
    except PluginError:
        return None  # _prepare reports it
    if day is None:
        with open_reader(cfg) as conn:
            day = report_day(conn, None)
        if day is None:
            return None
    results = already_delivered(day, notifiers, DeliveryLedger.for_data_dir(cfg.data_dir), channels=channels)
    return (day, results) if results is not None else None


@app.command("render")
def render_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write the digest files to.")],
    date_: DateOpt = None,
    llm: LlmOpt = False,
    charts: ChartsOpt = True,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Render a day's digest to files: digest.html/.txt/.md, telegram-N.html, discord-N.json, charts.

    Nothing is sent. Open digest.html in a browser to see the email as a reader will.
    """
    cfg = settings(ctx, config, data_dir)
    cfg = cfg if llm else _offline(cfg)
    result = _prepare(cfg, parse_day(date_), charts)
    try:
        files = result.rendered.write(out)
    except OSError as exc:
        fail(f"cannot write to {out}: {exc}", hint="pick a directory you can write to with --out")
    if json_:
        print_json({"day": result.day, "headline": result.digest.verdict.headline, "files": [str(f) for f in files]})
        return
    console.print(f"[bold]{safe(result.digest.verdict.headline)}[/] — digest of {result.day}")
    console.print(
        f"wrote {len(files)} files to {safe(out)}: {len(result.rendered.telegram)} Telegram message(s), "
        f"{len(result.rendered.discord)} Discord payload(s), {len(result.rendered.charts)} chart(s)"
    )
    console.print(f"open {safe(out / 'digest.html')} in a browser for the email view")


@app.command("send")
def send_cmd(
    ctx: typer.Context,
    date_: DateOpt = None,
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Only this channel (repeatable): email, telegram, discord.")
    ] = None,
    llm: LlmOpt = False,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Send a day's digest to every enabled channel it was not yet sent to, and archive it.

    The delivery ledger (<data_dir>/deliveries.jsonl) makes this safe to repeat: a channel
    that already has the day's digest is skipped, a failed one is retried.
    """
    from huracan.digest.ledger import LedgerBusyError
    from huracan.pipeline import archive, deliver_digest
    from huracan.plugins.manager import get_plugins

    cfg = settings(ctx, config, data_dir)
    unknown = [c for c in channel or [] if c not in CHANNELS]
    if unknown:
        fail(f"unknown channel {', '.join(unknown)}; choose from {', '.join(CHANNELS)}", code=2)
    cfg = cfg if llm else _offline(cfg)
    day = parse_day(date_)
    sent = _already_sent(cfg, day, channel or None)
    if sent is not None:
        sent_day, results = sent
        if json_:
            print_json({"day": sent_day, "archive": None, "deliveries": [r.__dict__ for r in results]})
        else:
            _print_results(sent_day, results, None)
        return
    result = _prepare(cfg, day, charts=True)
    archive(result, cfg.archive_dir)
    try:
        results = deliver_digest(cfg, get_plugins(cfg), result, channels=channel or None)
    except LedgerBusyError as exc:
        fail(str(exc))
    if json_:
        print_json(
            {
                "day": result.day,
                "archive": str(result.archive_dir),
                "deliveries": [r.__dict__ for r in results],
            }
        )
    else:
        _print_results(result.day, results, result.archive_dir)
    if not results:
        fail(
            "no channel is enabled and configured, so nothing was sent",
            hint="set notifiers.email.enabled (or telegram/discord) and its credentials; `huracan config show`",
        )
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def _print_results(day: date, results: list[Any], archive_dir: Path | None) -> None:
    from rich.table import Table

    table = Table("channel", "result", "attempts", "detail", title=f"digest of {day}", title_justify="left")
    for r in results:
        status = "[green]sent[/]" if r.ok and r.attempts else ("[dim]already sent[/]" if r.ok else "[red]failed[/]")
        if not r.ok and r.permanent:
            status += " [red](permanent)[/]"
        table.add_row(cell(r.channel), status, str(r.attempts), cell(r.detail))
    console.print(table)
    if archive_dir:
        console.print(f"archived to {safe(archive_dir)}")


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """What the delivery ledger says was sent, per day and channel."""
    from huracan.digest.ledger import DeliveryLedger

    cfg = settings(ctx, config, data_dir)
    days = DeliveryLedger.for_data_dir(cfg.data_dir).days()
    rows: list[dict[str, Any]] = [
        {
            "day": d,
            "channel": ch,
            "sent": st.done,
            "parts_sent": len(st.sent_parts),
            "runs": st.runs,
            "failures": st.failures,
            "last_error": st.last_error,
        }
        for d, chans in sorted(days.items(), reverse=True)
        for ch, st in sorted(chans.items())
    ]
    if json_:
        print_json(rows)
        return
    if not rows:
        console.print("no digest has been delivered yet (the ledger is empty)")
        return
    from rich.table import Table

    table = Table("day", "channel", "sent", "parts", "runs", "failures", "last error")
    for r in rows:
        table.add_row(
            *cells(r["day"], r["channel"]),
            "[green]yes[/]" if r["sent"] else "[red]no[/]",
            str(r["parts_sent"]),
            str(r["runs"]),
            str(r["failures"]),
            cell(r["last_error"] or ""),
        )
    console.print(table)

"""`huracan events schema|sample|validate`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, console, err_console, fail, settings
from huracan.cli.term import clean

app = typer.Typer(help="Event formats: JSON Schema, samples, validation.", no_args_is_help=True)


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the event union (discriminated on `type`)."""
    from huracan.events import EVENT_ADAPTER

    sys.stdout.write(json.dumps(EVENT_ADAPTER.json_schema(), indent=2) + "\n")


@app.command("sample")
def sample(
    type_: Annotated[str | None, typer.Option("--type", "-t", help="Event type; all types when omitted.")] = None,
    n: Annotated[int, typer.Option("-n", min=1, help="Events per type.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Print N valid, realistic example events as NDJSON."""
    from huracan.samples import sample_events

    try:
        for e in sample_events(type_, n=n, seed=seed):
            sys.stdout.write(e.model_dump_json() + "\n")
    except ValueError as exc:
        fail(str(exc), code=2)


@app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="NDJSON file, one event per line; '-' for stdin.")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Validate every line; report `line N: <field path>: <message>` for each bad one.

    Gate and mode names that plugins register are valid, as in the daemon.
    """
    from pydantic import ValidationError

    from huracan.cli.plugins_cmd import load_plugins
    from huracan.events import format_validation_error, parse_event

    load_plugins(settings(ctx, config, data_dir))  # registers plugin gate names (issue 13)

    # Bytes, not text: a line that is not UTF-8 is one invalid line, not a traceback.
    stream: BinaryIO
    if file == "-":
        stream = sys.stdin.buffer
    else:
        path = Path(file)
        if not path.is_file():
            fail(f"no such file: {file}", code=2)
        stream = path.open("rb")
    good = bad = 0
    with stream:
        for lineno, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                parse_event(line)
                good += 1
            except ValidationError as exc:
                bad += 1
                for msg in format_validation_error(exc):
                    typer.echo(f"line {lineno}: {clean(msg)}")
            except ValueError as exc:  # JSON syntax, non-object lines, failed upgrades
                bad += 1
                typer.echo(f"line {lineno}: (line): {clean(exc)}")
    summary = f"{good} valid, {bad} invalid"
    if bad:
        err_console.print(summary, highlight=False)
        raise typer.Exit(1)
    console.print(summary, highlight=False)

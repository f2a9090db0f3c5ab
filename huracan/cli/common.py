"""What every command shares: global options, loading settings, printing results.

Heavy libraries (duckdb, pyarrow, litellm) are imported inside commands, never here,
so that `huracan --help` and read commands start fast; so is the settings model
(pydantic-settings: a third of `huracan status --help`'s start-up), which only a
command that reads its settings needs.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from huracan.cli.term import cell

if TYPE_CHECKING:
    from huracan.config import Settings

console = Console()
err_console = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", envvar="HURACAN_CONFIG", help="huracan.yaml to use instead of the packaged default."
    ),
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="HURACAN_DATA_DIR", help="Where Huracan keeps its data."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date", "-d", help="Day as YYYY-MM-DD (UTC); default: the last day with Engine signals or outcomes."
    ),
]


@dataclass
class GlobalOptions:
    config: Path | None = None
    data_dir: Path | None = None


def settings(
    ctx: typer.Context | None,
    config: Path | None = None,
    data_dir: Path | None = None,
    *,
    must_exist: bool = True,
) -> Settings:
    """The effective settings: per-command options win over the root ones.

    A data directory named on the command line or in ``HURACAN_DATA_DIR`` must exist
    unless the command creates it (``must_exist=False``: the daemon, the simulator,
    ``init``): a typo must not read as an empty store.
    """
    from huracan.config import ConfigError, load_config

    root = ctx.find_root().obj if ctx is not None else None
    g = root if isinstance(root, GlobalOptions) else GlobalOptions()
    config = _flag_over_env(ctx, "config", config, g.config)
    chosen = _flag_over_env(ctx, "data_dir", data_dir, g.data_dir)
    try:
        cfg = load_config(config, data_dir=chosen)
    except ConfigError as exc:
        fail(str(exc), hint="run `huracan config check` to see every problem", code=2)
    if must_exist and chosen is not None and not cfg.data_dir.is_dir():
        what = "is not a directory" if cfg.data_dir.exists() else "does not exist"
        fail(
            f"--data-dir {cfg.data_dir} {what}",
            hint="check the path (and HURACAN_DATA_DIR); `huracan init` sets up a new one",
            code=2,
        )
    return cfg


def _flag_over_env(ctx: typer.Context | None, name: str, local: Path | None, root: Path | None) -> Path | None:
    """The command's own option, unless it only came from the environment and the root
    option was given: `huracan --data-dir X status` must beat ``HURACAN_DATA_DIR``."""
    if local is None:
        return root
    if root is not None and ctx is not None:
        source = ctx.get_parameter_source(name)
        if source is not None and source.name in {"ENVIRONMENT", "DEFAULT"}:
            return root
    return local


def fail(message: str, hint: str | None = None, code: int = 1) -> NoReturn:
    """Print an actionable error to stderr and exit with ``code``."""
    # soft_wrap: a path or command in the message must stay one copyable piece. Messages
    # carry outside text (ids, paths, plugin and job errors): shown, never obeyed (issue 13).
    err_console.print("[bold red]error:[/] ", end="", highlight=False)
    err_console.print(cell(message, 20_000, lines=True), highlight=False, soft_wrap=True)
    if hint:
        err_console.print("[dim]hint:[/] ", end="", highlight=False)
        err_console.print(cell(hint, 20_000, lines=True), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--date {value!r} is not a day; expected YYYY-MM-DD, e.g. 2025-11-06", code=2)


def _default(o: Any) -> Any:
    if isinstance(o, datetime | date):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "model_dump"):
        return o.model_dump(mode="json")
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps(data: Any, indent: int | None = 2) -> str:
    return json.dumps(data, default=_default, indent=indent, allow_nan=False)


def print_json(data: Any) -> None:
    sys.stdout.write(dumps(data) + "\n")

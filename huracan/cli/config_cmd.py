"""`huracan config check|show`."""

from __future__ import annotations

import os

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, JsonOpt, console, err_console, print_json
from huracan.cli.term import MAX_TEXT, cell, safe

app = typer.Typer(help="Check and show the effective configuration.", no_args_is_help=True)


@app.command("check")
def check(ctx: typer.Context, config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
    """Validate the configuration: exit 0 when valid, else list every problem and exit 1."""
    from huracan.config import ConfigError, default_config_path, load_config
    from huracan.config_checks import unmet_requirements

    root = ctx.find_root().obj
    path = config or getattr(root, "config", None)
    try:
        cfg = load_config(path, data_dir=data_dir or getattr(root, "data_dir", None))
    except ConfigError as exc:
        err_console.print(f"[bold red]invalid configuration[/] in {exc.source}:", highlight=False, soft_wrap=True)
        for p in exc.problems:
            err_console.print(cell(f"  {p}", MAX_TEXT), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    source = path or os.environ.get("HURACAN_CONFIG") or default_config_path()
    unmet = unmet_requirements(cfg)
    if unmet:
        err_console.print(f"[bold red]incomplete configuration[/] in {source}:", highlight=False, soft_wrap=True)
        for p in unmet:
            err_console.print(cell(f"  {p}", MAX_TEXT), highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"[green]configuration is valid[/]: {safe(source)} (data_dir: {safe(cfg.data_dir)})", highlight=False)


@app.command("show")
def show(ctx: typer.Context, config: ConfigOpt = None, data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """Print the effective configuration with every secret redacted."""
    import yaml

    from huracan.cli.common import settings
    from huracan.config import redacted_dump

    data = redacted_dump(settings(ctx, config, data_dir, must_exist=False))
    if json:
        print_json(data)
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False).rstrip())

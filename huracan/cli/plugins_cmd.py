"""`huracan plugins list`: every plugin, where it came from, and what it registered."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, JsonOpt, console, fail, print_json, settings
from huracan.cli.term import cell, cells

if TYPE_CHECKING:
    from huracan.config import Settings
    from huracan.plugins.manager import Plugins

app = typer.Typer(help="Plugins: what is loaded, from where, and what it registered.", no_args_is_help=True)


def load_plugins(cfg: Settings) -> Plugins:
    """The plugins for ``cfg``; a broken plugin set becomes a clean error and exit code 2."""
    from huracan.plugins.manager import PluginError, get_plugins

    try:
        return get_plugins(cfg)
    except PluginError as exc:
        fail(
            str(exc),
            hint="fix or uninstall the plugin, or list its name under plugins.disabled in huracan.yaml "
            "(HURACAN_DISABLE_ENTRY_POINTS=1 skips every installed plugin)",
            code=2,
        )


@app.command("list")
def list_(ctx: typer.Context, config: ConfigOpt = None, data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """List every plugin: origin (builtin / entry point / config), version, and its gates, metrics, learners, notifiers."""
    from rich.table import Table

    from huracan.plugins.manager import PluginError

    plugins = load_plugins(settings(ctx, config, data_dir, must_exist=False))
    try:
        rows = plugins.describe()
    except PluginError as exc:
        fail(str(exc), hint="rename or disable one of the plugins named above", code=2)
    if json:
        print_json(rows)
        if plugins.disabled:  # same exit code as the table (issue 13)
            raise typer.Exit(1)
        return
    table = Table(title="Plugins", title_justify="left")
    table.add_column("name", no_wrap=True)
    for col in ("origin", "version", "registered", "status"):
        table.add_column(col, overflow="fold")
    for r in rows:
        parts = [
            f"{len(r[k])} {k}" + (f" ({', '.join(r[k])})" if k != "metrics" and r[k] else "")
            for k in ("gates", "metrics", "learners", "notifiers")
            if r[k]
        ]
        status = cell(f"disabled: {r['error']}", 500, style="red") if r["error"] else cell("ok", style="green")
        table.add_row(
            *cells(r["name"], r["origin"], r["version"] or "-"), cell("\n".join(parts) or "-", lines=True), status
        )
    console.print(table)
    if plugins.disabled:
        raise typer.Exit(1)

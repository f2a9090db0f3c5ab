"""`huracan dashboard`: the live terminal dashboard."""

from __future__ import annotations

from typing import Annotated

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, settings


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)


def dashboard(
    ctx: typer.Context,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    url: Annotated[str | None, typer.Option("--url", envvar="HURACAN_URL", help="Daemon URL.")] = None,
    interval: Annotated[float, typer.Option(min=0.5, help="Seconds between refreshes.")] = 5.0,
) -> None:
    """Live dashboard: overview, trades (drill down with enter), models (export tracker), gates, feed.

    Reads through the daemon while it answers, else the store, and says since when the
    data is stale. `?` shows every key; ctrl+p every action.
    """
    from huracan.tui.app import Dashboard

    Dashboard(settings(ctx, config, data_dir), url=url, interval=interval).run()

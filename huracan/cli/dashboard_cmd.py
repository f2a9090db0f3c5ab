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
    """Live dashboard: overview, shadow trades, models, gates and the live feed (q quits)."""
    from functools import partial

    from huracan.daemon.access import find_daemon, open_reader
    from huracan.tui.app import Dashboard

    cfg = settings(ctx, config, data_dir)
    daemon_url = find_daemon(cfg, url)
    source = f"daemon {daemon_url}" if daemon_url else f"store {cfg.data_dir}"
    Dashboard(partial(open_reader, cfg, daemon_url), source=source, feed_url=daemon_url, interval=interval).run()

"""`huracan daemon`: the service in the foreground (status and jobs are in ``status_cmd``)."""

from __future__ import annotations

from typing import Annotated

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, fail, settings


def register(app: typer.Typer) -> None:
    app.command("daemon")(daemon)


def daemon(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address (default api.host, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default api.port, 8765; 0 = any free port).")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Run the daemon in the foreground (for systemd: Type=notify)."""
    import asyncio
    import logging

    from huracan.daemon.runfile import read_runfile
    from huracan.daemon.service import Daemon, StartupError
    from huracan.redact import install_log_redaction

    cfg = settings(ctx, config, data_dir, must_exist=False)
    if host:
        cfg.api.host = host
    if port is not None:
        cfg.api.port = port
    logging.basicConfig(level=cfg.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    install_log_redaction()  # no secret in the journal, whatever a plugin or a library logs
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry URLs with tokens
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one INFO line per job run
    from huracan.config_checks import unmet_requirements

    for problem in unmet_requirements(cfg):  # it still starts: the rest of the service works
        logging.getLogger("huracan.daemon").error("configuration: %s", problem)
    other = read_runfile(cfg.data_dir)
    if other is not None:
        fail(
            f"a daemon (pid {other.pid}) already serves {cfg.data_dir} at {other.url}",
            hint="stop it first (kill -TERM PID / systemctl stop huracan) or use another --data-dir",
            code=2,
        )
    d = Daemon(cfg)
    try:
        d.open()
        code = asyncio.run(d.serve())
    except StartupError as exc:
        d.close()
        fail(str(exc), code=2)
    raise typer.Exit(code)

"""The `huracan` command line.

Each command group lives in its own module (``huracan/cli/<group>_cmd.py``) exposing a
``typer.Typer`` named ``app`` or a ``register(app)`` function; add it to ``GROUPS``.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from huracan import __version__
from huracan.cli.common import ConfigOpt, DataDirOpt, GlobalOptions
from huracan.cli.errors import BoundaryGroup

app = typer.Typer(
    cls=BoundaryGroup,
    name="huracan",
    help="Huracan Observability: see what the learning Engine is doing, with every number verified.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

# (module, group name or None for top-level commands registered via register(app))
GROUPS: list[tuple[str, str | None]] = [
    ("huracan.cli.config_cmd", "config"),
    ("huracan.cli.events_cmd", "events"),
    ("huracan.cli.store_cmd", "store"),
    ("huracan.cli.daemon_cmd", None),
    ("huracan.cli.status_cmd", None),
    ("huracan.cli.init_cmd", None),
    ("huracan.cli.demo_cmd", None),
    ("huracan.cli.simulate_cmd", None),
    ("huracan.cli.dashboard_cmd", None),
    ("huracan.cli.plugins_cmd", "plugins"),
    ("huracan.cli.gates_cmd", "gates"),
    ("huracan.cli.explain_cmd", None),
    ("huracan.cli.trades_cmd", "trades"),
    ("huracan.cli.learning_cmd", "learning"),
    ("huracan.cli.models_cmd", "models"),
    ("huracan.cli.council_cmd", "council"),
    ("huracan.cli.metrics_cmd", None),
    ("huracan.cli.digest_cmd", "digest"),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"huracan {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Huracan Observability."""
    ctx.obj = GlobalOptions(config=config, data_dir=data_dir)
    _log_warnings_redacted()


def _log_warnings_redacted() -> None:
    import logging

    from huracan.redact import install_log_redaction

    # Warnings (a disabled plugin, a failed send) go to stderr with every secret masked.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_log_redaction()


for _module, _name in GROUPS:
    _mod = importlib.import_module(_module)
    if _name is None:
        _mod.register(app)
    else:
        app.add_typer(_mod.app, name=_name)


def main() -> None:
    app()

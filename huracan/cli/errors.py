"""The CLI's one error boundary: an expected failure becomes one line and an exit code.

Every command runs inside :class:`BoundaryGroup.invoke`. A failure a person can act on
(the daemon is down or refuses the token, the store is locked, a file cannot be read,
the configuration is invalid) is printed as ``error: what: why; what to do`` on stderr
and the command exits non-zero. Anything else is a bug and keeps its traceback.

Commands therefore do not wrap their work in try/except for these cases; they raise
(or let library code raise) and this module words the message once.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup, TyperOption
from typer.exceptions import TyperException

__all__ = ["EXIT_ARCHIVE_UNAVAILABLE", "BoundaryGroup", "explain_failure"]

#: Exit status of any command whose answer needs the cold archive while it is unreachable.
EXIT_ARCHIVE_UNAVAILABLE = 3


def explain_failure(exc: BaseException) -> tuple[str, int] | None:
    """The message and exit code for an expected failure, or None for a bug."""
    archive = _archive_failure(exc)
    if archive is not None:
        return archive
    from huracan.config import ConfigError
    from huracan.daemon.access import DaemonError
    from huracan.store.hot import StoreLockedError

    if isinstance(exc, DaemonError):
        return str(exc), 1
    if isinstance(exc, ConfigError):
        problems = "; ".join(exc.problems)
        return f"invalid configuration in {exc.source}: {problems}; run `huracan config check`", 2
    if isinstance(exc, StoreLockedError):
        return _locked(str(exc)), 1
    duck = _duckdb_failure(exc)
    if duck is not None:
        return duck
    if isinstance(exc, OSError) and exc.filename is not None:
        what = exc.strerror or type(exc).__name__
        hint = {
            PermissionError: "run as the user that owns it (the service's data may need sudo), "
            "or read through the daemon",
            FileNotFoundError: "check the path (--data-dir, --config, store.cold_uri)",
        }.get(type(exc), "check the path and its permissions")
        return f"cannot use {exc.filename}: {what}; {hint}", 1
    return None


def _archive_failure(exc: BaseException) -> tuple[str, int] | None:
    # Any answer over the views needs the cold archive; when it cannot be read, DuckDB (or
    # the daemon's /v1/sql, or the store) raises with this message wherever the command
    # ran: an error, never a silently partial answer (issue 15).
    if "the cold archive " not in str(exc):
        return None
    from huracan.store.cold import archive_error

    err = archive_error(exc)
    return (str(err), EXIT_ARCHIVE_UNAVAILABLE) if err is not None else None


def _duckdb_failure(exc: BaseException) -> tuple[str, int] | None:
    import sys

    duckdb = sys.modules.get("duckdb")  # never import DuckDB just to classify an error
    if duckdb is None or not isinstance(exc, duckdb.IOException):
        return None
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "lock" in text.lower():
        return _locked(text), 1
    return f"cannot open the store: {text}; check --data-dir and its permissions", 1


def _locked(text: str) -> str:
    import re

    pid = re.search(r"PID (\d+)", text)
    who = f" (pid {pid.group(1)}, usually the daemon)" if pid else " (usually the daemon)"
    return (
        f"the store is in use by another process{who} and no daemon answered; if it is starting, retry in a "
        "moment, else check it (`systemctl status huracan`, `journalctl -u huracan`) or stop it"
    )


def _print(message: str) -> None:
    from huracan.cli.common import err_console
    from huracan.cli.term import cell

    err_console.print("[bold red]error:[/] ", end="", highlight=False)
    err_console.print(cell(message, 20_000, lines=True), highlight=False, soft_wrap=True)  # outside text: inert


class BoundaryGroup(TyperGroup):
    """The root command group: runs every subcommand inside the error boundary."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click: its Context type is private
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except Exception as exc:
            explained = explain_failure(exc)
            if explained is None:
                raise
            message, code = explained
            _print(message)
            raise typer.Exit(code) from None


# Typer 0.29 labels on/off flags `<bool>` in --help, which reads as if `--json true`
# were the syntax (it is an error). A flag takes no value: show no type (issue 16).
_display_type_rich = TyperOption.display_type_rich


def _flag_aware_display_type(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag and not self.count:
        return None
    result: str | None = _display_type_rich(self, ctx)
    return result


TyperOption.display_type_rich = _flag_aware_display_type  # type: ignore[method-assign,assignment]

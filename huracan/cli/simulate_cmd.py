"""`huracan simulate`: fill the store with realistic Engine + Hamilton activity."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, JsonOpt, console, err_console, fail, print_json, settings
from huracan.cli.term import safe

DEFAULT_SYMBOLS = "BTC-USD,ETH-USD,SOL-USD"


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)


def _parse_end(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--end {value!r} is not a day; expected YYYY-MM-DD, e.g. 2025-11-06", code=2)


def simulate_cmd(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, help="Days to simulate.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same events, ids included.")] = 7,
    symbols: Annotated[str, typer.Option(help="Comma-separated symbols.")] = DEFAULT_SYMBOLS,
    signals_per_day: Annotated[int, typer.Option(min=1, help="Engine signals per day (about).")] = 1000,
    end: Annotated[str | None, typer.Option(help="Last simulated day, YYYY-MM-DD (UTC); default: yesterday.")] = None,
    learner: Annotated[str, typer.Option(help="Meta-label learner: hgb or logistic.")] = "hgb",
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Simulate DAYS of a learning Engine and of Hamilton and write every event.

    Signals through the six gates, shadow trades and counterfactual outcomes, decision
    traces, market snapshots, threshold changes, a daily 00:00 UTC retrain of a real
    scikit-learn model (registered, exported, verified and loaded by Hamilton) and live
    outcomes. Events go to the running daemon if there is one, else straight to the store.
    """
    from huracan.simulate import PROFILES, simulate

    cfg = settings(ctx, config, data_dir, must_exist=False)
    syms = tuple(s.strip().upper() for s in symbols.split(",") if s.strip())
    unknown = [s for s in syms if s not in PROFILES]
    if not syms or unknown:
        fail(
            f"unknown symbol(s): {', '.join(unknown) or '(none given)'}",
            hint=f"choose from {', '.join(PROFILES)}",
            code=2,
        )
    if learner not in ("hgb", "logistic"):
        fail(f"--learner {learner!r} is not a learner", hint="use hgb or logistic", code=2)
    last = _parse_end(end)
    logger, target, closer = _open_logger(cfg)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from huracan.store.registry import ModelRegistry

    t0 = time.perf_counter()
    with Progress(
        TextColumn("[bold]simulating[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=json_out,
    ) as bar:
        task = bar.add_task(f"{days} days, {', '.join(syms)}", total=days)
        try:
            summary = simulate(
                cfg,
                emit=logger.log,
                registry=lambda emit: ModelRegistry(cfg, emit),
                days=days,
                seed=seed,
                symbols=syms,
                signals_per_day=signals_per_day,
                end=last,
                learner=learner,  # type: ignore[arg-type]
                progress=lambda done, _total: bar.update(task, completed=done),
                flush=logger.flush,
            )
        except ValueError as exc:
            logger.close()
            closer()
            fail(str(exc), code=2)
    written = logger.close()
    stats = logger.stats()
    closer()
    elapsed = time.perf_counter() - t0
    _report(summary, target, elapsed, written, stats, json_out)
    # Events the daemon refused (a gate it does not know, say) are lost, not "simulated" (issue 13).
    refused = int(getattr(logger.sink, "rejected", 0) or 0)
    if refused:
        fail(
            f"the daemon rejected {refused:,} of the simulated events; they are not stored",
            hint="the daemon's log and `huracan plugins list` say why (e.g. a gate only this process knows)",
        )


def _open_logger(cfg: Any) -> tuple[Any, str, Any]:
    """The logger to write through: the daemon's client if one runs, else the store itself."""
    from huracan.daemon.access import find_daemon

    if find_daemon(cfg) is not None:
        from huracan.ingest.client import connect

        logger = connect(settings=cfg)
        return logger, f"daemon at {find_daemon(cfg)}", lambda: None
    from huracan.ingest import EventLogger
    from huracan.store import Store, StoreLockedError

    try:
        store = Store.open(cfg)
    except StoreLockedError as exc:
        fail(str(exc), hint="stop the process holding the store, or start `huracan daemon` and retry")
    logger = EventLogger(store, cfg.ingest, spool_dir=cfg.spool_dir).start()
    return logger, f"store {cfg.data_dir}", store.close


def _report(summary: Any, target: str, elapsed: float, written: bool, stats: dict[str, Any], json_out: bool) -> None:
    events = sum(summary.events_by_type.values())
    dropped = int(stats.get("dropped_total", 0) or 0)
    if json_out:
        print_json(
            {
                **summary.to_dict(),
                "target": target,
                "events": events,
                "elapsed_s": round(elapsed, 2),
                "all_written": written,
                "dropped": dropped,
            }
        )
        return
    from rich.table import Table

    table = Table(title=f"written to {safe(target)}", show_edge=False)
    table.add_column("event type")
    table.add_column("events", justify="right")
    for etype, n in summary.events_by_type.items():
        table.add_row(etype, f"{n:,}")
    table.add_row("[bold]total[/]", f"[bold]{events:,}[/]")
    console.print(table)
    auc = summary.daily_auc
    console.print(
        f"{summary.start:%Y-%m-%d} → {summary.end:%Y-%m-%d} (end exclusive), seed {summary.seed}: "
        f"{summary.signals:,} signals, {summary.shadow_trades:,} shadow trades, {summary.blocked:,} blocked, "
        f"{summary.live_trades:,} live trades"
    )
    console.print(
        f"models: {len(summary.models_registered)} registered, {len(summary.models_exported)} exported, "
        f"{len(summary.models_loaded)} loaded by Hamilton"
        + (f"; out-of-time AUC {min(auc):.3f}–{max(auc):.3f}" if auc else "")
    )
    console.print(f"{summary.open_at_end:,} events still open at the end (not written); took {elapsed:.1f} s")
    if dropped or not written:
        err_console.print(
            f"[yellow]warning:[/] {dropped:,} events were shed by the logger"
            + ("" if written else "; some are still in the spool and will be written on the next start")
        )

"""`huracan store info|roll|migrate|backup|restore`: what the store holds, the hot -> cold roll
by hand, the Parquet -> Delta migration, and backups of what the archive does not hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, JsonOpt, console, fail, print_json, settings
from huracan.cli.errors import EXIT_ARCHIVE_UNAVAILABLE
from huracan.cli.term import cell, safe

app = typer.Typer(help="The event store: hot DuckDB + cold Delta Lake archive.", no_args_is_help=True)


def _size(n: int) -> str:
    from huracan.cli.fmt import size  # one unit system for `status` and `store info` (MiB)

    return size(n)


def _days(d: dict[str, Any]) -> str:
    return f"{d['count']} ({d['first']} .. {d['last']})" if d["count"] else "none"


@app.command("info")
def info(ctx: typer.Context, config: ConfigOpt = None, data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Size, rows per event type in the hot and cold tiers, and the days each holds."""
    from rich.table import Table

    from huracan.daemon.access import open_reader
    from huracan.store.info import store_info

    cfg = settings(ctx, config, data_dir)
    # An unreachable archive raises ArchiveUnavailable: the CLI's boundary prints it (exit 3).
    with open_reader(cfg) as conn:
        out = store_info(cfg, conn)
    if as_json:
        print_json(out)
        return
    console.print(f"hot  {safe(out['hot_path'])}  {_size(out['bytes']['hot'])}, days {_days(out['days']['hot'])}")
    console.print(
        f"cold {safe(out['cold_uri'])}  {_size(out['bytes']['cold'])} in {len(out['tables'])} Delta tables, "
        f"{out['files']['cold']} files, days {_days(out['days']['cold'])}"
    )
    table = Table("type", "hot", "cold", "total")
    for etype, n in out["types"].items():
        table.add_row(cell(etype), f"{n['hot']:,}", f"{n['cold']:,}", f"{n['hot'] + n['cold']:,}")
    rows = out["rows"]
    table.add_row("[bold]all[/]", f"{rows['hot']:,}", f"{rows['cold']:,}", f"{rows['hot'] + rows['cold']:,}")
    console.print(table)


@app.command("roll")
def roll(
    ctx: typer.Context,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    now: Annotated[
        str | None,
        typer.Option(help="Pretend it is this UTC time (ISO 8601); days older than store.hot_days before it move."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move hot days older than `store.hot_days` to the cold archive (safe to rerun)."""
    from huracan.store import ArchiveUnavailable, Store, StoreLockedError

    cfg = settings(ctx, config, data_dir)
    at = datetime.now(UTC)
    if now is not None:
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now {now!r} is not an ISO 8601 time, e.g. 2025-11-13T00:45:00Z", code=2)
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    try:
        with Store.open(cfg) as store:
            report = store.roll(at)
    except StoreLockedError:
        fail(
            "the daemon holds the store, so it cannot be rolled from here",
            hint=f"run it through the daemon now: `huracan jobs run roll` (it also rolls every night at {cfg.scheduler.roll_at} UTC)",
        )
    except ArchiveUnavailable as exc:
        fail(str(exc), hint="fix the cause and rerun: the roll is idempotent", code=EXIT_ARCHIVE_UNAVAILABLE)
    if as_json:
        print_json(report.as_dict())
        return
    if not report.moved and not report.reconciled:
        console.print(f"nothing to roll: no hot day is on or before {report.cutoff}")
        return
    days = ", ".join(d.isoformat() for d in report.days)
    console.print(f"rolled {report.rows:,} events in {len(report.moved)} Delta commits (days {days or 'none'})")
    if report.reconciled:
        console.print(f"finished an interrupted roll: {report.reconciled:,} hot rows were already archived")


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Convert a Parquet archive written by a release before Delta Lake into the Delta tables.

    One commit per event type; old schema versions are upgraded; the Parquet files are
    deleted only once their rows are in the table. Safe to rerun. Stop the daemon first.
    """
    from huracan.store import ArchiveUnavailable, Store, StoreLockedError
    from huracan.store.migrate import migrate as run_migrate

    cfg = settings(ctx, config, data_dir)
    try:
        # The writer's lock: no daemon may roll into the archive while it is converted.
        with Store.open(cfg) as store:
            report = run_migrate(store.cold, progress=None if as_json else lambda m: console.print(safe(m)))
            store.refresh()
    except StoreLockedError:
        fail(
            "the daemon holds the store; the archive cannot be migrated while it runs",
            hint="stop it (`systemctl stop huracan`), run `huracan store migrate`, then start it again",
        )
    except ArchiveUnavailable as exc:
        fail(str(exc), hint="fix the cause and rerun: the migration is idempotent", code=EXIT_ARCHIVE_UNAVAILABLE)
    if as_json:
        print_json(report.as_dict())
        return
    if not report.tables:
        console.print(f"nothing to migrate: {safe(report.uri)} holds no Parquet archive of an older release")
        return
    for t in report.tables:
        note = " (committed by an earlier run; files removed now)" if t.already_done else ""
        console.print(
            f"{t.type}: {t.rows:,} rows from {t.files:,} files, {t.days} days → Delta version {t.version}{note}"
        )
    console.print(f"migrated {report.rows:,} rows into {len(report.tables)} Delta tables at {safe(report.uri)}")


@app.command("backup")
def backup(
    ctx: typer.Context,
    dest: Annotated[str, typer.Argument(help="A local path or s3:// URI; the backup goes in a new folder under it.")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up what the cold archive does not hold: the hot tier, the registry, the ledgers, the digests.

    The hot tier is one consistent snapshot, taken by the daemon when it runs (else
    here). Every file is listed with its SHA-256 in manifest.json, written last.
    """
    from huracan.daemon.access import auth_headers, find_daemon
    from huracan.store import Store
    from huracan.store.backup import BackupError, take_snapshot
    from huracan.store.backup import backup as run_backup

    cfg = settings(ctx, config, data_dir)
    url = find_daemon(cfg)
    if url:
        import httpx

        r = httpx.post(f"{url}/v1/store/snapshot", headers=auth_headers(cfg), timeout=600)
        if r.status_code != 200:
            fail(f"the daemon at {url} could not snapshot the hot tier ({r.status_code}): {safe(r.text[:300])}")
        snapshot = r.json()
    else:
        with Store.open(cfg) as store:
            snapshot = take_snapshot(store)
    try:
        manifest = run_backup(cfg, snapshot, dest)
    except (BackupError, ValueError) as exc:
        fail(str(exc), hint="check DEST and its credentials, then rerun (each run writes a new folder)")
    if as_json:
        print_json(manifest)
        return
    rows = sum(manifest["hot_tables"].values())
    size = sum(f["bytes"] for f in manifest["files"])
    console.print(
        f"backed up {rows:,} hot rows in {len(manifest['hot_tables'])} tables and "
        f"{len(manifest['files'])} files ({_size(size)}) to {safe(manifest['uri'])}"
    )


@app.command("restore")
def restore(
    ctx: typer.Context,
    src: Annotated[str, typer.Argument(help="A backup folder, or the DEST given to backup (its newest backup).")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bring a new host up from a backup: the hot tier, the registry, the ledgers, the digests.

    The data dir must not hold a store yet. Every file is checked against the backup's
    manifest first. The cold archive stays where it is (store.cold_uri).
    """
    from huracan.store.backup import BackupError
    from huracan.store.backup import restore as run_restore

    cfg = settings(ctx, config, data_dir)
    try:
        out = run_restore(cfg, src, progress=None if as_json else lambda m: console.print(safe(m)))
    except (BackupError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        print_json(out)

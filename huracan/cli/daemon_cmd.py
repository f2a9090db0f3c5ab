"""`huracan daemon`, `huracan status`, `huracan jobs`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from huracan.cli.common import (
    ConfigOpt,
    DataDirOpt,
    DateOpt,
    JsonOpt,
    console,
    fail,
    parse_day,
    print_json,
    settings,
)

UrlOpt = Annotated[
    str | None, typer.Option("--url", envvar="HURACAN_URL", help="Daemon URL (default: the one owning --data-dir).")
]


def register(app: typer.Typer) -> None:
    app.command("daemon")(daemon)
    app.command("status")(status)
    jobs_app = typer.Typer(help="Scheduled job runs: list them, run one now.", invoke_without_command=True)
    jobs_app.callback()(jobs_list)
    jobs_app.command("run")(jobs_run)
    app.add_typer(jobs_app, name="jobs")


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

    cfg = settings(ctx, config, data_dir)
    if host:
        cfg.api.host = host
    if port is not None:
        cfg.api.port = port
    logging.basicConfig(level=cfg.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry URLs with tokens
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one INFO line per job run
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


def _daemon_get(cfg: Any, url: str | None, path: str) -> Any | None:
    import httpx

    from huracan.daemon.access import auth_headers, find_daemon

    base = find_daemon(cfg, url)
    if base is None:
        return None
    r = httpx.get(base + path, headers=auth_headers(cfg), timeout=30)
    if r.status_code == 401:
        fail("the daemon wants a bearer token", hint="set HURACAN_TOKEN or api.token")
    r.raise_for_status()
    return r.json()


def status(
    ctx: typer.Context, config: ConfigOpt = None, data_dir: DataDirOpt = None, url: UrlOpt = None, json: JsonOpt = False
) -> None:
    """Whether a daemon runs and where, store size, event counts, queue health, last jobs."""
    cfg = settings(ctx, config, data_dir)
    data = _daemon_get(cfg, url, "/v1/status")
    if data is None:
        data = _local_status(cfg)
    if json:
        print_json(data)
        return
    _print_status(data)


def _local_status(cfg: Any) -> dict[str, Any]:
    from huracan.daemon.status import store_status

    if not cfg.hot_db_path.exists():
        return {
            "daemon": {"running": False},
            "data_dir": str(cfg.data_dir),
            "events_total": 0,
            "events_today": 0,
            "events_by_type": {},
            "store": {"hot_bytes": 0, "cold_bytes": 0},
            "queue": None,
            "jobs": [],
        }
    from huracan.store import Store

    store = Store.open(cfg, read_only=True)
    try:
        out = store_status(cfg, store.cursor())
        out["jobs"] = _local_jobs(store.cursor(), 10)
    finally:
        store.close()
    out["daemon"] = {"running": False}
    out["queue"] = None
    return out


def _local_jobs(conn: Any, limit: int) -> list[dict[str, Any]]:
    from huracan.daemon.ledger import JobLedger

    try:
        rows = conn.execute("SELECT * FROM job_runs ORDER BY started_at DESC LIMIT ?", [limit]).fetchall()
    except Exception:  # no daemon has ever run here: no ledger table yet
        return []
    return [JobLedger._row(r).as_dict() for r in rows]


def _print_status(data: dict[str, Any]) -> None:
    from rich.table import Table

    d = data.get("daemon") or {}
    if d.get("running"):
        console.print(f"[green]daemon running[/] at {d['url']} (pid {d['pid']}, since {d['started_at']})")
    else:
        console.print("[yellow]no daemon running[/] — reading the store directly")
    store = data.get("store", {})
    console.print(
        f"data: {data['data_dir']}  hot {store.get('hot_bytes', 0) / 1e6:.1f} MB, cold {store.get('cold_bytes', 0) / 1e6:.1f} MB"
    )
    console.print(f"events: {data['events_total']:,} total, {data['events_today']:,} today")
    if data.get("last_data_day"):
        console.print(f"last day with Engine data: {data['last_data_day']} (what per-day commands report)")
    t = Table("type", "total", "today")
    for k, v in sorted(data.get("events_by_type", {}).items()):
        t.add_row(k, f"{v['total']:,}", f"{v['today']:,}")
    console.print(t)
    q = data.get("queue")
    if q:
        console.print(
            f"queue: {q.get('health', '?')}, fill {float(q.get('fill', 0)):.1%}, kill switch {'ON' if q.get('kill_switch') else 'off'}"
        )
    _print_jobs(data.get("jobs", []))


def _print_jobs(jobs: list[dict[str, Any]]) -> None:
    from rich.table import Table

    if not jobs:
        console.print("no job runs recorded")
        return
    t = Table("job", "day", "trigger", "started", "status", "error")
    for j in jobs:
        colour = {"ok": "green", "error": "red", "running": "yellow"}.get(j["status"], "white")
        t.add_row(
            j["job"],
            j["day"] or "",
            j["trigger"],
            j["started_at"][:19],
            f"[{colour}]{j['status']}[/]",
            (j.get("error") or "")[:60],
        )
    console.print(t)


def jobs_list(
    ctx: typer.Context,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    url: UrlOpt = None,
    limit: Annotated[int, typer.Option(help="How many runs.")] = 30,
    job: Annotated[str | None, typer.Option(help="Only this job.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include the queue monitor's frequent ticks.")] = False,
    json: JsonOpt = False,
) -> None:
    """Recorded job runs (start, end, status, error), newest first."""
    if ctx.invoked_subcommand:
        return
    cfg = settings(ctx, config, data_dir)
    hide_ticks = job is None and not all_
    # The monitor ticks every few seconds: fetch enough to still show `limit` runs without them.
    fetch = min(limit * 20, 1000) if hide_ticks else limit
    q = f"/v1/jobs?limit={fetch}" + (f"&job={job}" if job else "")
    runs = _daemon_get(cfg, url, q)
    if runs is None:
        if not cfg.hot_db_path.exists():
            runs = []
        else:
            from huracan.store import Store

            store = Store.open(cfg, read_only=True)
            try:
                runs = [r for r in _local_jobs(store.cursor(), fetch) if job is None or r["job"] == job]
            finally:
                store.close()
    if hide_ticks:
        runs = [r for r in runs if r["job"] != "monitor"][:limit]
    if json:
        print_json(runs)
    else:
        _print_jobs(runs)


def jobs_run(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help="nightly, roll, alerts, deadman or monitor.")],
    date: DateOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    url: UrlOpt = None,
    json: JsonOpt = False,
) -> None:
    """Run a job now: through the daemon when one runs, else in this process."""
    import httpx

    from huracan.daemon.access import auth_headers, find_daemon
    from huracan.daemon.jobs import JOBS

    if job not in JOBS:
        fail(f"unknown job {job!r}", hint=f"jobs: {', '.join(sorted(JOBS))}", code=2)
    cfg = settings(ctx, config, data_dir)
    day = parse_day(date)
    base = find_daemon(cfg, url)
    if base:
        r = httpx.post(
            f"{base}/v1/jobs/{job}/run",
            json={"day": day.isoformat() if day else None},
            headers=auth_headers(cfg),
            timeout=3600,
        )
        r.raise_for_status()
        result = r.json()
    else:
        import asyncio

        from huracan.daemon.service import Daemon

        d = Daemon(cfg)
        d.open()
        try:
            result = asyncio.run(d.run_job(job, day=day, trigger="cli"))
        finally:
            d.close()
    if json:
        print_json(result)
    else:
        colour = "green" if result["status"] == "ok" else "red"
        console.print(
            f"[{colour}]{job} {result['status']}[/] for {result.get('day')}: {result.get('detail') or result.get('error')}"
        )
    if result["status"] != "ok":
        raise typer.Exit(1)

"""`huracan status`, `huracan jobs`, `huracan jobs run`: what the service is doing.

Each reads through the daemon when one answers (see :func:`huracan.daemon.access.find_daemon`)
and falls back to the store when none runs. Job results are printed in words — one line
per job, never a raw dict (``--json`` has the data).
"""

from __future__ import annotations

from datetime import datetime
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
from huracan.cli.fmt import duration, size
from huracan.cli.term import MAX_TEXT, cell, cells, safe

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", envvar="HURACAN_URL", help="Daemon URL (default: the one serving --data-dir, or api.host:api.port)."
    ),
]

__all__ = ["describe_run", "register"]


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    jobs_app = typer.Typer(help="Scheduled job runs: list them, run one now.", invoke_without_command=True)
    jobs_app.callback()(jobs_list)
    jobs_app.command("run")(jobs_run)
    app.add_typer(jobs_app, name="jobs")


def _daemon_get(cfg: Any, url: str | None, path: str) -> Any | None:
    from huracan.daemon.access import auth_headers, daemon_request, find_daemon

    base = find_daemon(cfg, url)
    if base is None:
        return None
    return daemon_request(base, "GET", path, auth_headers(cfg))


def status(
    ctx: typer.Context, config: ConfigOpt = None, data_dir: DataDirOpt = None, url: UrlOpt = None, json: JsonOpt = False
) -> None:
    """Whether a daemon runs and where, store size, event counts, queue health, the last run of each job."""
    cfg = settings(ctx, config, data_dir)
    data = _daemon_get(cfg, url, "/v1/status")
    if data is None:
        data = _local_status(cfg)
    if json:
        print_json(data)
    else:
        _print_status(data)
    if data.get("archive_error"):
        from huracan.cli.errors import EXIT_ARCHIVE_UNAVAILABLE

        raise typer.Exit(EXIT_ARCHIVE_UNAVAILABLE)  # what was printed is the hot tier only


def _local_status(cfg: Any) -> dict[str, Any]:
    from huracan.daemon.status import store_status

    if not cfg.hot_db_path.exists():
        return {
            "daemon": {"running": False},
            "data_dir": str(cfg.data_dir),
            "events_total": 0,
            "events_today": 0,
            "events_by_type": {},
            "last_event_at": None,
            "store": {"hot_bytes": 0, "cold_bytes": 0},
            "queue": None,
            "jobs": [],
        }
    from huracan.daemon.ledger import latest_runs
    from huracan.store import Store

    store = Store.open(cfg, read_only=True)
    try:
        out = store_status(cfg, store)
        out["jobs"] = [r.as_dict() for r in latest_runs(store.cursor())]
    finally:
        store.close()
    out["daemon"] = {"running": False}
    out["queue"] = None
    return out


def _print_status(data: dict[str, Any]) -> None:
    from rich.table import Table

    d = data.get("daemon") or {}
    if d.get("running"):
        console.print(
            f"[green]daemon running[/] at {safe(d['url'])} (pid {d['pid']}, version {safe(d.get('version', '?'))}, "
            f"since {_when(d['started_at'])})",
            highlight=False,
        )
    else:
        console.print("[yellow]no daemon running[/] — reading the store directly", highlight=False)
    store = data.get("store", {})
    console.print(
        f"data: {safe(data['data_dir'])}  hot {size(store.get('hot_bytes', 0))}, cold {size(store.get('cold_bytes', 0))}",
        highlight=False,
    )
    last = f", last at {_when(data['last_event_at'])}" if data.get("last_event_at") else ""
    console.print(f"events: {data['events_total']:,} total, {data['events_today']:,} today (UTC){last}")
    if data.get("archive_error"):
        console.print(
            f"[red]the counts are the hot tier's only[/]: {safe(data['archive_error'])}",
            highlight=False,
            soft_wrap=True,
        )
    if data.get("last_data_day"):
        console.print(f"last day with Engine data: {data['last_data_day']} (what per-day commands report)")
    if data.get("events_by_type"):
        t = Table("type", "total", "today", show_edge=False)
        for k, v in sorted(data["events_by_type"].items()):
            t.add_row(cell(k), f"{v['total']:,}", f"{v['today']:,}")
        console.print(t)
    q = data.get("queue")
    if q:
        console.print(
            f"queue: {q.get('health', '?')}, fill {float(q.get('fill', 0)):.1%}, "
            f"kill switch {'ON' if q.get('kill_switch') else 'off'}"
        )
    jobs = data.get("jobs", [])
    if jobs:
        console.print("[bold]last run of each job[/]")
    _print_jobs(jobs)


def _when(iso: str | None) -> str:
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S UTC")


def _took(run: dict[str, Any]) -> str:
    if not run.get("ended_at"):
        return "running" if run["status"] == "running" else "-"
    secs = (datetime.fromisoformat(run["ended_at"]) - datetime.fromisoformat(run["started_at"])).total_seconds()
    return duration(secs)


def _print_jobs(runs: list[dict[str, Any]]) -> None:
    from rich.table import Table

    if not runs:
        console.print("no job runs recorded")
        return
    t = Table(show_edge=False)
    for col in ("job", "day", "trigger", "started (UTC)", "ended", "took", "status"):
        t.add_column(col, no_wrap=True)
    t.add_column("result", ratio=1, overflow="fold")
    for j in runs:
        colour = {"ok": "green", "error": "red", "running": "yellow", "interrupted": "yellow"}.get(j["status"], "")
        t.add_row(
            *cells(
                j["job"],
                j["day"] or "-",
                j["trigger"],
                j["started_at"][:19].replace("T", " "),
                (j.get("ended_at") or "-")[11:19] or "-",
                _took(j),
            ),
            cell(j["status"], style=colour),
            cell(describe_run(j["job"], j["status"], j.get("detail") or {}, j.get("error"), short=True), MAX_TEXT),
        )
    console.print(t)


def jobs_list(
    ctx: typer.Context,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    url: UrlOpt = None,
    limit: Annotated[int, typer.Option(help="How many runs.", min=1, max=1000)] = 30,
    job: Annotated[str | None, typer.Option(help="Only this job.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include the queue monitor's frequent ticks.")] = False,
    json: JsonOpt = False,
) -> None:
    """Recorded job runs, newest first: day, trigger, start, end, duration, status and result."""
    if ctx.invoked_subcommand:
        return
    cfg = settings(ctx, config, data_dir)
    hide_ticks = job is None and not all_
    # The monitor ticks every few seconds: fetch enough to still show `limit` runs without them.
    fetch = min(limit * 20, 1000) if hide_ticks else limit
    runs = _daemon_get(cfg, url, f"/v1/jobs?limit={fetch}" + (f"&job={job}" if job else ""))
    if runs is None:
        runs = _local_runs(cfg, fetch, job)
    if hide_ticks:
        runs = [r for r in runs if r["job"] != "monitor"][:limit]
    if json:
        print_json(runs)
    else:
        _print_jobs(runs)


def _local_runs(cfg: Any, limit: int, job: str | None) -> list[dict[str, Any]]:
    if not cfg.hot_db_path.exists():
        return []
    from huracan.store import Store

    store = Store.open(cfg, read_only=True)
    try:
        where, params = ("WHERE job = ?", [job]) if job else ("", [])
        try:
            rows = (
                store.cursor()
                .execute(f"SELECT * FROM job_runs {where} ORDER BY started_at DESC LIMIT ?", [*params, limit])
                .fetchall()
            )
        except Exception as exc:  # no daemon has ever run here: no ledger table yet
            if "job_runs" in str(exc):
                return []
            raise
    finally:
        store.close()
    from huracan.daemon.ledger import JobLedger

    return [JobLedger._row(tuple(r)).as_dict() for r in rows]


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
    from huracan.daemon.access import auth_headers, daemon_request, find_daemon
    from huracan.daemon.jobs import JOBS

    if job not in JOBS:
        fail(f"unknown job {job!r}", hint=f"jobs: {', '.join(sorted(JOBS))}", code=2)
    cfg = settings(ctx, config, data_dir)
    day = parse_day(date)
    base = find_daemon(cfg, url)
    if base:
        result = daemon_request(
            base,
            "POST",
            f"/v1/jobs/{job}/run",
            auth_headers(cfg),
            timeout=3600,
            json={"day": day.isoformat() if day else None},
        )
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
        ok = result["status"] == "ok"
        day_txt = f" for {result['day']}" if result.get("day") else ""
        took = (result.get("detail") or {}).get("seconds")
        took_txt = f" in {duration(took)}" if took is not None else ""
        console.print(
            f"[{'green' if ok else 'red'}]{safe(job)} {safe(result['status'])}[/]{safe(day_txt)}{took_txt}",
            highlight=False,
        )
        text = describe_run(job, result["status"], result.get("detail") or {}, result.get("error"))
        console.print(cell(text, 20_000, lines=True), highlight=False, soft_wrap=True)
    if result["status"] != "ok":
        raise typer.Exit(1)


def describe_run(job: str, status: str, detail: dict[str, Any], error: str | None, short: bool = False) -> str:
    """A job run's result in words (``short``: one line for a table cell)."""
    if status != "ok":
        return error or status
    describe = _DESCRIBE.get(job)
    if describe is None:
        keys = ", ".join(f"{k} {v}" for k, v in detail.items() if not isinstance(v, dict | list) and k != "seconds")
        return keys or "done"
    lines = describe(detail)
    return lines[0] if short else "\n".join(lines)


def _nightly(d: dict[str, Any]) -> list[str]:
    lines = [str(d.get("headline") or "digest built")]
    check = "passed" if d.get("self_check") else "FAILED"
    lines.append(f"metrics: {d.get('metrics', 0)}, self-check {check}")
    council = d.get("council_mode")
    if council:
        caught = d.get("canary_caught")
        canary = "" if caught is None else (", planted false number caught" if caught else ", planted number MISSED")
        cost = f", ${float(d['cost_usd']):.4f}" if d.get("cost_usd") is not None else ""
        lines.append(f"council: {council}{canary}{cost}")
    if d.get("archive"):
        lines.append(f"archived in {d['archive']}")
    deliveries = d.get("deliveries") or []
    if deliveries:
        sent = "; ".join(f"{x['channel']} {'ok' if x['ok'] else 'FAILED: ' + str(x.get('detail'))}" for x in deliveries)
        lines.append(f"delivery: {sent}")
    else:
        lines.append("delivery: no channel enabled (notifiers.* in huracan.yaml)")
    if d.get("alerts"):
        lines.append(f"alerts raised: {', '.join(d['alerts'])}")
    return lines


def _roll(d: dict[str, Any]) -> list[str]:
    days = d.get("days") or []
    if not d.get("rows") and not d.get("reconciled"):
        return [f"nothing to roll: no hot day older than the cutoff {d.get('cutoff', '?')}"]
    span = f"{days[0]} .. {days[-1]}" if len(days) > 1 else (days[0] if days else "-")
    line = f"moved {int(d.get('rows', 0)):,} events of {len(days)} day(s) ({span}) into {d.get('files', 0)} file(s)"
    out = [line, f"cutoff {d.get('cutoff', '?')}"]
    if d.get("reconciled"):
        out.append(f"finished an interrupted roll: {int(d['reconciled']):,} hot rows already archived removed")
    return out


def _alerts(d: dict[str, Any]) -> list[str]:
    fired = d.get("alerts") or []
    return [f"{len(fired)} alert(s) fired: {', '.join(fired)}" if fired else "no alert rule fired"]


def _deadman(d: dict[str, Any]) -> list[str]:
    fired = d.get("fired") or []
    return [f"fired: {', '.join(fired)}" if fired else "digest delivered and ingest alive: nothing fired"]


def _monitor(d: dict[str, Any]) -> list[str]:
    health = str(d.get("health", "?")).rsplit(".", 1)[-1].lower()
    fill = d.get("fill")
    return [f"queue {health}" + (f", fill {float(fill):.1%}" if fill is not None else "")]


_DESCRIBE = {"nightly": _nightly, "roll": _roll, "alerts": _alerts, "deadman": _deadman, "monitor": _monitor}

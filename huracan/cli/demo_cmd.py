"""`huracan demo`: the whole product end to end, with no keys and nothing set up."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from huracan.cli.common import console, fail
from huracan.cli.term import safe


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[Path, typer.Option(help="Where the demo writes its data and digest.")] = Path("huracan-demo"),
    days: Annotated[int, typer.Option(min=2, help="Days of Engine and Hamilton activity to simulate.")] = 30,
    seed: Annotated[int, typer.Option(help="Simulation seed.")] = 7,
    signals_per_day: Annotated[int | None, typer.Option(help="Signals per day (default: the simulator's).")] = None,
) -> None:
    """Start a daemon, simulate DAYS of activity through the client, run the nightly
    pipeline with the offline council, write the digest to OUT, stop the daemon."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from huracan.config import load_config

    t_start = time.perf_counter()
    out = out.resolve()
    data_dir = out / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)  # a demo starts from an empty store every time
    data_dir.mkdir(parents=True)
    settings = load_config(data_dir=data_dir)
    env = dict(os.environ, HURACAN_DATA_DIR=str(data_dir), LITELLM_LOCAL_MODEL_COST_MAP="True")
    env.pop("HURACAN_URL", None)
    log_path = out / "daemon.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "huracan", "daemon", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        url = _wait_for_daemon(settings, proc, log_path)
        console.print(f"[green]daemon[/] started at {url} (pid {proc.pid}, log {log_path})")
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            summary = _simulate(settings, url, days, seed, signals_per_day, progress)
            task = progress.add_task("nightly pipeline (metrics → offline council → digest)", total=1)
            result = _run_nightly(settings, url, summary["last_day"])
            progress.update(task, completed=1)
        if result["status"] != "ok":
            fail(f"the nightly pipeline failed: {result.get('error')}", hint=f"see {log_path}")
        written = _collect(settings, summary["last_day"], out)
    finally:
        _stop(proc)
    detail = result.get("detail", {})
    console.rule("[bold]Huracan demo")
    console.print(f"[bold]{safe(detail.get('headline', 'digest written'))}[/]")
    console.print(
        f"simulated {days} days: {summary['events']:,} events through the daemon "
        f"({summary['events_per_s']:,.0f} events/s end to end)"
    )
    for p in written:
        console.print(f"  {safe(p)}")
    console.print(f"open {out / 'digest.html'} in a browser; total {time.perf_counter() - t_start:.0f} s")


def _wait_for_daemon(settings: Any, proc: subprocess.Popen[bytes], log_path: Path) -> str:
    from huracan.daemon.access import find_daemon

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail(f"the daemon exited with code {proc.returncode}", hint=f"see {log_path}")
        url = find_daemon(settings)
        if url:
            return url
        time.sleep(0.1)
    proc.kill()
    fail("the daemon did not start within 60 s", hint=f"see {log_path}")


def _simulate(settings: Any, url: str, days: int, seed: int, per_day: int | None, progress: Any) -> dict[str, Any]:
    from huracan.ingest.client import connect
    from huracan.simulate import simulate
    from huracan.store.registry import ModelRegistry

    logger = connect(url, settings)
    task = progress.add_task(f"simulating {days} days of Engine + Hamilton", total=days)
    t0 = time.perf_counter()
    # A registry factory lets the simulator order and id the registry's own events
    # (model_registered / model_export) like every other event: the demo is reproducible.
    kwargs: dict[str, Any] = {
        "days": days,
        "seed": seed,
        "emit": logger.log,
        "registry": lambda emit: ModelRegistry(settings, emit),
    }
    if per_day:
        kwargs["signals_per_day"] = per_day
    summary = simulate(
        settings,
        # flush lets the client drain to the daemon as it goes, so no tier ever sheds
        flush=logger.flush,
        progress=lambda done, total: progress.update(task, completed=done),
        **kwargs,
    )
    logger.flush()
    logger.close()
    elapsed = time.perf_counter() - t0
    stats = logger.stats()
    if stats["dropped_total"]:
        console.print(f"[yellow]the client shed {stats['dropped_total']:,} events under load[/]")
    events = sum(summary.events_by_type.values())
    last_day = (summary.end - timedelta(microseconds=1)).date()
    return {"last_day": last_day, "events": events, "events_per_s": events / elapsed if elapsed else 0.0}


def _run_nightly(settings: Any, url: str, day: Any) -> dict[str, Any]:
    import httpx

    from huracan.daemon.access import auth_headers

    r = httpx.post(
        f"{url}/v1/jobs/nightly/run", json={"day": day.isoformat()}, headers=auth_headers(settings), timeout=600
    )
    r.raise_for_status()
    return dict(r.json())


def _collect(settings: Any, day: Any, out: Path) -> list[Path]:
    src = settings.archive_dir / day.isoformat()
    written = []
    for f in sorted(src.iterdir()):
        if f.is_file():
            shutil.copy2(f, out / f.name)
            written.append(out / f.name)
    return written


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        console.print("[red]the daemon did not stop within 90 s and was killed[/]")
        return
    if code != 0:
        console.print(f"[red]the daemon exited with code {code}[/]")

"""Reads where users wait: day and month queries, the snapshot, the model list, a roll, CLI start.

Each row has a baseline measured in the same run:

* ``query_day_hot`` / ``query_30d_spanning`` (default volume and 10×): a grouped aggregate
  over one hot day, and over 30 days of which 23 are in the Delta archive, through the
  store's views; baseline: the same SQL over one plain DuckDB table holding the same rows.
* ``metrics_snapshot_s`` (1× and 10×): CPU seconds of ``compute_snapshot`` for the last of
  8 simulated days (median); the 10× store holds ten copies of every trading event (ids
  made unique); its baseline is the 1× figure, and the target is that the cost at most
  doubles.
* ``models_list_s``: ``huracan models list --json`` through a running daemon; baseline:
  the same command reading the store directly.
* ``digest_already_sent_s``: ``huracan digest send`` for a day the delivery ledger says
  is sent; baseline: ``huracan digest render`` of that day (the build it used to do first).
* ``roll_via_daemon_s``: ``POST /v1/jobs/roll/run`` on a daemon; baseline: ``Store.roll``
  on a copy of the same data in-process. The monitor job's runs during it are counted.
* ``cli_start_s``: CPU seconds of ``huracan status --help`` (imports and parsing, the part
  of every read command that is not the read); baseline: a bare ``python -c pass``.

    .venv/bin/python benchmarks/reads.py [--quick]
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Row, load_note, print_rows, wait_idle
from benchmarks.http_ingest import start_daemon, stop_daemon

DEFAULT_SIGNALS = 1_000  # the simulator's default signals per day
GATES_PER_SIGNAL = 6


def median_wall(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm up (file cache, footers)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


# -- queries -----------------------------------------------------------------------------
DAY_SQL = (
    "SELECT gate, mode, count(*) AS n, avg(CAST(passed AS INTEGER)) AS pass_rate, avg(value) AS v "
    "FROM {src} WHERE day = ? GROUP BY gate, mode ORDER BY gate, mode"
)
SPAN_SQL = (
    "SELECT day, gate, count(*) AS n, avg(CAST(passed AS INTEGER)) AS pass_rate "
    "FROM {src} WHERE day BETWEEN ? AND ? GROUP BY day, gate ORDER BY day, gate"
)


def query_rows(scale: int, root: Path, repeat: int) -> list[Row]:
    import duckdb
    import pyarrow as pa

    from benchmarks.store_query import day_table
    from huracan.config import load_config
    from huracan.store import Store

    per_day = DEFAULT_SIGNALS * GATES_PER_SIGNAL * scale
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=29 - i) for i in range(30)]
    settings = load_config(data_dir=root / f"q{scale}", store={"hot_days": 7})
    settings.data_dir.mkdir(parents=True)
    tables = [day_table(d, per_day, i) for i, d in enumerate(days)]
    suffix = "" if scale == 1 else f"_{scale}x"
    with Store.open(settings) as store:
        for t in tables:
            store.write_arrow("gate_decision", t)
        store.roll(datetime.now(UTC))
        hot_day = days[-2]
        day_s = median_wall(lambda: store.query(DAY_SQL.format(src="v_gate_decision"), [hot_day]), repeat)
        span_s = median_wall(lambda: store.query(SPAN_SQL.format(src="v_gate_decision"), [days[0], days[-1]]), repeat)
        cold_days = sum(1 for t in store.cold_tables.values() for _ in t.rows_by_day)
    plain = duckdb.connect()
    plain.register("plain", pa.concat_tables(tables))
    base_day = median_wall(lambda: plain.execute(DAY_SQL.format(src="plain"), [hot_day]).fetchall(), repeat)
    base_span = median_wall(lambda: plain.execute(SPAN_SQL.format(src="plain"), [days[0], days[-1]]).fetchall(), repeat)
    plain.close()
    vol = f"{per_day:,} gate decisions a day × 30 days ({cold_days} days in the Delta archive)"
    return [
        Row(
            f"query_day_hot{suffix}",
            round(day_s, 4),
            "s",
            "duckdb_plain_table",
            round(base_day, 4),
            1.0,
            higher_is_better=False,
            note=f"one hot day, grouped; {vol}; median of {repeat}",
        ),
        Row(
            f"query_30d_spanning{suffix}",
            round(span_s, 4),
            "s",
            "duckdb_plain_table",
            round(base_span, 4),
            1.0,
            higher_is_better=False,
            note=f"30 days over both tiers, grouped by day; {vol}; median of {repeat}",
        ),
    ]


# -- the metrics snapshot ------------------------------------------------------------------
_TRADING = {
    "signal": ("event_id", "signal_id"),
    "gate_decision": ("event_id", "signal_id"),
    "shadow_trade": ("event_id", "signal_id", "trade_id"),
    "shadow_outcome": ("event_id", "signal_id", "trade_id"),
    "decision_trace": ("event_id", "signal_id"),
    "live_outcome": ("event_id", "signal_id", "live_trade_id"),
    "market_snapshot": ("event_id",),
}


def simulated_store(root: Path, per_day: int, days: int, end: date) -> Path:
    from huracan.config import load_config
    from huracan.simulate import simulate
    from huracan.store import Store
    from huracan.store.registry import ModelRegistry

    settings = load_config(data_dir=root)
    root.mkdir(parents=True, exist_ok=True)
    events: list[Any] = []
    simulate(
        settings,
        emit=events.append,
        registry=lambda e: ModelRegistry(settings, e),
        days=days,
        end=end,
        signals_per_day=per_day,
    )
    with Store.open(settings) as store:
        store.write_events(events)
    return root


def multiply(root: Path, copies: int) -> None:
    """Add ``copies - 1`` copies of every trading event, with ids made unique per copy."""
    import duckdb

    con = duckdb.connect(str(root / "hot.duckdb"))
    try:
        for etype, ids in _TRADING.items():
            cols = [r[0] for r in con.execute(f"DESCRIBE ev_{etype}").fetchall()]
            exprs = [f"{c} || '~' || k::VARCHAR AS {c}" if c in ids else c for c in cols]
            con.execute(f"INSERT INTO ev_{etype} SELECT {', '.join(exprs)} FROM ev_{etype}, range(1, {copies}) AS r(k)")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def snapshot_seconds(root: Path, day: date, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``compute_snapshot`` (CPU: every DuckDB thread included)."""
    from huracan.analytics.metrics import compute_snapshot
    from huracan.config import load_config
    from huracan.plugins.manager import get_plugins
    from huracan.store import Store

    settings = load_config(data_dir=root)
    walls, cpus = [], []
    with Store.open(settings, read_only=True) as store:
        plugins = get_plugins(settings, entry_points=False)
        compute_snapshot(store, day, plugins, settings)  # warm up: views, file cache
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            compute_snapshot(store, day, plugins, settings)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def metrics_rows(root: Path, quick: bool, repeat: int) -> list[Row]:
    per_day = 300 if quick else DEFAULT_SIGNALS
    end = date(2025, 11, 30)
    one = simulated_store(root / "m1", per_day, 8, end)
    ten = root / "m10"
    shutil.copytree(one, ten)
    multiply(ten, 10)
    w1, c1 = snapshot_seconds(one, end, repeat)
    w10, c10 = snapshot_seconds(ten, end, repeat)
    vol = f"8 simulated days, {per_day:,} signals a day"
    # CPU seconds: on two shared cores the wall clock measures the neighbours as much as us.
    return [
        Row(
            "metrics_snapshot_s",
            round(c1, 3),
            "CPU-s",
            None,
            None,
            5.0,
            higher_is_better=False,
            note=f"{vol}; median of {repeat}; wall {w1:.2f} s ({load_note()})",
        ),
        Row(
            "metrics_snapshot_s_10x",
            round(c10, 3),
            "CPU-s",
            "metrics_snapshot_s",
            round(c1, 3),
            round(2 * c1, 3),
            higher_is_better=False,
            note=f"{vol}, every trading event ×10; median of {repeat}; wall {w10:.2f} s; "
            f"target: at most twice the 1× CPU ({load_note()})",
        ),
    ]


# -- commands ------------------------------------------------------------------------------
def run_cli(args: list[str], data_dir: Path, **extra_env: str) -> tuple[float, float, str]:
    """Wall and CPU seconds of one ``huracan`` command, and its stdout."""
    env = dict(os.environ, HURACAN_DATA_DIR=str(data_dir), LITELLM_LOCAL_MODEL_COST_MAP="True", **extra_env)
    env.pop("HURACAN_URL", None)
    # An installed package has its bytecode compiled (pip does it); this sandbox sets
    # PYTHONDONTWRITEBYTECODE, which would time compiling every module on each start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "huracan", *args], env=env, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"huracan {' '.join(args)} failed: {out.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def cli_start_row(repeat: int) -> Row:
    cpus, walls = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            wall, cpu, _ = run_cli(["status", "--help"], Path(tmp))
            walls.append(wall)
            cpus.append(cpu)
    bare = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        bare.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return Row(
        "cli_start_s",
        round(statistics.median(cpus), 3),
        "CPU-s",
        "python_bare_start",
        round(statistics.median(bare), 3),
        0.3,
        higher_is_better=False,
        note=f"`huracan status --help`, median of {repeat}; wall {statistics.median(walls):.2f} s ({load_note()})",
    )


def models_list_row(root: Path, timed: int = 3) -> Row:
    sim = root / "m1"  # the 1× metrics store: 8 days of daily models, exported and acknowledged
    n_models = json.loads(run_cli(["models", "list", "--json"], sim)[2])
    direct_wall, direct_cpu, _ = run_cli(["models", "list", "--json"], sim)
    proc, _url = start_daemon(sim)
    try:
        settled = wait_idle(proc.pid)  # the start-up catch-up of missed nights ends first
        run_cli(["models", "list", "--json"], sim)  # warm up
        walls = [run_cli(["models", "list", "--json"], sim)[0] for _ in range(timed)]
    finally:
        stop_daemon(proc)
    return Row(
        "models_list_s",
        round(statistics.median(walls), 3),
        "s",
        "models_list_direct_s",
        round(direct_wall, 3),
        1.0,
        higher_is_better=False,
        note=f"{len(n_models)} models; through the daemon (timed once its start-up catch-up ended, "
        f"{settled:.0f} s), median of 3; direct {direct_cpu:.2f} CPU-s; {load_note()}",
    )


def digest_sent_row(root: Path, repeat: int) -> Row:
    """``huracan digest send`` for a day the delivery ledger says is sent; baseline: building it."""
    from huracan.digest.ledger import DeliveryLedger

    sim, day = root / "m1", date(2025, 11, 30)  # the 1× metrics store and its last day
    channel = {
        "HURACAN_NOTIFIERS__DISCORD__ENABLED": "true",
        "HURACAN_NOTIFIERS__DISCORD__WEBHOOK_URL": "https://discord.invalid/api/webhooks/1/x",
    }
    ledger = DeliveryLedger.for_data_dir(sim)
    with ledger.lock():
        ledger.append(day, "discord", "done", detail="sent", attempts=1)
    args = ["digest", "send", "--date", day.isoformat(), "--json"]
    runs = [run_cli(args, sim, **channel) for _ in range(repeat)]
    if not all('"already sent' in out for _w, _c, out in runs):
        raise RuntimeError(f"digest send did not answer 'already sent': {runs[-1][2][:300]}")
    wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    build_wall, build_cpu, _ = run_cli(["digest", "render", "--date", day.isoformat(), "--out", str(root / "d")], sim)
    return Row(
        "digest_already_sent_s",
        round(wall, 3),
        "s",
        "digest_build_s",
        round(build_wall, 3),
        1.0,
        higher_is_better=False,
        note=f"answered from the delivery ledger, median of {repeat}: {cpu:.2f} CPU-s; building the day's digest "
        f"(what it did first before): {build_cpu:.2f} CPU-s; {load_note()}",
    )


def roll_row(root: Path, quick: bool) -> Row:
    import httpx

    from benchmarks.store_query import day_table
    from huracan.config import load_config
    from huracan.store import Store

    per_day = DEFAULT_SIGNALS * GATES_PER_SIGNAL * (2 if quick else 10)
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=12 - i) for i in range(12)]  # 5 days past the hot window
    src = root / "roll-src"
    settings = load_config(data_dir=src)
    src.mkdir(parents=True)
    with Store.open(settings) as store:
        for i, d in enumerate(days):
            store.write_arrow("gate_decision", day_table(d, per_day, i))
    direct_dir, daemon_dir = root / "roll-direct", root / "roll-daemon"
    shutil.copytree(src, direct_dir)
    shutil.copytree(src, daemon_dir)
    with Store.open(load_config(data_dir=direct_dir)) as store:
        t0 = time.perf_counter()
        report = store.roll(datetime.now(UTC))
        direct_s = time.perf_counter() - t0
    proc, url = start_daemon(daemon_dir)
    try:
        time.sleep(6)  # a monitor tick or two before
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        r = httpx.post(f"{url}/v1/jobs/roll/run", json={}, timeout=3600)
        via_s = time.perf_counter() - t0
        r.raise_for_status()
        ended = datetime.now(UTC)
        runs = httpx.get(f"{url}/v1/jobs", params={"job": "monitor", "limit": 1000}, timeout=60).json()
        ticks = sum(1 for x in runs if started.isoformat() <= (x.get("started_at") or "") <= ended.isoformat())
    finally:
        stop_daemon(proc)
    expected_ticks = int(via_s // 5)
    return Row(
        "roll_via_daemon_s",
        round(via_s, 3),
        "s",
        "roll_direct_s",
        round(direct_s, 3),
        round(1.5 * direct_s + 1.0, 3),
        higher_is_better=False,
        note=f"{report.rows:,} rows of {len(days) - 8} days to Delta; the 5 s monitor ran {ticks} time(s) "
        f"during it (expected ~{expected_ticks}); target: 1.5× direct + 1 s; {load_note()}",
    )


def rows(quick: bool = False) -> list[Row]:
    repeat = 3 if quick else 5
    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="huracan-bench-reads-") as tmp:
        root = Path(tmp)
        out += query_rows(1, root, repeat)
        out += query_rows(10, root, repeat)
        out += metrics_rows(root, quick, repeat)
        out.append(models_list_row(root, 1 if quick else 3))
        out.append(digest_sent_row(root, 1 if quick else 3))
        out.append(roll_row(root, quick))
    out.append(cli_start_row(repeat))
    return out


if __name__ == "__main__":
    print_rows(rows, __doc__)

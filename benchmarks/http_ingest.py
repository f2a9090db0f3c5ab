"""HTTP ingest: NDJSON batches POSTed to a real daemon, durable before each 2xx.

Starts ``huracan daemon`` on a free port with a temporary data dir, pre-builds the request
bodies (the client's own serialisation is not measured), posts them from two connections
and reports events per second acknowledged — each answer comes only after the batch is in
the fsynced ingest log. Then waits until everything is loaded into DuckDB (and queryable)
and checks the row count. Also samples the daemon's memory idle and during the burst.

Baseline, same run: the old durable path — parse each body, insert and commit the batch
into DuckDB (``Store.write_tables``) — in one process, without HTTP.

    .venv/bin/python benchmarks/http_ingest.py [--quick]
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Row, cpu_seconds_tree, load_note, print_rows, rss_mb_of

BATCH = 5_000
_KINDS = ["signal", "gate_decision", "gate_decision", "gate_decision", "shadow_outcome", "decision_trace"]


def bodies(n_events: int, batch: int = BATCH, seed: int = 3) -> list[bytes]:
    """NDJSON bodies of the usual mix, each event with its own id."""
    from huracan.samples import sample_events

    pool = [
        e.model_dump_json().encode() for k in _KINDS for e in sample_events(k, n=batch // len(_KINDS) + 1, seed=seed)
    ]
    out, i = [], 0
    while i < n_events:
        lines = []
        for j in range(min(batch, n_events - i)):
            raw = pool[(i + j) % len(pool)]
            lines.append(raw.replace(b'"event_id":"', f'"event_id":"b{i + j:09d}'.encode(), 1))
        out.append(b"\n".join(lines))
        i += batch
    return out


def start_daemon(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    from huracan.config import load_config
    from huracan.daemon.access import find_daemon

    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HURACAN_DATA_DIR=str(data_dir), LITELLM_LOCAL_MODEL_COST_MAP="True")
    env.pop("HURACAN_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "huracan", "daemon", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cfg = load_config(data_dir=data_dir)
    for _ in range(1200):
        url = find_daemon(cfg)
        if url:
            return proc, url
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited with {proc.returncode}")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("daemon did not start in 60 s")


def stop_daemon(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()


def sql_count(url: str) -> int:
    import httpx

    parts = " + ".join(f"(SELECT count(*) FROM v_{k})" for k in sorted(set(_KINDS)))
    r = httpx.post(f"{url}/v1/sql?format=json", json={"sql": f"SELECT {parts} AS n"}, timeout=300)
    r.raise_for_status()
    return int(r.json()["rows"][0][0])


def unique(template: bytes, request: int) -> bytes:
    """``template`` with every event id made unique to this request (one C-level replace)."""
    return template.replace(b'"event_id":"b', f'"event_id":"r{request:07d}'.encode())


def post_all(url: str, templates: list[bytes], clients: int, seconds: float, limit: int) -> tuple[int, float]:
    """POST distinct bodies from ``clients`` connections for ``seconds`` (or ``limit`` requests)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    counts = [0] * clients
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=300)
        for r in range(k, limit, clients):
            if time.perf_counter() > stop:
                break
            body = unique(templates[r % len(templates)], r)
            conn.request("POST", "/v1/events", body=body, headers={"Content-Type": "application/x-ndjson"})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"ingest answered {resp.status}: {data[:300]!r}")
            counts[k] += json.loads(data)["accepted"]
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts), time.perf_counter() - t0


def run_http(templates: list[bytes], seconds: float, limit: int, root: Path) -> dict[str, Any]:
    proc, url = start_daemon(root / "http")
    try:
        time.sleep(1.0)
        idle = rss_mb_of(proc.pid)
        peak = [idle]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                try:
                    peak[0] = max(peak[0], rss_mb_of(proc.pid))
                except OSError:
                    return
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        c0 = cpu_seconds_tree(proc.pid)
        acked, wall = post_all(url, templates, 2, seconds, limit)
        daemon_cpu = cpu_seconds_tree(proc.pid) - c0
        t0 = time.perf_counter()
        stored = sql_count(url)  # waits for the loader: what was acknowledged is queryable
        visible_s = time.perf_counter() - t0
        done.set()
        sampler.join()
        total_cpu = cpu_seconds_tree(proc.pid) - c0
        return {
            "acked": acked,
            "eps": acked / wall,
            "daemon_eps_cpu": acked / max(daemon_cpu, 1e-9),
            "loaded_eps_cpu": stored / max(total_cpu, 1e-9),
            "stored": stored,
            "visible_s": visible_s,
            "rss_idle": idle,
            "rss_peak": peak[0],
        }
    finally:
        stop_daemon(proc)


def run_duckdb_direct(templates: list[bytes], root: Path, seconds: float) -> dict[str, float]:
    """The old path in-process: parse a body, insert + commit it into DuckDB, answer."""
    from huracan.config import load_config
    from huracan.daemon.ingest_http import parse_columns
    from huracan.store import Store

    settings = load_config(data_dir=root / "direct")
    settings.data_dir.mkdir(parents=True)
    with Store.open(settings) as store:
        n = 0
        t0, c0 = time.perf_counter(), time.process_time()
        for r in range(10_000):
            batch = parse_columns(unique(templates[r % len(templates)], r), "application/x-ndjson")
            n += store.write_tables(batch.tables)
            if time.perf_counter() - t0 > seconds:
                break
        return {"eps": n / (time.perf_counter() - t0), "eps_cpu": n / (time.process_time() - c0)}


def rows(quick: bool = False) -> list[Row]:
    seconds = 6.0 if quick else 15.0
    templates = bodies(8 * BATCH)
    note = load_note()
    with tempfile.TemporaryDirectory(prefix="huracan-bench-http-") as tmp:
        root = Path(tmp)
        direct = run_duckdb_direct(templates, root, seconds / 3)
        got = run_http(templates, seconds, 10_000, root)
    if got["stored"] != got["acked"]:
        raise RuntimeError(f"acknowledged {got['acked']} events but {got['stored']} are stored")
    return [
        Row(
            "ingest_http",
            round(got["eps"]),
            "ev/s",
            "duckdb_direct_insert_5k",
            round(direct["eps"]),
            100_000,
            note=f"NDJSON 5,000/request, 2 connections, 2xx after fsync; daemon {got['daemon_eps_cpu']:,.0f} ev per "
            f"CPU-s while answering, {got['loaded_eps_cpu']:,.0f} per CPU-s loaded into DuckDB too; "
            f"{got['stored']:,} queryable {got['visible_s']:.2f} s after the last answer; baseline "
            f"{direct['eps_cpu']:,.0f} per CPU-s; client on the same 2 cores; {note}",
        ),
        Row("daemon_rss_idle_mb", round(got["rss_idle"], 1), "MiB", None, None, 400.0, higher_is_better=False),
        Row(
            "daemon_rss_burst_mb",
            round(got["rss_peak"], 1),
            "MiB",
            "daemon_rss_idle_mb",
            round(got["rss_idle"], 1),
            1024.0,
            higher_is_better=False,
            note=f"peak during the ingest_http burst ({got['acked']:,} events)",
        ),
    ]


if __name__ == "__main__":
    print_rows(rows, __doc__)

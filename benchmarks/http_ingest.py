"""HTTP ingest throughput: NDJSON batches POSTed to a real daemon over loopback.

Starts `huracan daemon` on a free port with a temporary data dir, pre-builds the request
bodies (so the client's own serialisation is not measured), posts them from a few
concurrent connections and reports events/s — durable, since the daemon answers only
after the batch is committed. Target: ≥ 100,000 events/s.

    python benchmarks/http_ingest.py [--events 200000] [--batch 5000] [--clients 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from huracan.config import load_config
from huracan.daemon.access import find_daemon
from huracan.samples import sample_events


def bodies(n_events: int, batch: int) -> list[bytes]:
    kinds = ["signal", "gate_decision", "gate_decision", "gate_decision", "shadow_outcome", "decision_trace"]
    pool = [e.model_dump_json().encode() for k in kinds for e in sample_events(k, n=batch // len(kinds) + 1, seed=3)]
    out, i = [], 0
    while i < n_events:
        # fresh event ids per line so every event is distinct
        lines = []
        for j in range(min(batch, n_events - i)):
            raw = pool[(i + j) % len(pool)]
            lines.append(raw.replace(b'"event_id":"', f'"event_id":"b{i + j:09d}'.encode(), 1))
        out.append(b"\n".join(lines))
        i += batch
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads) from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=5_000)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="huracan-bench-"))
    cfg = load_config(data_dir=data_dir)
    env = dict(os.environ, HURACAN_DATA_DIR=str(data_dir))
    proc = subprocess.Popen([sys.executable, "-m", "huracan", "daemon", "--port", "0"], env=env)
    try:
        url = None
        for _ in range(300):
            url = find_daemon(cfg)
            if url:
                break
            time.sleep(0.1)
        assert url, "daemon did not start"
        payloads = bodies(args.events, args.batch)
        headers = {"Content-Type": "application/x-ndjson"}

        def post(chunk: list[bytes]) -> int:
            n = 0
            with httpx.Client(base_url=url, timeout=120) as c:
                for b in chunk:
                    r = c.post("/v1/events", content=b, headers=headers)
                    r.raise_for_status()
                    n += r.json()["accepted"]
            return n

        chunks = [payloads[i :: args.clients] for i in range(args.clients)]
        t0, c0 = time.perf_counter(), cpu_seconds(proc.pid)
        with ThreadPoolExecutor(args.clients) as ex:
            accepted = sum(ex.map(post, chunks))
        elapsed, daemon_cpu = time.perf_counter() - t0, cpu_seconds(proc.pid) - c0
        status = httpx.get(f"{url}/v1/status", timeout=60).json()
        result = {
            "events": accepted,
            "seconds": round(elapsed, 3),
            "http_ingest_eps": round(accepted / elapsed),
            # the daemon's own CPU (parse + validate + write); the client's is not counted
            "daemon_eps_per_cpu_s": round(accepted / max(daemon_cpu, 1e-9)),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "batch": args.batch,
            "clients": args.clients,
            "stored_total": status["events_total"],
            "target_eps": 100_000,
        }
        print(
            f"HTTP ingest: {accepted:,} events in {elapsed:.2f} s = {accepted / elapsed:,.0f} events/s "
            f"(batches of {args.batch:,}, {args.clients} clients; stored {status['events_total']:,}); "
            f"daemon {accepted / max(daemon_cpu, 1e-9):,.0f} events per CPU-second"
        )
        if args.json:
            print(json.dumps(result))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()

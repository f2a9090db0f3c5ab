"""Ingest benchmark: how fast events become durable in the real Store, and what log() costs.

Run: ``python benchmarks/ingest.py`` (a table) or ``--json`` (one JSON object on the
last line). Everything runs in one process against a temporary data directory:

* object API  — pre-built events, ``log(e)`` one by one, until ``flush()`` returns;
* batch API   — pre-built Arrow tables through ``log_arrow`` (and objects through
  ``log_many``), until ``flush()`` returns;
* end to end  — building and validating each event (pydantic) and ``log()`` -ing it;
* baseline    — the stdlib's ``QueueHandler`` + ``QueueListener`` writing JSON lines;
* latency     — ``log()`` call time while the writer is busy (per-call perf_counter_ns);
* burst       — 10x the queue capacity as fast as one thread can, peak RSS and drops.

Producers of the throughput runs respect back-pressure the way a real bulk producer
should: they pause while the queue is more than half full, so nothing is shed and the
figure is the durable rate, not the rate of shedding.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import os
import queue
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROTOTYPE_EPS = 113_815  # the original prototype's figure (seed summary)
#: Each throughput phase stops offering events after this many seconds (or its count),
#: so the whole run stays under two minutes even on a busy machine.
PHASE_BUDGET_S = 7.0

TARGETS = {
    "object_api_eps": 500_000,
    "batch_api_eps": 1_000_000,
    "end_to_end_eps": PROTOTYPE_EPS,
}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_pool(n_signals: int, seed: int = 1) -> list[Any]:
    """A realistic, time-ordered mix: each signal, its six gate decisions, a market snapshot."""
    from huracan.samples import sample_events

    signals = list(sample_events("signal", n=n_signals, seed=seed))
    gates = list(sample_events("gate_decision", n=6 * n_signals, seed=seed + 1))
    snaps = list(sample_events("market_snapshot", n=n_signals, seed=seed + 2))
    pool = signals + gates + snaps
    pool.sort(key=lambda e: e.ts)
    return pool


def paced(lg: Any, every: int = 512) -> Callable[[int], None]:
    """Pause a producer while the queue is over half full (a polite bulk producer)."""
    high = lg.limits.capacity // 2

    def wait(i: int) -> None:
        if i % every == 0:
            while lg.queued > high:
                time.sleep(0.0002)

    return wait


def new_store(root: Path, name: str) -> tuple[Any, Any]:
    from huracan.config import load_config
    from huracan.store import Store

    settings = load_config(data_dir=root / name)
    settings.data_dir.mkdir(parents=True)
    return settings, Store.open(settings)


def run_object_api(root: Path, pool: list[Any], n: int) -> dict[str, Any]:
    from huracan.ingest import EventLogger

    settings, store = new_store(root, "object")
    events = (pool * (n // len(pool) + 1))[:n]
    lg = EventLogger(store, settings.ingest, spool_dir=settings.spool_dir).start()
    log, wait = lg.log, paced(lg)
    t0, c0 = time.perf_counter(), time.process_time()
    stop = t0 + PHASE_BUDGET_S
    for i, e in enumerate(events):
        wait(i)
        log(e)
        if i % 4096 == 0 and time.perf_counter() > stop:
            break
    lg.flush()
    return finish(lg, store, t0, c0)


class NullSink:
    """Accepts and discards: isolates the logger's own cost from the store's."""

    def close(self) -> None:
        pass

    def write_events(self, events: Any) -> int:
        return len(events)


def run_logger_only(pool: list[Any], n: int) -> dict[str, Any]:
    from huracan.config import IngestSettings
    from huracan.ingest import EventLogger

    events = (pool * (n // len(pool) + 1))[:n]
    lg = EventLogger(NullSink(), IngestSettings()).start()
    log, wait = lg.log, paced(lg)
    t0, c0 = time.perf_counter(), time.process_time()
    stop = t0 + PHASE_BUDGET_S / 2
    for i, e in enumerate(events):
        wait(i)
        log(e)
        if i % 4096 == 0 and time.perf_counter() > stop:
            break
    lg.flush()
    return finish(lg, NullSink(), t0, c0)


def finish(lg: Any, store: Any, t0: float, c0: float) -> dict[str, Any]:
    """Rates in events per wall second and per CPU second (all threads) of one phase."""
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    stats = lg.stats()
    lg.close()
    store.close()
    n = stats["written_total"]
    return {"eps": n / dt, "eps_cpu": n / cpu, "seconds": dt, "events": n, "stats": stats}


def run_batch_api(root: Path, pool: list[Any], n: int) -> dict[str, Any]:
    from huracan.ingest import EventLogger
    from huracan.store.schema import events_to_arrow, group_by_type

    settings, store = new_store(root, "batch")
    chunk = settings.ingest.batch_size
    tables = [events_to_arrow(g) for g in group_by_type(pool).values()]
    slices = [t.slice(i, chunk) for t in tables for i in range(0, t.num_rows, chunk)]
    lg = EventLogger(store, settings.ingest, spool_dir=settings.spool_dir).start()
    high = settings.ingest.queue_capacity - chunk
    offered = 0
    t0, c0 = time.perf_counter(), time.process_time()
    stop = t0 + PHASE_BUDGET_S
    while offered < n and time.perf_counter() < stop:
        for tb in slices:
            while lg.queued > high:
                time.sleep(0.0002)
            lg.log_arrow(tb.column("type")[0].as_py(), tb)
            offered += tb.num_rows
            if offered >= n:
                break
    lg.flush()
    return finish(lg, store, t0, c0)


def run_log_many(root: Path, pool: list[Any], n: int) -> dict[str, Any]:
    from huracan.ingest import EventLogger

    settings, store = new_store(root, "many")
    chunk = 1000
    events = (pool * (n // len(pool) + 1))[:n]
    lg = EventLogger(store, settings.ingest, spool_dir=settings.spool_dir).start()
    high = settings.ingest.queue_capacity // 2
    t0, c0 = time.perf_counter(), time.process_time()
    stop = t0 + PHASE_BUDGET_S
    for i in range(0, n, chunk):
        while lg.queued > high:
            time.sleep(0.0002)
        lg.log_many(events[i : i + chunk])
        if time.perf_counter() > stop:
            break
    lg.flush()
    return finish(lg, store, t0, c0)


def raw_payloads(n: int, seed: int = 5) -> list[tuple[type, dict[str, Any]]]:
    """Plain Python values as an Engine would hold them before building events."""
    from huracan.events import GateDecision, MarketSnapshot, Signal
    from huracan.samples import GATE_SPECS

    r = random.Random(seed)
    base = time.time()
    from datetime import UTC, datetime

    out: list[tuple[type, dict[str, Any]]] = []
    gates = sorted(GATE_SPECS)
    for i in range(n):
        ts = datetime.fromtimestamp(base + i * 0.001, tz=UTC)
        k = i % 8
        if k == 0:
            out.append(
                (
                    Signal,
                    {
                        "ts": ts,
                        "signal_id": f"s{i}",
                        "symbol": "BTC-USD",
                        "mode": "scalp",
                        "regime": "trend",
                        "side": "long",
                        "price": 60_000 + r.random(),
                        "confidence": r.random(),
                        "features": {"net_edge_bps": r.gauss(8, 3), "spread_bps": r.random() * 5},
                    },
                )
            )
        elif k == 7:
            out.append(
                (
                    MarketSnapshot,
                    {
                        "ts": ts,
                        "symbol": "ETH-USD",
                        "price": 3000 + r.random(),
                        "regime": "range",
                        "volatility_bps": r.random() * 50,
                        "spread_bps": r.random() * 4,
                        "volume_usd": r.random() * 1e6,
                    },
                )
            )
        else:
            gate = gates[k % len(gates)]
            direction, thr = GATE_SPECS[gate]
            value = thr * r.uniform(0.6, 1.4)
            passed = value >= thr if direction == "above" else value <= thr
            out.append(
                (
                    GateDecision,
                    {
                        "ts": ts,
                        "signal_id": f"s{i - k}",
                        "gate": gate,
                        "mode": "scalp",
                        "passed": passed,
                        "value": value,
                        "threshold": thr,
                        "direction": direction,
                    },
                )
            )
    return out


def run_end_to_end(root: Path, n: int) -> dict[str, Any]:
    from huracan.ingest import EventLogger

    payloads = raw_payloads(n)
    settings, store = new_store(root, "e2e")
    lg = EventLogger(store, settings.ingest, spool_dir=settings.spool_dir).start()
    log, wait = lg.log, paced(lg)
    t0, c0 = time.perf_counter(), time.process_time()
    stop = t0 + PHASE_BUDGET_S
    for i, (cls, kw) in enumerate(payloads):
        wait(i)
        log(cls(**kw))
        if i % 4096 == 0 and time.perf_counter() > stop:
            break
    lg.flush()
    return finish(lg, store, t0, c0)


def run_stdlib_baseline(root: Path, pool: list[Any], n: int) -> dict[str, Any]:
    """QueueHandler + QueueListener + FileHandler, one JSON line per event."""
    events = (pool * (n // len(pool) + 1))[:n]

    class JsonFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return record.msg.model_dump_json() if hasattr(record.msg, "model_dump_json") else str(record.msg)

    path = root / "stdlib.jsonl"
    q: queue.Queue[Any] = queue.Queue(-1)
    qh = logging.handlers.QueueHandler(q)
    qh.setFormatter(JsonFormatter())
    fh = logging.FileHandler(path)
    fh.setFormatter(logging.Formatter("%(message)s"))
    listener = logging.handlers.QueueListener(q, fh)
    lgr = logging.getLogger("bench.stdlib")
    lgr.propagate = False
    lgr.setLevel(logging.INFO)
    lgr.addHandler(qh)
    listener.start()
    t0, c0 = time.perf_counter(), time.process_time()
    stop = t0 + PHASE_BUDGET_S
    for i, e in enumerate(events):
        lgr.info(e)
        if i % 4096 == 0 and time.perf_counter() > stop:
            break
    listener.stop()  # drains the queue
    fh.flush()
    os.fsync(fh.stream.fileno())
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    fh.close()
    lgr.removeHandler(qh)
    with open(path, "rb") as f:
        lines = sum(1 for _ in f)
    return {"eps": lines / dt, "eps_cpu": lines / cpu, "seconds": dt, "lines": lines}


def run_latency(root: Path, pool: list[Any], n: int) -> dict[str, Any]:
    """Time each log() call while the writer is writing to the store."""
    from huracan.ingest import EventLogger

    settings, store = new_store(root, "latency")
    events = (pool * (n // len(pool) + 1))[:n]
    lg = EventLogger(store, settings.ingest, spool_dir=settings.spool_dir).start()
    log, wait = lg.log, paced(lg)
    clock = time.perf_counter_ns
    samples: list[int] = []
    record = samples.append
    stop = time.perf_counter() + PHASE_BUDGET_S
    for i, e in enumerate(events):
        wait(i)
        t = clock()
        log(e)
        record(clock() - t)
        if i % 4096 == 0 and time.perf_counter() > stop:
            break
    n = len(samples)
    lg.close()
    store.close()
    # The timer's own cost, measured the same way, is subtracted so the figure is log()'s.
    empty = []
    for _ in range(100_000):
        t = clock()
        empty.append(clock() - t)
    empty.sort()
    overhead = empty[len(empty) // 2]
    samples.sort()

    def us(q: float) -> float:
        return max(0, samples[min(n - 1, int(q * n))] - overhead) / 1000

    return {"p50_us": us(0.50), "p99_us": us(0.99), "p999_us": us(0.999), "max_us": us(1.0), "timer_ns": overhead}


def run_burst(root: Path, pool: list[Any]) -> dict[str, Any]:
    """10x capacity as fast as one thread can: what is shed, by severity, and peak memory."""
    from huracan.events import Severity
    from huracan.ingest import EventLogger

    settings, store = new_store(root, "burst")
    n = 10 * settings.ingest.queue_capacity
    r = random.Random(9)
    weights = {"DEBUG": 30, "INFO": 40, "WARNING": 15, "ERROR": 10, "CRITICAL": 5}
    sevs = r.choices(list(weights), weights=list(weights.values()), k=n)
    events = [pool[i % len(pool)].model_copy(update={"severity": Severity(s)}) for i, s in enumerate(sevs)]
    lg = EventLogger(store, settings.ingest, spool_dir=settings.spool_dir).start()
    base = rss_mb()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    log = lg.log
    t0 = time.perf_counter()
    accepted = sum(map(log, events))
    burst_s = time.perf_counter() - t0
    lg.flush()
    done.set()
    sampler.join()
    stats = lg.stats()
    lg.close()
    stored_critical = store.query("SELECT count(*) AS n FROM v_market_snapshot WHERE severity = 'CRITICAL'")
    stored_critical_n = stored_critical[0]["n"]
    for t in ("signal", "gate_decision"):
        stored_critical_n += store.query(f"SELECT count(*) AS n FROM v_{t} WHERE severity = 'CRITICAL'")[0]["n"]
    store.close()
    return {
        "offered": n,
        "accepted": accepted,
        "burst_seconds": burst_s,
        "dropped": stats["dropped"],
        "critical_offered": sevs.count("CRITICAL"),
        "critical_stored": stored_critical_n,
        "critical_spooled": stats["spooled"]["CRITICAL"],
        "peak_rss_mb": peak[0],
        "rss_before_mb": base,
        "kill_switch_entries": stats["tier_entries"]["kill_switch"],
    }


def store_breakdown(pool: list[Any], root: Path) -> dict[str, float]:
    """Where a 5,000-event write_events goes (CPU time): Arrow conversion vs the DuckDB insert."""
    from huracan.store.schema import events_to_arrow, group_by_type

    _settings, store = new_store(root, "breakdown")
    batch = pool[:5000]
    conv, ins = [], []
    for _ in range(10):
        t0 = time.process_time()
        tables = {t: events_to_arrow(g) for t, g in group_by_type(batch).items()}
        t1 = time.process_time()
        store.write_tables(tables)  # one transaction, as write_events does
        t2 = time.process_time()
        conv.append(t1 - t0)
        ins.append(t2 - t1)
    store.close()
    # The median rep: a loaded machine's preemptions land in a few reps, not all.
    conv.sort()
    ins.sort()
    return {"convert_us_per_event": conv[5] / 5000 * 1e6, "insert_us_per_event": ins[5] / 5000 * 1e6}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the event counts (CI: 0.2)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    s = args.scale
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="huracan-bench-") as tmp:
        root = Path(tmp)
        pool = make_pool(2500)
        burst = run_burst(root, pool)  # first, so the RSS figure is not inflated by later runs
        null = run_logger_only(pool, int(1_000_000 * s))
        obj = run_object_api(root, pool, int(1_000_000 * s))
        batch = run_batch_api(root, pool, int(5_000_000 * s))
        many = run_log_many(root, pool, int(1_000_000 * s))
        e2e = run_end_to_end(root, int(150_000 * s))
        base = run_stdlib_baseline(root, pool, int(500_000 * s))
        lat = run_latency(root, pool, int(400_000 * s))
        breakdown = store_breakdown(pool, root)
    result = {
        "object_api_eps": round(obj["eps"]),
        "batch_api_eps": round(batch["eps"]),
        "log_many_eps": round(many["eps"]),
        "end_to_end_eps": round(e2e["eps"]),
        "stdlib_queuehandler_eps": round(base["eps"]),
        "object_api_vs_prototype": round(obj["eps"] / PROTOTYPE_EPS, 2),
        "batch_api_vs_prototype": round(batch["eps"] / PROTOTYPE_EPS, 2),
        "end_to_end_vs_prototype": round(e2e["eps"] / PROTOTYPE_EPS, 2),
        "object_api_vs_stdlib": round(obj["eps"] / base["eps"], 2),
        "batch_api_vs_stdlib": round(batch["eps"] / base["eps"], 2),
        "end_to_end_vs_stdlib": round(e2e["eps"] / base["eps"], 2),
        "logger_only_null_sink_eps": round(null["eps"]),
        "logger_only_null_sink_eps_per_cpu_s": round(null["eps_cpu"]),
        "object_api_eps_per_cpu_s": round(obj["eps_cpu"]),
        "batch_api_eps_per_cpu_s": round(batch["eps_cpu"]),
        "end_to_end_eps_per_cpu_s": round(e2e["eps_cpu"]),
        "stdlib_eps_per_cpu_s": round(base["eps_cpu"]),
        "log_p50_us": round(lat["p50_us"], 3),
        "log_p99_us": round(lat["p99_us"], 3),
        "log_p999_us": round(lat["p999_us"], 3),
        "log_max_us": round(lat["max_us"], 1),
        "burst_events": burst["offered"],
        "burst_peak_rss_mb": round(burst["peak_rss_mb"], 1),
        "burst_rss_before_mb": round(burst["rss_before_mb"], 1),
        "burst_dropped_by_severity": burst["dropped"],
        "burst_critical_offered": burst["critical_offered"],
        "burst_critical_stored": burst["critical_stored"],
        "burst_critical_via_spool": burst["critical_spooled"],
        "object_api_batch_latency_ms": obj["stats"]["batch_latency_ms"],
        "object_api_dropped": obj["stats"]["dropped_total"],
        "store_convert_us_per_event": round(breakdown["convert_us_per_event"], 3),
        "store_insert_us_per_event": round(breakdown["insert_us_per_event"], 3),
        "seconds": round(time.perf_counter() - started, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    result["targets_met"] = {
        "object_api_eps": result["object_api_eps"] >= TARGETS["object_api_eps"],
        "batch_api_eps": result["batch_api_eps"] >= TARGETS["batch_api_eps"],
        "end_to_end_eps": result["end_to_end_eps"] >= TARGETS["end_to_end_eps"],
        "log_p99_us": result["log_p99_us"] <= 5.0,
        "zero_critical_drops": burst["dropped"]["CRITICAL"] == 0
        and burst["critical_stored"] == burst["critical_offered"],
    }
    print_table(result)
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    return 0


def print_table(r: dict[str, Any]) -> None:
    rows = [
        ("object API, durable (pre-built events)", f"{r['object_api_eps']:>12,} ev/s", "≥ 500,000"),
        ("batch API log_arrow, durable", f"{r['batch_api_eps']:>12,} ev/s", "≥ 1,000,000"),
        ("batch API log_many, durable", f"{r['log_many_eps']:>12,} ev/s", ""),
        ("end to end (build + validate + log)", f"{r['end_to_end_eps']:>12,} ev/s", "≥ 113,815"),
        ("stdlib QueueHandler+Listener → JSONL", f"{r['stdlib_queuehandler_eps']:>12,} ev/s", "baseline"),
        (
            "object / batch / e2e vs prototype",
            f"{r['object_api_vs_prototype']} / {r['batch_api_vs_prototype']} / {r['end_to_end_vs_prototype']}x",
            "",
        ),
        (
            "object / batch / e2e vs stdlib",
            f"{r['object_api_vs_stdlib']} / {r['batch_api_vs_stdlib']} / {r['end_to_end_vs_stdlib']}x",
            "",
        ),
        (
            "log() p50 / p99 / p99.9 / max",
            f"{r['log_p50_us']} / {r['log_p99_us']} / {r['log_p999_us']} / {r['log_max_us']} µs",
            "p99 ≤ 5",
        ),
        (
            f"burst {r['burst_events']:,} events: peak RSS",
            f"{r['burst_peak_rss_mb']} MB (from {r['burst_rss_before_mb']})",
            "",
        ),
        ("burst dropped by severity", json.dumps(r["burst_dropped_by_severity"]), "CRITICAL 0"),
        (
            "burst CRITICAL offered / stored / via spool",
            f"{r['burst_critical_offered']} / {r['burst_critical_stored']} / {r['burst_critical_via_spool']}",
            "",
        ),
        (
            "store: Arrow conversion / insert",
            f"{r['store_convert_us_per_event']} / {r['store_insert_us_per_event']} µs per event",
            "",
        ),
        (
            "object / batch / e2e / stdlib per CPU-second",
            f"{r['object_api_eps_per_cpu_s']:,} / "
            f"{r['batch_api_eps_per_cpu_s']:,} / {r['end_to_end_eps_per_cpu_s']:,} / {r['stdlib_eps_per_cpu_s']:,}",
            "",
        ),
        ("wall time (load average, cpus)", f"{r['seconds']} s ({r['load_average_1m']}, {r['cpus']})", "< 120"),
    ]
    w = max(len(a) for a, _, _ in rows)
    for a, b, c in rows:
        print(f"{a:<{w}}  {b:<40} {c}")
    print("targets met:", ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in r["targets_met"].items()))


if __name__ == "__main__":
    raise SystemExit(main())

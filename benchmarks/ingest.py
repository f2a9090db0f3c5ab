"""In-process ingest: how fast events become durable, against peers measured in the same run.

Durable means in the fsynced ingest log (:mod:`huracan.daemon.ingest_log`), the daemon's
point of durability; a :class:`~huracan.daemon.loader.Loader` moves it into DuckDB in the
background, as in the daemon, and its CPU is counted. Rows (see ``benchmarks/run.py``):

* ``ingest_batch``  — pre-built Arrow tables through ``log_arrow``, until ``flush()``;
  baseline: the same tables inserted into DuckDB directly, 5,000 rows a commit (the old path);
* ``ingest_object`` — pre-built events through ``log()``; baseline: the stdlib's
  ``QueueHandler`` + ``QueueListener`` writing one JSON line per event (no fsync);
* ``ingest_end_to_end`` — building and validating each event and logging it: plain
  payloads through ``log_dicts`` (validated by the generated msgspec decoder); baseline:
  structlog rendering each to a JSON line (no validation, no fsync);
* ``log_p99_us`` — ``log()`` call time while the writer is busy; baseline: the stdlib
  ``Logger.info`` into a ``QueueHandler``.

Producers respect back-pressure the way a real bulk producer should (they pause while the
queue is more than half full), so nothing is shed and the figure is the durable rate.

    .venv/bin/python benchmarks/ingest.py [--quick]
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import queue
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Row, load_note, print_rows

PROTOTYPE_EPS = 113_815  # the original prototype's end-to-end figure (seed summary)


def make_pool(n_signals: int, seed: int = 1) -> list[Any]:
    """A realistic, time-ordered mix: each signal, its six gate decisions, a market snapshot."""
    from huracan.samples import sample_events

    pool = list(sample_events("signal", n=n_signals, seed=seed))
    pool += list(sample_events("gate_decision", n=6 * n_signals, seed=seed + 1))
    pool += list(sample_events("market_snapshot", n=n_signals, seed=seed + 2))
    pool.sort(key=lambda e: e.ts)
    return [e.model_copy(update={"event_id": f"{i:032x}"}) for i, e in enumerate(pool)]


@contextmanager
def durable_logger(root: Path, name: str) -> Iterator[tuple[Any, Any, Any]]:
    """An EventLogger whose sink is the fsynced ingest log, with a loader into a real Store."""
    from huracan.config import load_config
    from huracan.daemon.ingest_log import LogSink, LogWriter
    from huracan.daemon.loader import Loader
    from huracan.ingest import EventLogger
    from huracan.store import Store

    settings = load_config(data_dir=root / name)
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings)
    loader = Loader(store, settings.data_dir / "ingest-log")
    writer = LogWriter(settings.data_dir / "ingest-log" / "main")
    loader.writer = writer
    loader.start()
    lg = EventLogger(LogSink(writer, loader.wake), settings.ingest)
    lg.start()
    try:
        yield lg, loader, store
    finally:
        lg.close()
        loader.stop()
        writer.close()
        store.close()


def _rates(n: int, wall: float, cpu: float) -> dict[str, float]:
    return {"eps": n / wall, "eps_cpu": n / max(cpu, 1e-9), "events": n, "seconds": wall}


def _paced(lg: Any, every: int = 512) -> Callable[[int], None]:
    high = lg.limits.capacity // 2

    def wait(i: int) -> None:
        if i % every == 0:
            while lg.in_memory > high:
                time.sleep(0.0002)

    return wait


def run_batch(root: Path, pool: list[Any], n: int, budget_s: float) -> dict[str, float]:
    from huracan.store.schema import events_to_arrow, group_by_type

    tables = [events_to_arrow(g) for g in group_by_type(pool).values()]
    slices = [(t.column("type")[0].as_py(), t.slice(i, 5000)) for t in tables for i in range(0, t.num_rows, 5000)]
    with durable_logger(root, "batch") as (lg, loader, _store):
        offered = 0
        t0, c0 = time.perf_counter(), time.process_time()
        stop = t0 + budget_s
        while offered < n and time.perf_counter() < stop:
            for etype, tb in slices:
                while lg.in_memory > lg.limits.shed_debug - 5000:
                    time.sleep(0.0002)
                offered += lg.log_arrow(etype, tb)
        lg.flush()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        loader.wait_loaded(timeout=120)
        loaded_wall = time.perf_counter() - t0
        out = _rates(offered, wall, cpu)
        out["loaded_s"] = loaded_wall
    return out


def run_duckdb_direct(root: Path, pool: list[Any], n: int) -> dict[str, float]:
    """The old durable path: each 5,000-row batch inserted and committed into DuckDB."""
    from huracan.config import load_config
    from huracan.store import Store
    from huracan.store.schema import events_to_arrow, group_by_type

    settings = load_config(data_dir=root / "direct")
    settings.data_dir.mkdir(parents=True)
    tables = [events_to_arrow(g) for g in group_by_type(pool).values()]
    slices = [(t.column("type")[0].as_py(), t.slice(i, 5000)) for t in tables for i in range(0, t.num_rows, 5000)]
    with Store.open(settings) as store:
        done = 0
        t0, c0 = time.perf_counter(), time.process_time()
        while done < n:
            for etype, tb in slices:
                done += store.write_arrow(etype, tb)
        return _rates(done, time.perf_counter() - t0, time.process_time() - c0)


def run_object(root: Path, pool: list[Any], n: int, budget_s: float) -> dict[str, float]:
    events = (pool * (n // len(pool) + 1))[:n]
    with durable_logger(root, "object") as (lg, _loader, _store):
        log, wait = lg.log, _paced(lg)
        t0, c0 = time.perf_counter(), time.process_time()
        stop = t0 + budget_s
        sent = 0
        for i, e in enumerate(events):
            wait(i)
            log(e)
            sent += 1
            if i % 4096 == 0 and time.perf_counter() > stop:
                break
        lg.flush()
        out = _rates(sent, time.perf_counter() - t0, time.process_time() - c0)
        out["dropped"] = lg.stats()["dropped_total"]
    return out


def run_stdlib(root: Path, pool: list[Any], n: int, budget_s: float) -> dict[str, float]:
    """QueueHandler + QueueListener + FileHandler, one JSON line per event."""
    events = (pool * (n // len(pool) + 1))[:n]

    class JsonFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return record.msg.model_dump_json()  # type: ignore[no-any-return, attr-defined]

    path = root / "stdlib.jsonl"
    q: queue.Queue[Any] = queue.Queue(-1)
    qh = logging.handlers.QueueHandler(q)
    qh.setFormatter(JsonFormatter())  # the record is formatted when queued (QueueHandler.prepare)
    fh = logging.FileHandler(path)
    fh.setFormatter(logging.Formatter("%(message)s"))
    listener = logging.handlers.QueueListener(q, fh)
    lgr = logging.getLogger("bench.stdlib")
    lgr.propagate = False
    lgr.setLevel(logging.INFO)
    lgr.handlers[:] = [qh]
    listener.start()
    t0, c0 = time.perf_counter(), time.process_time()
    stop = t0 + budget_s
    for i, e in enumerate(events):
        lgr.info(e)
        if i % 4096 == 0 and time.perf_counter() > stop:
            break
    listener.stop()
    fh.flush()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    fh.close()
    with open(path, "rb") as f:
        lines = sum(1 for _ in f)
    return _rates(lines, wall, cpu)


def raw_payloads(n: int, seed: int = 5) -> list[dict[str, Any]]:
    """Plain values as an Engine holds them before building events: signals, gates, snapshots."""
    from huracan.samples import GATE_SPECS

    r = random.Random(seed)
    base = time.time() - 3600
    gates = sorted(GATE_SPECS)
    out: list[dict[str, Any]] = []
    for i in range(n):
        ts = datetime.fromtimestamp(base + i * 0.001, tz=UTC)
        k = i % 8
        if k == 0:
            out.append(
                {
                    "type": "signal",
                    "ts": ts,
                    "signal_id": f"s{i}",
                    "symbol": "BTC-USD",
                    "mode": "scalp",
                    "regime": "trend",
                    "side": "long",
                    "price": 60_000 + r.random(),
                    "confidence": r.random(),
                    "features": {"net_edge_bps": r.gauss(8, 3), "spread_bps": r.random() * 5},
                }
            )
        elif k == 7:
            out.append(
                {
                    "type": "market_snapshot",
                    "ts": ts,
                    "symbol": "ETH-USD",
                    "price": 3000 + r.random(),
                    "regime": "range",
                    "volatility_bps": r.random() * 50,
                    "spread_bps": r.random() * 4,
                    "volume_usd": r.random() * 1e6,
                }
            )
        else:
            gate = gates[k % len(gates)]
            direction, thr = GATE_SPECS[gate]
            value = thr * r.uniform(0.6, 1.4)
            out.append(
                {
                    "type": "gate_decision",
                    "ts": ts,
                    "signal_id": f"s{i - k}",
                    "gate": gate,
                    "mode": "scalp",
                    "passed": value >= thr if direction == "above" else value <= thr,
                    "value": value,
                    "threshold": thr,
                    "direction": direction,
                }
            )
    return out


def _build(payload: dict[str, Any]) -> dict[str, Any]:
    # What the Engine does per event: fill in the envelope.
    return {**payload, "event_id": os.urandom(16).hex()}


def run_end_to_end(root: Path, n: int, budget_s: float, chunk: int = 1000) -> dict[str, float]:
    payloads = raw_payloads(n)
    with durable_logger(root, "e2e") as (lg, _loader, _store):
        t0, c0 = time.perf_counter(), time.process_time()
        stop = t0 + budget_s
        sent = 0
        for i in range(0, n, chunk):
            while lg.in_memory > lg.limits.capacity // 2:
                time.sleep(0.0002)
            sent += lg.log_dicts([_build(p) for p in payloads[i : i + chunk]])
            if time.perf_counter() > stop:
                break
        lg.flush()
        return _rates(sent, time.perf_counter() - t0, time.process_time() - c0)


def run_end_to_end_models(root: Path, n: int, budget_s: float) -> dict[str, float]:
    """The same, building a pydantic event object per event and ``log()``-ing it."""
    from huracan.events import EVENT_TYPES

    payloads = raw_payloads(n)
    with durable_logger(root, "e2e-models") as (lg, _loader, _store):
        log, wait = lg.log, _paced(lg)
        t0, c0 = time.perf_counter(), time.process_time()
        stop = t0 + budget_s
        sent = 0
        for i, p in enumerate(payloads):
            wait(i)
            d = _build(p)
            log(EVENT_TYPES[d.pop("type")](**d))
            sent += 1
            if i % 4096 == 0 and time.perf_counter() > stop:
                break
        lg.flush()
        return _rates(sent, time.perf_counter() - t0, time.process_time() - c0)


def run_structlog(root: Path, n: int, budget_s: float) -> dict[str, float]:
    """structlog's fast path: a filtering bound logger rendering JSON lines to a file."""
    import structlog

    payloads = raw_payloads(n)
    path = root / "structlog.jsonl"
    with open(path, "w") as f:
        logger = structlog.wrap_logger(
            structlog.WriteLogger(f),
            processors=[structlog.processors.JSONRenderer(default=str)],
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            cache_logger_on_first_use=True,
        )
        t0, c0 = time.perf_counter(), time.process_time()
        stop = t0 + budget_s
        sent = 0
        for i, p in enumerate(payloads):
            d = _build(p)
            logger.info(d.pop("type"), **d)
            sent += 1
            if i % 4096 == 0 and time.perf_counter() > stop:
                break
        f.flush()
        return _rates(sent, time.perf_counter() - t0, time.process_time() - c0)


def _p99(samples: list[int], overhead: int) -> float:
    samples.sort()
    return max(0, samples[int(0.99 * (len(samples) - 1))] - overhead) / 1000


def _timer_overhead() -> int:
    clock = time.perf_counter_ns
    empty = []
    for _ in range(100_000):
        t = clock()
        empty.append(clock() - t)
    empty.sort()
    return empty[len(empty) // 2]


def run_latency(root: Path, pool: list[Any], n: int, budget_s: float) -> dict[str, float]:
    """Per-call time of log() while the writer writes to the log; the stdlib call beside it."""
    events = (pool * (n // len(pool) + 1))[:n]
    clock = time.perf_counter_ns
    overhead = _timer_overhead()
    ours: list[int] = []
    with durable_logger(root, "latency") as (lg, _loader, _store):
        log, wait = lg.log, _paced(lg)
        stop = time.perf_counter() + budget_s
        for i, e in enumerate(events):
            wait(i)
            t = clock()
            log(e)
            ours.append(clock() - t)
            if i % 4096 == 0 and time.perf_counter() > stop:
                break
    q: queue.Queue[Any] = queue.Queue(-1)
    lgr = logging.getLogger("bench.latency")
    lgr.propagate = False
    lgr.setLevel(logging.INFO)
    lgr.handlers[:] = [logging.handlers.QueueHandler(q)]
    theirs: list[int] = []
    for e in events[: len(ours)]:
        t = clock()
        lgr.info(e)
        theirs.append(clock() - t)
    return {"p99_us": _p99(ours, overhead), "stdlib_p99_us": _p99(theirs, overhead), "calls": len(ours)}


def rows(quick: bool = False) -> list[Row]:
    """The in-process ingest rows of ``make bench``."""
    logging.basicConfig(level=logging.ERROR)
    s = 0.25 if quick else 1.0
    budget = 3.0 if quick else 7.0
    note = load_note()
    with tempfile.TemporaryDirectory(prefix="huracan-bench-") as tmp:
        root = Path(tmp)
        pool = make_pool(2500)
        batch = run_batch(root, pool, int(4_000_000 * s), budget)
        direct = run_duckdb_direct(root, pool, int(200_000 * s))
        obj = run_object(root, pool, int(1_000_000 * s), budget)
        std = run_stdlib(root, pool, int(500_000 * s), budget)
        e2e = run_end_to_end(root, int(600_000 * s), budget)
        slog = run_structlog(root, int(300_000 * s), budget)
        e2e_models = run_end_to_end_models(root, int(200_000 * s), budget / 2)
        lat = run_latency(root, pool, int(300_000 * s), budget / 2)
    return [
        Row(
            "ingest_batch",
            round(batch["eps"]),
            "ev/s",
            "duckdb_direct_insert_5k",
            round(direct["eps"]),
            1_000_000,
            note=f"log_arrow → fsynced ingest log; {batch['eps_cpu']:,.0f} per CPU-s (loader included: "
            f"all loaded into DuckDB after {batch['loaded_s']:.1f} s); baseline {direct['eps_cpu']:,.0f} per CPU-s; "
            f"{note}",
        ),
        Row(
            "ingest_object",
            round(obj["eps"]),
            "ev/s",
            "stdlib_queuehandler_jsonl",
            round(std["eps"]),
            120_000,
            note=f"log() of pre-built events → fsynced ingest log; {obj['eps_cpu']:,.0f} per CPU-s, "
            f"baseline {std['eps_cpu']:,.0f} per CPU-s (no fsync); dropped {obj['dropped']}; {note}",
        ),
        Row(
            "ingest_end_to_end",
            round(e2e["eps"]),
            "ev/s",
            "structlog_jsonl",
            round(slog["eps"]),
            PROTOTYPE_EPS,
            note=f"build payload + validate (generated msgspec decoder) + log_dicts → fsynced log; "
            f"{e2e['eps_cpu']:,.0f} per CPU-s; with a pydantic object per event and log(): "
            f"{e2e_models['eps']:,.0f} ev/s ({e2e_models['eps_cpu']:,.0f} per CPU-s); structlog (no validation, "
            f"no fsync) {slog['eps_cpu']:,.0f} per CPU-s; {note}",
        ),
        Row(
            "log_p99_us",
            round(lat["p99_us"], 3),
            "µs",
            "stdlib_queuehandler_p99_us",
            round(lat["stdlib_p99_us"], 3),
            5.0,
            higher_is_better=False,
            note=f"{lat['calls']:,} log() calls while the writer writes; {note}",
        ),
    ]


if __name__ == "__main__":
    print_rows(rows, __doc__)

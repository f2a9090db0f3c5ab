"""Store throughput and day-query latency.

Loads N million synthetic ``gate_decision`` rows per day (built as Arrow columns, the
way a bulk import would) for a few days, then times a day-filtered aggregate on the
hot tier, rolls everything to the Delta archive and times it again on the cold tier. Also times
``write_events`` on pre-built event objects (batches of 5,000, the logger's size).

    .venv/bin/python benchmarks/store_query.py --millions 2 --days 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa

from huracan.config import load_config
from huracan.samples import sample_events
from huracan.store import Store
from huracan.store.schema import arrow_schema, events_to_arrow

GATES = np.array(["meta_label", "cost_gate", "confidence_gate", "regime_gate", "spread_gate", "volume_gate"])
MODES = np.array(["scalp", "runner"])
AGG = (
    "SELECT gate, mode, count(*) AS n, avg(CAST(passed AS INTEGER)) AS pass_rate, avg(value) AS mean_value "
    "FROM v_gate_decision WHERE day = ? GROUP BY gate, mode ORDER BY gate, mode"
)


def day_table(day: date, n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = np.datetime64(datetime(day.year, day.month, day.day), "us")
    ts = np.sort(start + rng.integers(0, 86_400_000_000, n).astype("timedelta64[us]"))
    value = rng.random(n)
    threshold = np.full(n, 0.5)
    cols = {
        "event_id": pa.array([f"{seed:04x}{i:028x}" for i in range(n)], pa.string()),
        "type": pa.array(np.full(n, "gate_decision")),
        "schema_version": pa.array(np.ones(n, np.int32)),
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "severity": pa.array(np.full(n, "DEBUG")),
        "source": pa.array(np.full(n, "engine")),
        "signal_id": pa.array([f"sig-{i // 6:010x}" for i in range(n)], pa.string()),
        "gate": pa.array(GATES[rng.integers(0, 6, n)]),
        "mode": pa.array(MODES[rng.integers(0, 2, n)]),
        "passed": pa.array(value >= threshold),
        "value": pa.array(value),
        "threshold": pa.array(threshold),
        "direction": pa.array(np.full(n, "above")),
        "model_id": pa.nulls(n, pa.string()),
        "latency_ms": pa.array(rng.random(n) * 3),
        "day": pa.array(np.full(n, np.datetime64(day.isoformat(), "D"))).cast(pa.date32()),
    }
    return pa.table(cols).cast(arrow_schema("gate_decision"))


class Clock:
    """Wall and CPU time of a block: on a shared machine CPU time is the steadier figure."""

    def __enter__(self) -> Clock:
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0

    def rate(self, n: int, unit: str) -> str:
        return f"{n / self.wall:,.0f} {unit}/s wall, {n / self.cpu:,.0f} {unit}/s per CPU-second"


def timed(label: str, fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm up (file cache, footers)
    best = min(_once(fn) for _ in range(repeat))
    print(f"{label:<46} {best * 1000:8.1f} ms (best of {repeat})")
    return best


def _once(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--millions", type=float, default=2.0, help="rows per day, in millions")
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--events", type=int, default=200_000, help="pre-built events for the write_events figure")
    args = ap.parse_args()
    n = int(args.millions * 1_000_000)
    first = date(2025, 11, 1)
    days = [first + timedelta(days=i) for i in range(args.days)]
    target = days[len(days) // 2]

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_config(data_dir=tmp, store={"hot_days": 1})
        with Store.open(settings) as store:
            tables = [day_table(d, n, i) for i, d in enumerate(days)]
            with Clock() as c:
                for t in tables:
                    for batch in t.to_batches(max_chunksize=100_000):
                        store.write_arrow("gate_decision", pa.Table.from_batches([batch]))
            print(f"write_arrow, 100k rows/batch: {c.rate(n * len(days), 'rows')}")
            small = day_table(date(2025, 12, 15), 200_000, 99)  # a day of its own: counts stay exact
            with Clock() as c:
                for batch in small.to_batches(max_chunksize=5_000):
                    store.write_arrow("gate_decision", pa.Table.from_batches([batch]).cast(small.schema))
            print(f"write_arrow, 5k rows/batch: {c.rate(small.num_rows, 'rows')}")

            # Pre-built events in creation order, as a logger receives them (memory order
            # matters: the same events shuffled in memory convert ~4x slower).
            events = list(sample_events("gate_decision", n=args.events, seed=7))
            base = datetime(2025, 12, 1, tzinfo=UTC)
            events = [e.model_copy(update={"ts": base + timedelta(milliseconds=10 * i)}) for i, e in enumerate(events)]
            with Clock() as c:
                for i in range(0, len(events), 5_000):
                    events_to_arrow(events[i : i + 5_000])
            print(f"events_to_arrow, gate_decision, 5k/batch: {c.rate(len(events), 'events')}")
            with Clock() as c:
                for i in range(0, len(events), 5_000):
                    store.write_events(events[i : i + 5_000])
            print(f"write_events, gate_decision, 5k/batch: {c.rate(len(events), 'events')}")
            mixed = list(sample_events(None, n=args.events // 15, seed=8))
            with Clock() as c:
                for i in range(0, len(mixed), 5_000):
                    store.write_events(mixed[i : i + 5_000])
            print(f"write_events, 15 types mixed, 5k/batch: {c.rate(len(mixed), 'events')}")

            rows = store.query(AGG, [target])
            assert sum(r["n"] for r in rows) == n, rows
            timed(f"hot  day aggregate ({n:,} rows of {n * len(days):,})", lambda: store.query(AGG, [target]))
            timed(
                "hot  count(*) for one day",
                lambda: store.query("SELECT count(*) FROM v_gate_decision WHERE day = ?", [target]),
            )

            with Clock() as c:
                report = store.roll(datetime(2025, 12, 31, tzinfo=UTC))
            print(f"roll: {report.rows:,} rows in {len(report.moved)} Delta commits: {c.rate(report.rows, 'rows')}")
            rows = store.query(AGG, [target])
            assert sum(r["n"] for r in rows) == n, rows
            timed("cold day aggregate (Delta table, local)", lambda: store.query(AGG, [target]))
            size = sum(t.bytes for t in store.cold_tables.values())
            print(f"cold size: {size / 1e6:,.1f} MB for {report.rows:,} rows ({size / max(report.rows, 1):.1f} B/row)")


if __name__ == "__main__":
    main()

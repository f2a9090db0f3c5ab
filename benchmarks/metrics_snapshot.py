"""How long does `huracan metrics` take over a simulated month?

Simulates DAYS days of Engine + Hamilton at the simulator's default volume into a real
Store, then times ``compute_snapshot`` for the last day (the CLI's default) and for every
day (what a catch-up run does), and counts the SQL statements one snapshot runs.

    .venv/bin/python benchmarks/metrics_snapshot.py [DAYS] [SIGNALS_PER_DAY]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from huracan.analytics.metrics import compute_snapshot
from huracan.config import load_config
from huracan.plugins.manager import get_plugins
from huracan.simulate import simulate
from huracan.store import Store
from huracan.store.registry import ModelRegistry


class Counting:
    def __init__(self, cur: Any) -> None:
        self.cur, self.n = cur, 0

    def execute(self, sql: str, params: Any = None) -> Any:
        self.n += 1
        self.cur.execute(sql, params) if params is not None else self.cur.execute(sql)
        return self.cur


def main(days: int = 30, per_day: int | None = None) -> None:
    end = date(2025, 11, 30)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_config(data_dir=Path(tmp))
        events: list[Any] = []
        kwargs: dict[str, Any] = {"signals_per_day": per_day} if per_day else {}
        t0 = time.perf_counter()
        summary = simulate(
            settings, emit=events.append, registry=ModelRegistry(settings, events.append), days=days, end=end, **kwargs
        )
        t_sim = time.perf_counter() - t0
        with Store.open(settings) as store:
            t0 = time.perf_counter()
            store.write_events(events)
            t_write = time.perf_counter() - t0
            plugins = get_plugins(settings, entry_points=False, default_plugins=("huracan.plugins.builtin.metrics",))
            plugins.metrics()
            conn = Counting(store.cursor())
            t0 = time.perf_counter()
            snap = compute_snapshot(conn, end, plugins, settings)
            t_one = time.perf_counter() - t0
            t0 = time.perf_counter()
            checks = []
            for k in range(days):
                s = compute_snapshot(store, end - timedelta(days=k), plugins, settings)
                checks.append(s.self_check.passed)
            t_all = time.perf_counter() - t0
        values = sum(m.value is not None for m in snap.metrics.values())
        print(f"simulated {days} days, {summary.signals_per_day} signals/day: {len(events):,} events in {t_sim:.1f} s")
        print(f"store write: {t_write:.2f} s")
        print(
            f"one snapshot (8 days computed): {t_one:.2f} s, {conn.n} SQL statements, "
            f"{len(snap.metrics)} metrics, {values} with values"
        )
        print(
            f"all {days} snapshots: {t_all:.1f} s ({t_all / days:.2f} s each); self-check passed on "
            f"{sum(checks)}/{days} days"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))

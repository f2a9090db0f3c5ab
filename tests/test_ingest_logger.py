"""EventLogger: severity tiers, the kill switch, CRITICAL never lost, batching, threads, asyncio."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from huracan.config import IngestSettings
from huracan.events import EventBase, Severity
from huracan.ingest import EventLogger, MemorySink, Tier
from huracan.ingest.tiers import SEVERITIES, Limits, admit_batch
from huracan.samples import sample_events

BASE = list(sample_events("market_snapshot", n=50, seed=7))


def ev(severity: str, i: int = 0) -> EventBase:
    return BASE[i % len(BASE)].model_copy(update={"severity": Severity(severity), "event_id": f"e-{severity}-{i}"})


def small(capacity: int = 100, **kw: float) -> IngestSettings:
    return IngestSettings(queue_capacity=capacity, batch_size=kw.pop("batch_size", 1000), **kw)  # type: ignore[arg-type]


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def wait_for(cond: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.005)
    return cond()


# -- tier rules (no writer running: the queue only fills) ------------------------------


def test_below_80_percent_everything_is_accepted() -> None:
    lg = EventLogger(MemorySink(), small(100))
    assert all(lg.log(ev(SEVERITIES[i % 5], i)) for i in range(79))
    assert lg.queued == 79 and lg.tier == Tier.OK
    assert lg.stats()["dropped_total"] == 0


def test_debug_is_shed_from_80_percent_and_others_still_enter() -> None:
    lg = EventLogger(MemorySink(), small(100))
    for i in range(80):
        assert lg.log(ev("INFO", i))
    assert lg.log(ev("DEBUG")) is False
    assert lg.tier == Tier.SHED_DEBUG
    assert lg.log(ev("INFO")) is True
    assert lg.log(ev("WARNING")) is True
    s = lg.stats()
    assert s["dropped"]["DEBUG"] == 1 and s["dropped_total"] == 1
    assert s["health"] == "warning" and not s["kill_switch"]


def test_kill_switch_at_95_percent_keeps_only_error_and_critical() -> None:
    lg = EventLogger(MemorySink(), small(100))
    for i in range(95):
        lg.log(ev("ERROR", i))
    results = {sev: lg.log(ev(sev)) for sev in SEVERITIES}
    assert results == {"DEBUG": False, "INFO": False, "WARNING": False, "ERROR": True, "CRITICAL": True}
    s = lg.stats()
    assert s["kill_switch"] and s["tier"] == "kill_switch" and s["health"] == "critical"
    assert s["dropped"] == {"DEBUG": 1, "INFO": 1, "WARNING": 1, "ERROR": 0, "CRITICAL": 0}
    assert s["tier_entries"] == {"shed_debug": 1, "kill_switch": 1}


def test_critical_is_never_dropped_when_the_queue_is_full(tmp_path: Path) -> None:
    sink = MemorySink()
    lg = EventLogger(sink, small(100), spool_dir=tmp_path / "spool")
    for i in range(100):
        lg.log(ev("ERROR", i))
    assert lg.log(ev("ERROR", 999)) is False  # full: even ERROR is shed
    crit = [ev("CRITICAL", 1000 + i) for i in range(25)]
    assert all(lg.log(e) for e in crit)
    s = lg.stats()
    assert s["queued"] == 100
    assert s["spooled"]["CRITICAL"] == 25 and s["spool"]["pending"] == 25
    assert s["dropped"]["CRITICAL"] == 0
    assert lg.close()  # drains the queue and replays the spool
    ids = {e.event_id for e in sink.events}
    assert {e.event_id for e in crit} <= ids
    assert len(sink.events) == 125


def test_critical_without_a_spool_overflows_into_memory_rather_than_being_lost() -> None:
    sink = MemorySink()
    lg = EventLogger(sink, small(100))
    for i in range(100):
        lg.log(ev("ERROR", i))
    assert lg.log(ev("CRITICAL", 500)) is True
    assert lg.queued == 101
    lg.close()
    assert sum(e.severity == "CRITICAL" for e in sink.events) == 1


def test_recovery_below_the_thresholds_is_automatic_and_announced() -> None:
    changes: list[tuple[Tier, Tier]] = []
    clock = FakeClock()
    sink = MemorySink()
    lg = EventLogger(sink, small(100, batch_size=10), clock=clock)
    lg.add_listener(lambda old, new, fill: changes.append((old, new)))
    for i in range(97):
        lg.log(ev("ERROR", i))
    assert lg.tier == Tier.KILL_SWITCH
    clock.t += 30.0
    lg.flush()
    assert lg.tier == Tier.OK
    assert changes == [(Tier.OK, Tier.SHED_DEBUG), (Tier.SHED_DEBUG, Tier.KILL_SWITCH), (Tier.KILL_SWITCH, Tier.OK)]
    s = lg.stats()
    assert s["kill_switch_seconds"] == pytest.approx(30.0)
    assert not s["kill_switch"] and s["health"] == "ok"
    assert lg.log(ev("DEBUG")) is True  # accepting everything again


def test_closed_logger_refuses_and_counts() -> None:
    lg = EventLogger(MemorySink(), small(100))
    lg.close()
    assert lg.log(ev("INFO")) is False
    assert lg.log_many([ev("DEBUG"), ev("ERROR")]) == 0
    assert lg.stats()["dropped"] == {"DEBUG": 1, "INFO": 1, "WARNING": 0, "ERROR": 1, "CRITICAL": 0}


# -- the batch API ---------------------------------------------------------------------


def test_admit_batch_equals_admitting_one_by_one() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    lim = Limits.from_ratios(200, 0.8, 0.95)
    for fill in (0, 100, 159, 160, 189, 190, 199, 200, 230):
        ranks = rng.integers(0, 5, size=120).astype(np.int8)
        mask, full_at = admit_batch(ranks, fill, lim)
        expect, n, first_full = [], fill, len(ranks)
        for i, r in enumerate(ranks.tolist()):
            if n >= lim.capacity and first_full == len(ranks):
                first_full = i
            ok = lim.admits(n, r)
            expect.append(ok)
            n += ok
        assert mask.tolist() == expect, fill
        assert full_at == first_full, fill


def test_log_many_is_one_queue_item_and_applies_tiers_when_over() -> None:
    lg = EventLogger(MemorySink(), small(100))
    assert lg.log_many([ev("INFO", i) for i in range(70)]) == 70
    assert len(lg._q) == 1 and lg.queued == 70
    mixed = [ev(SEVERITIES[i % 5], i) for i in range(50)]
    accepted = lg.log_many(mixed)
    s = lg.stats()
    assert accepted + s["dropped_total"] == 50
    assert s["dropped"]["CRITICAL"] == 0
    # The first 10 rows fit below 80 % (DEBUG at i=0 and i=5 among them); every later DEBUG is shed.
    assert s["dropped"]["DEBUG"] == 8
    assert s["accepted_total"] == 70 + accepted


def test_log_arrow_sheds_by_the_severity_column(tmp_path: Path) -> None:
    from huracan.store.schema import events_to_arrow

    sink = MemorySink()
    lg = EventLogger(sink, small(100), spool_dir=tmp_path / "spool")
    table = events_to_arrow([ev(SEVERITIES[i % 5], i) for i in range(300)])
    accepted = lg.log_arrow("market_snapshot", table)
    s = lg.stats()
    assert accepted + s["dropped_total"] == 300
    assert s["dropped"]["CRITICAL"] == 0
    assert s["spooled"]["CRITICAL"] > 0  # CRITICAL rows past capacity went to the spool
    assert lg.flush()
    assert sink.rows == accepted
    sevs = pa.concat_tables([t for _, t in sink.tables]).column("severity").to_pylist()
    assert sevs.count("CRITICAL") == 60


def test_log_arrow_needs_a_severity_column_and_an_arrow_sink() -> None:
    lg = EventLogger(MemorySink(), small(100))
    with pytest.raises(ValueError, match="severity"):
        lg.log_arrow("market_snapshot", pa.table({"x": [1]}))
    with pytest.raises(ValueError, match="unknown severity"):
        lg.log_arrow("market_snapshot", pa.table({"severity": ["LOUD"]}))

    class EventsOnly:
        def write_events(self, events: list[EventBase]) -> None: ...

    with pytest.raises(TypeError, match="log_many"):
        EventLogger(EventsOnly(), small(100)).log_arrow("market_snapshot", pa.table({"severity": ["INFO"]}))


# -- batching ------------------------------------------------------------------------


def test_batches_flush_by_size_without_waiting_for_the_interval() -> None:
    clock = FakeClock()  # never advances: only the size rule can trigger
    sink = MemorySink()
    lg = EventLogger(sink, IngestSettings(queue_capacity=1000, batch_size=50, flush_interval_s=3600), clock=clock)
    for i in range(120):
        lg.log(ev("INFO", i))
    lg.writer.step()
    assert sink.batches == [50, 50]  # 20 left: below the batch size, interval not reached
    assert lg.queued == 20


def test_batches_flush_by_time_with_a_controllable_clock() -> None:
    clock = FakeClock()
    sink = MemorySink()
    lg = EventLogger(sink, IngestSettings(queue_capacity=1000, batch_size=500, flush_interval_s=1.0), clock=clock)
    for i in range(7):
        lg.log(ev("INFO", i))
    lg.writer.step()
    assert sink.batches == []
    clock.t += 0.99
    lg.writer.step()
    assert sink.batches == []
    clock.t += 0.02
    lg.writer.step()
    assert sink.batches == [7]


def test_background_writer_flushes_by_time_on_its_own() -> None:
    sink = MemorySink()
    lg = EventLogger(sink, IngestSettings(queue_capacity=1000, batch_size=500, flush_interval_s=0.05)).start()
    try:
        for i in range(3):
            lg.log(ev("INFO", i))
        assert wait_for(lambda: sink.rows == 3)
        assert sink.batches == [3]
    finally:
        lg.close()


def test_flush_and_close_drain_everything() -> None:
    sink = MemorySink()
    lg = EventLogger(sink, IngestSettings(queue_capacity=10_000, batch_size=5000, flush_interval_s=3600)).start()
    for i in range(1234):
        lg.log(ev("INFO", i))
    assert lg.flush(timeout=30)
    assert sink.rows == 1234
    lg.log_many([ev("WARNING", i) for i in range(10)])
    assert lg.close(timeout=30)
    assert sink.rows == 1244 and lg.stats()["written_total"] == 1244


# -- concurrency -------------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [200, 100_000])
def test_concurrent_producers_account_for_every_event(capacity: int) -> None:
    """N threads × M events: accepted + dropped == offered and written == accepted."""
    sink = MemorySink()
    lg = EventLogger(sink, IngestSettings(queue_capacity=capacity, batch_size=64, flush_interval_s=0.01)).start()
    n_threads, per_thread = 8, 2500
    barrier = threading.Barrier(n_threads)
    results: list[int] = []

    def produce(t: int) -> None:
        barrier.wait()
        ok = sum(lg.log(ev(SEVERITIES[(t + i) % 5], i)) for i in range(per_thread))
        results.append(ok)

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert lg.close(timeout=60)
    s = lg.stats()
    offered = n_threads * per_thread
    assert s["accepted_total"] + s["dropped_total"] == offered
    assert s["accepted_total"] == sum(results)
    assert s["written_total"] == s["accepted_total"] == sink.rows
    assert s["dropped"]["CRITICAL"] == 0
    assert sum(e.severity == "CRITICAL" for e in sink.events) == offered // 5
    if capacity == 100_000:
        assert s["dropped_total"] == 0


async def test_logging_from_asyncio_tasks() -> None:
    sink = MemorySink()
    lg = EventLogger(sink, IngestSettings(queue_capacity=10_000, batch_size=100, flush_interval_s=0.02)).start()

    async def producer(k: int) -> int:
        n = 0
        for i in range(500):
            n += lg.log(ev("INFO", k * 1000 + i))
            if i % 50 == 0:
                await asyncio.sleep(0)
        return n

    accepted = sum(await asyncio.gather(*(producer(k) for k in range(4))))
    assert accepted == 2000
    assert await lg.aflush(timeout=30)
    assert sink.rows == 2000
    assert await lg.aclose()


def test_a_burst_past_capacity_keeps_every_critical_with_few_fsyncs(tmp_path: Path) -> None:
    """log() does not fsync per CRITICAL: the overflow thread spools them in groups."""
    sink = MemorySink()
    lg = EventLogger(sink, IngestSettings(queue_capacity=100, batch_size=50), spool_dir=tmp_path / "sp").start()
    offered = [ev(SEVERITIES[i % 5], i) for i in range(5000)]
    accepted = sum(lg.log(e) for e in offered)
    assert lg.close(timeout=60)
    s = lg.stats()
    assert accepted + s["dropped_total"] == 5000
    assert s["dropped"]["CRITICAL"] == 0
    assert sum(e.severity == "CRITICAL" for e in sink.events) == 1000
    spooled = s["spooled"]["CRITICAL"]
    assert spooled > 0  # the queue was full for some CRITICAL events: the overflow path ran
    # Group commit: the producer thread runs a whole GIL slice of log() calls between two
    # turns of the overflow thread, so far fewer fsynced appends than events.
    assert lg.overflow is not None and lg.overflow.groups * 2 <= spooled

"""The disk spool on its own, and the logger's retry / spool / replay around a failing sink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from huracan.config import IngestSettings, load_config
from huracan.events import EventBase, Severity
from huracan.ingest import EventLogger, MemorySink, Spool, SpoolLockedError
from huracan.ingest import spool as spool_mod
from huracan.samples import sample_events
from huracan.store.schema import events_to_arrow

BASE = list(sample_events("market_snapshot", n=50, seed=11))


def ev(severity: str, i: int) -> EventBase:
    return BASE[i % len(BASE)].model_copy(update={"severity": Severity(severity), "event_id": f"e-{severity}-{i}"})


class FlakySink(MemorySink):
    """Raises for the first ``failures`` calls (or while ``down``), then stores."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.failures = failures
        self.down = False
        self.calls = 0

    def _gate(self) -> None:
        self.calls += 1
        if self.down or self.failures > 0:
            self.failures -= 1
            raise ConnectionError("sink unavailable (test)")

    def write_events(self, events: list[EventBase]) -> int:  # type: ignore[override]
        self._gate()
        return super().write_events(events)

    def write_arrow(self, event_type: str, table):  # type: ignore[no-untyped-def]
        self._gate()
        return super().write_arrow(event_type, table)


# -- the Spool class ---------------------------------------------------------------------


def test_spool_replays_events_and_tables_in_order_and_deletes_them(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s", max_bytes=10 << 20)
    first = [ev("INFO", i) for i in range(5)]
    table = events_to_arrow([ev("WARNING", 100 + i) for i in range(3)])
    last = [ev("CRITICAL", 200 + i) for i in range(2)]
    sp.append(first)
    sp.append_arrow("market_snapshot", table)
    sp.append(last)
    assert sp.pending == 10
    order: list[str] = []

    class Recorder:
        def write_events(self, events: list[EventBase]) -> None:
            order.extend(e.event_id for e in events)

        def write_arrow(self, event_type: str, t) -> None:  # type: ignore[no-untyped-def]
            order.extend(t.column("event_id").to_pylist())

    report = sp.replay(Recorder())
    assert report.error is None and report.events == 10 and report.segments == 3
    assert order == [e.event_id for e in first] + table.column("event_id").to_pylist() + [e.event_id for e in last]
    assert report.by_severity == [0, 5, 3, 0, 2]
    assert sp.pending == 0 and not list((tmp_path / "s").glob("0*"))
    sp.close()


def test_replay_stops_at_a_failure_and_resumes_without_duplicates(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s", max_bytes=10 << 20, segment_bytes=1)  # one segment per append
    batches = [[ev("INFO", 10 * b + i) for i in range(4)] for b in range(3)]
    for b in batches:
        sp.append(b)
    sink = FlakySink()
    seen = 0

    def write_events(events: list[EventBase]) -> int:
        nonlocal seen
        seen += 1
        if seen == 2:
            raise ConnectionError("second segment refused")
        return MemorySink.write_events(sink, events)

    sink.write_events = write_events  # type: ignore[method-assign]
    report = sp.replay(sink)
    assert isinstance(report.error, ConnectionError) and report.events == 4
    assert sp.pending == 8
    report = sp.replay(sink)
    assert report.error is None and report.events == 8
    assert [e.event_id for e in sink.events] == [e.event_id for b in batches for e in b]


def test_spool_survives_reopening_and_locks_its_directory(tmp_path: Path) -> None:
    d = tmp_path / "s"
    sp = Spool(d, max_bytes=10 << 20)
    sp.append([ev("DEBUG", 1), ev("CRITICAL", 2), ev("ERROR", 3)])
    with pytest.raises(SpoolLockedError, match="in use"):
        Spool(d, max_bytes=10 << 20)
    sp.close()
    again = Spool(d, max_bytes=10 << 20)
    st = again.stats()
    assert st["pending"] == 3
    assert st["pending_by_severity"] == {"DEBUG": 1, "INFO": 0, "WARNING": 0, "ERROR": 1, "CRITICAL": 1}
    sink = MemorySink()
    assert again.replay(sink).events == 3
    assert [e.event_id for e in sink.events] == ["e-DEBUG-1", "e-CRITICAL-2", "e-ERROR-3"]
    again.close()


def test_over_its_cap_the_spool_sheds_lowest_severity_first_critical_last(tmp_path: Path) -> None:
    def fixed(sev: str, i: int) -> EventBase:  # same-sized lines, whatever the severity
        return BASE[0].model_copy(update={"severity": Severity(sev), "event_id": f"{sev:_<8}-{i:05d}"})

    line = len(fixed("CRITICAL", 0).model_dump_json()) + 1
    assert line == len(fixed("INFO", 0).model_dump_json()) + 1 - len("INFO") + len("CRITICAL")
    sp = Spool(tmp_path / "s", max_bytes=line * 35, segment_bytes=line * 10)
    sp.append([fixed("CRITICAL", i) for i in range(10)])
    sp.append([fixed("DEBUG", i) for i in range(10)])
    sp.append([fixed("INFO", i) for i in range(10)])
    assert sp.shed.total == 0
    sp.append([fixed("ERROR", i) for i in range(10)])  # over the cap: the DEBUG segment goes
    assert sp.shed.as_dict() == {"DEBUG": 10, "INFO": 0, "WARNING": 0, "ERROR": 0, "CRITICAL": 0}
    sp.append([fixed("CRITICAL", 100 + i) for i in range(10)])  # then INFO
    assert sp.shed.as_dict()["INFO"] == 10
    sp.append([fixed("CRITICAL", 200 + i) for i in range(10)])  # then ERROR; CRITICAL still whole
    st = sp.stats()
    assert st["shed"]["ERROR"] == 10 and st["shed"]["CRITICAL"] == 0
    assert st["pending_by_severity"]["CRITICAL"] == 30 and st["bytes"] <= sp.max_bytes
    sp.append([fixed("CRITICAL", 300 + i) for i in range(10)])  # only CRITICAL left: the oldest is shed
    assert sp.shed.as_dict()["CRITICAL"] == 10
    sink = MemorySink()
    sp.replay(sink)
    assert [e.event_id for e in sink.events][:1] == ["CRITICAL-00100"]


def test_a_torn_last_line_is_skipped_and_counted(tmp_path: Path) -> None:
    d = tmp_path / "s"
    sp = Spool(d, max_bytes=10 << 20)
    sp.append([ev("INFO", 1), ev("INFO", 2)])
    sp.close()
    seg = next(d.glob("*.jsonl"))
    with open(seg, "ab") as f:
        f.write(b'{"type":"market_snapshot","schema_version":1,"event_id":"torn","ts":"2025-')
    again = Spool(d, max_bytes=10 << 20)
    sink = MemorySink()
    assert again.replay(sink).error is None
    assert [e.event_id for e in sink.events] == ["e-INFO-1", "e-INFO-2"]
    assert again.corrupt_lines == 1
    again.close()


def test_critical_appends_are_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = os.fsync

    def spy(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(spool_mod.os, "fsync", spy)
    sp = Spool(tmp_path / "s", max_bytes=10 << 20)
    sp.append([ev("INFO", 1)])
    after_open = len(calls)  # the new segment's directory entry
    sp.append([ev("INFO", 2)])
    assert len(calls) == after_open
    sp.append([ev("INFO", 3), ev("CRITICAL", 4)])
    assert len(calls) == after_open + 1
    sp.close()


# -- the logger around a failing sink -------------------------------------------------


def settings(**kw: float) -> IngestSettings:
    return IngestSettings(queue_capacity=1000, batch_size=50, flush_interval_s=0.01, **kw)  # type: ignore[arg-type]


def test_a_transient_failure_is_retried_with_backoff_and_nothing_is_spooled(tmp_path: Path) -> None:
    sink = FlakySink(failures=2)
    lg = EventLogger(sink, settings(), spool_dir=tmp_path / "spool", retry_attempts=3, retry_backoff_s=0.001)
    for i in range(30):
        lg.log(ev("INFO", i))
    assert lg.flush()
    s = lg.stats()
    assert s["written_total"] == 30 and s["spooled_total"] == 0
    assert s["retries"] == 2 and s["write_errors"] == 2 and s["sink_healthy"]
    assert "ConnectionError" in (s["last_error"] or "")
    lg.close()


def test_a_down_sink_spools_and_replays_in_order_after_it_recovers(tmp_path: Path) -> None:
    sink = FlakySink()
    sink.down = True
    lg = EventLogger(
        sink, settings(), spool_dir=tmp_path / "spool", retry_attempts=1, retry_backoff_s=0, probe_interval_s=0.02
    ).start()
    logged = [ev(("INFO", "ERROR", "CRITICAL")[i % 3], i) for i in range(400)]
    for e in logged:
        assert lg.log(e)
    assert lg.flush(timeout=30) is False  # the sink is still down: the events wait on disk
    s = lg.stats()
    assert not s["sink_healthy"] and s["write_errors"] >= 1
    assert s["spooled_total"] == 400 and s["spool"]["pending"] == 400 and s["written_total"] == 0
    sink.down = False
    assert lg.flush(timeout=30)
    s = lg.stats()
    assert s["sink_healthy"] and s["written_total"] == 400 and s["replayed_total"] == 400
    assert [e.event_id for e in sink.events] == [e.event_id for e in logged]
    assert lg.close()


def test_a_new_logger_replays_what_the_last_one_left_in_the_spool(tmp_path: Path) -> None:
    dead = FlakySink()
    dead.down = True
    lg = EventLogger(dead, settings(), spool_dir=tmp_path / "spool", retry_attempts=0, retry_backoff_s=0)
    for i in range(20):
        lg.log(ev("WARNING", i))
    assert lg.close() is False  # left in the spool, not lost
    sink = MemorySink()
    lg2 = EventLogger(sink, settings(), spool_dir=tmp_path / "spool").start()
    lg2.log(ev("INFO", 999))
    assert lg2.close()
    assert [e.event_id for e in sink.events] == [f"e-WARNING-{i}" for i in range(20)] + ["e-INFO-999"]


def test_without_a_spool_a_failed_batch_waits_in_memory_until_the_sink_is_back() -> None:
    sink = FlakySink()
    sink.down = True
    lg = EventLogger(sink, settings(), retry_attempts=0, retry_backoff_s=0, probe_interval_s=0)
    for i in range(60):
        lg.log(ev("INFO", i))
    lg.writer.step()
    s = lg.stats()
    assert s["held_events"] == 50 and s["queued"] == 10 and not s["sink_healthy"]
    sink.down = False
    assert lg.flush()
    assert [e.event_id for e in sink.events] == [f"e-INFO-{i}" for i in range(60)]


def test_logger_into_the_real_store(tmp_path: Path) -> None:
    from huracan.store import Store

    cfg = load_config(data_dir=tmp_path / "data")
    store = Store.open(cfg)
    try:
        lg = EventLogger(store, cfg.ingest, spool_dir=cfg.spool_dir).start()
        signals = list(sample_events("signal", n=300, seed=2))
        gates = list(sample_events("gate_decision", n=200, seed=3))
        for e in signals[:100]:
            assert lg.log(e)
        assert lg.log_many(gates) == 200
        assert lg.log_arrow("signal", events_to_arrow(signals[100:])) == 200
        assert lg.close()
        rows = store.query("SELECT count(*) AS n FROM v_signal")
        assert rows[0]["n"] == 300
        assert store.query("SELECT count(*) AS n FROM v_gate_decision")[0]["n"] == 200
        assert lg.stats()["written_total"] == 500
    finally:
        store.close()

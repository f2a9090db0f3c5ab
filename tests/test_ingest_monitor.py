"""QueueMonitor: health states, alert callbacks, the per-alert cooldown and recovery notices."""

from __future__ import annotations

import time
from pathlib import Path

from huracan.config import IngestSettings
from huracan.events import Alert, EventBase, Severity
from huracan.ingest import EventLogger, Health, MemorySink, QueueMonitor
from huracan.samples import sample_events

BASE = next(iter(sample_events("market_snapshot", n=1, seed=5)))


def ev(severity: str, i: int) -> EventBase:
    return BASE.model_copy(update={"severity": Severity(severity), "event_id": f"m-{severity}-{i}"})


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def setup(cooldown: float = 300.0) -> tuple[EventLogger, QueueMonitor, list[Alert], Clock, MemorySink]:
    clock = Clock()
    sink = MemorySink()
    cfg = IngestSettings(queue_capacity=100, batch_size=1000, flush_interval_s=3600, alert_cooldown_s=cooldown)
    lg = EventLogger(sink, cfg, clock=clock)
    got: list[Alert] = []
    mon = QueueMonitor(lg, callbacks=[got.append], clock=clock)
    return lg, mon, got, clock, sink


def fill(lg: EventLogger, n: int, severity: str = "ERROR") -> None:
    for i in range(n):
        lg.log(ev(severity, i))


def names(alerts: list[Alert]) -> list[str]:
    return [a.name for a in alerts]


def test_ok_when_idle() -> None:
    lg, mon, got, _clock, _ = setup()
    fill(lg, 10, "INFO")
    report = mon.check()
    assert report.health == Health.OK and report.reasons == [] and got == []


def test_warning_at_80_percent_then_critical_kill_switch_then_recovery() -> None:
    lg, mon, got, clock, sink = setup()
    fill(lg, 85, "INFO")
    lg.log(ev("DEBUG", 1))  # shed
    clock.t = 10
    r = mon.check()
    assert r.health == Health.WARNING
    assert names(got) == ["ingest_queue_high", "ingest_dropping"]
    assert r.dropped["DEBUG"] == 1 and r.drop_rate == 0.1
    assert all(a.severity == Severity.WARNING and a.source == "huracan" for a in got)

    fill(lg, 12)  # ERROR only, nothing shed: 85 + 2 alerts logged + 12 = 99 %, the kill switch
    clock.t = 20
    r = mon.check()
    assert r.health == Health.CRITICAL
    # No drops in this window: that alert clears; ingest_queue_high is still active but cooling down.
    assert names(got)[2:] == ["ingest_kill_switch", "ingest_dropping_recovered"]
    assert got[2].severity == Severity.CRITICAL
    assert mon.suppressed == 1

    lg.flush()
    clock.t = 30
    r = mon.check()
    assert r.health == Health.OK
    assert names(got)[4:] == ["ingest_kill_switch_recovered", "ingest_queue_high_recovered"]
    assert all(a.severity == Severity.INFO for a in got[3:])
    assert lg.stats()["dropped_total"] == 1  # the INFO notices were stored, not shed by the full queue
    # Every alert was also logged into the logger itself, so it is stored.
    lg.flush()
    stored = [e for e in sink.events if e.type == "alert"]
    assert names(stored) == names(got)


def test_a_flapping_queue_does_not_spam_within_the_cooldown() -> None:
    lg, mon, got, clock, _ = setup(cooldown=300)
    for cycle in range(5):
        clock.t = cycle * 20.0
        fill(lg, 97)
        mon.check()
        lg.flush()
        clock.t += 10
        mon.check()
    kill = [a for a in got if a.name == "ingest_kill_switch"]
    recovered = [a for a in got if a.name == "ingest_kill_switch_recovered"]
    assert len(kill) == 1 and len(recovered) == 1  # one alert, one recovery, then quiet flaps
    clock.t = 400  # past the cooldown the next episode is announced again
    fill(lg, 97)
    mon.check()
    assert [a.name for a in got].count("ingest_kill_switch") == 2


def test_an_episode_between_two_checks_is_still_reported() -> None:
    lg, mon, got, clock, _ = setup()
    fill(lg, 97)
    lg.flush()  # back to empty before the monitor looks
    clock.t = 5
    r = mon.check()
    assert "ingest_kill_switch" in names(got) and r.health == Health.CRITICAL


def test_sink_down_and_a_failing_callback_do_not_stop_the_others(tmp_path: Path) -> None:
    class Down:
        def write_events(self, events: list[EventBase]) -> None:
            raise OSError("disk on fire")

    clock = Clock()
    lg = EventLogger(
        Down(),
        IngestSettings(queue_capacity=100, batch_size=5),
        spool_dir=tmp_path / "sp",
        clock=clock,
        retry_attempts=0,
        retry_backoff_s=0,
    )
    got: list[Alert] = []

    def broken(alert: Alert) -> None:
        raise RuntimeError("notifier bug")

    mon = QueueMonitor(lg, callbacks=[broken, got.append], clock=clock, log_alerts=False)
    fill(lg, 5, "INFO")
    lg.writer.step()
    r = mon.check()
    assert r.health == Health.CRITICAL
    assert names(got) == ["ingest_sink_down"] and "disk on fire" in got[0].message
    assert lg.stats()["spooled_total"] == 5
    lg.close()


def test_the_monitor_thread_wakes_on_a_tier_change() -> None:
    lg, mon, got, _clock, _ = setup()
    mon.start(interval_s=3600)  # only a tier change can trigger a check in time
    try:
        deadline = time.monotonic() + 10
        while mon.last_report is None and time.monotonic() < deadline:
            time.sleep(0.005)
        fill(lg, 97)
        while "ingest_kill_switch" not in names(got) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert "ingest_kill_switch" in names(got)
    finally:
        mon.stop()

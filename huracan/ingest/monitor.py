"""The queue monitor: the logger's health as ok / warning / critical, and alerts.

Each :meth:`QueueMonitor.check` reads :meth:`EventLogger.stats`, compares it with the
previous check (so an overload that came and went between two checks is still seen)
and evaluates named conditions:

=========================  ========  =====================================================
alert                      severity  active when
=========================  ========  =====================================================
``ingest_queue_high``      WARNING   fill at/over ``shed_debug_fill`` (DEBUG is shed)
``ingest_kill_switch``     CRITICAL  fill at/over ``kill_switch_fill`` (only ERROR+ kept)
``ingest_dropping``        WARNING   events were shed since the last check (CRITICAL if
                                     any was ERROR: the queue was full)
``ingest_sink_down``       CRITICAL  the sink's writes fail (batches go to the spool)
``ingest_spool_shedding``  CRITICAL  the spool hit its size cap and discarded events
=========================  ========  =====================================================

An active condition is announced as an :class:`~huracan.events.Alert` at most once per
``alert_cooldown_s`` per alert name (a flapping queue does not spam); when an announced
condition clears, a recovery notice (INFO, ``<name>_recovered``) follows. Alerts go to
every callback (that is how notifiers plug in), into the logger itself (so they are
stored), and to Python logging.

Example::

    monitor = QueueMonitor(logger, settings.ingest, callbacks=[notify])
    monitor.start(interval_s=5)      # or call monitor.check() from a scheduler job
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from huracan.config import IngestSettings
from huracan.events import Alert, Severity
from huracan.ingest.logger import EventLogger
from huracan.ingest.tiers import SEVERITIES, Health, Tier

__all__ = ["AlertCallback", "HealthReport", "QueueMonitor"]

log = logging.getLogger("huracan.ingest.monitor")

AlertCallback = Callable[[Alert], Any]


@dataclass(frozen=True)
class _Condition:
    name: str
    severity: Severity
    message: str
    value: float | None = None
    threshold: float | None = None


@dataclass
class HealthReport:
    """One check's verdict: health (ok / warning / critical), why, and the alerts it sent."""

    health: Health
    fill: float
    tier: str
    drop_rate: float  # events shed per second since the previous check
    dropped: dict[str, int]  # shed since the previous check, by severity
    reasons: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "health": self.health.value,
            "fill": self.fill,
            "tier": self.tier,
            "drop_rate": self.drop_rate,
            "dropped": self.dropped,
            "reasons": self.reasons,
            "alerts": [a.name for a in self.alerts],
        }


class QueueMonitor:
    """Watches an :class:`EventLogger` and raises alerts (see the module doc).

    Args:
        logger: the logger to watch; alerts are also logged into it unless ``log_alerts``
            is False.
        settings: thresholds and ``alert_cooldown_s`` (the logger's settings by default).
        callbacks: called with each :class:`~huracan.events.Alert`; an exception in one is
            logged and does not stop the others.
        clock: monotonic seconds, for tests.
    """

    def __init__(
        self,
        logger: EventLogger,
        settings: IngestSettings | None = None,
        *,
        callbacks: Iterable[AlertCallback] = (),
        clock: Callable[[], float] = time.monotonic,
        log_alerts: bool = True,
    ) -> None:
        self.logger = logger
        self.settings = settings or logger.settings
        self.cooldown_s = self.settings.alert_cooldown_s
        self.callbacks: list[AlertCallback] = list(callbacks)
        self.clock = clock
        self.log_alerts = log_alerts
        self.last_report: HealthReport | None = None
        self.suppressed = 0  # alerts held back by the cooldown
        self._last_sent: dict[str, float] = {}
        self._announced: set[str] = set()
        self._prev = self._snapshot(logger.stats())
        self._prev_at = clock()
        self._check_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # A tier change wakes the monitor thread at once instead of at the next interval.
        logger.add_listener(lambda old, new, fill: self._wake.set())

    def add_callback(self, callback: AlertCallback) -> None:
        self.callbacks.append(callback)

    @staticmethod
    def _snapshot(stats: dict[str, Any]) -> dict[str, Any]:
        spool = stats.get("spool") or {}
        return {
            "dropped": dict(stats["dropped"]),
            "entries": dict(stats["tier_entries"]),
            "spool_shed": sum((spool.get("shed") or {}).values()),
        }

    # -- evaluating --------------------------------------------------------------------
    def check(self) -> HealthReport:
        """Evaluate health now, send due alerts and recovery notices, return the report."""
        with self._check_lock:
            stats = self.logger.stats()
            now = self.clock()
            snap = self._snapshot(stats)
            prev, elapsed = self._prev, max(now - self._prev_at, 1e-9)
            self._prev, self._prev_at = snap, now
            dropped = {s: snap["dropped"][s] - prev["dropped"].get(s, 0) for s in SEVERITIES}
            conditions = self._conditions(stats, snap, prev, dropped)
            health = Health.OK
            if conditions:
                worst = max(conditions, key=lambda c: c.severity.rank).severity
                health = Health.CRITICAL if worst == Severity.CRITICAL else Health.WARNING
            report = HealthReport(
                health=health,
                fill=float(stats["fill"]),
                tier=str(stats["tier"]),
                drop_rate=round(sum(dropped.values()) / elapsed, 3),
                dropped=dropped,
                reasons=[c.message for c in conditions],
            )
            report.alerts = self._due_alerts(conditions, now)
            self.last_report = report
        for alert in report.alerts:
            self._emit(alert)
        return report

    def _conditions(
        self, stats: dict[str, Any], snap: dict[str, Any], prev: dict[str, Any], dropped: dict[str, int]
    ) -> list[_Condition]:
        s = self.settings
        fill = float(stats["fill"])
        tier = stats["tier"]
        out: list[_Condition] = []
        shed_seen = snap["entries"][Tier.SHED_DEBUG.label] > prev["entries"].get(Tier.SHED_DEBUG.label, 0)
        kill_seen = snap["entries"][Tier.KILL_SWITCH.label] > prev["entries"].get(Tier.KILL_SWITCH.label, 0)
        if tier != Tier.OK.label or shed_seen:
            out.append(
                _Condition(
                    "ingest_queue_high",
                    Severity.WARNING,
                    f"ingest queue {fill:.0%} full (DEBUG shed from {s.shed_debug_fill:.0%}); "
                    "the sink is slower than the producers",
                    fill,
                    s.shed_debug_fill,
                )
            )
        if tier == Tier.KILL_SWITCH.label or kill_seen:
            out.append(
                _Condition(
                    "ingest_kill_switch",
                    Severity.CRITICAL,
                    f"ingest kill switch: queue reached {s.kill_switch_fill:.0%} (now {fill:.0%}); "
                    "everything below ERROR is being shed",
                    fill,
                    s.kill_switch_fill,
                )
            )
        lost = sum(dropped.values())
        if lost:
            parts = ", ".join(f"{n} {sev}" for sev, n in dropped.items() if n)
            severe = dropped["ERROR"] > 0
            out.append(
                _Condition(
                    "ingest_dropping",
                    Severity.CRITICAL if severe else Severity.WARNING,
                    f"ingest shed {lost} event(s) since the last check ({parts})",
                    float(lost),
                    0.0,
                )
            )
        if not stats["sink_healthy"]:
            out.append(
                _Condition(
                    "ingest_sink_down",
                    Severity.CRITICAL,
                    f"ingest sink failing ({stats['last_error']}); batches are spooled and retried",
                )
            )
        spool_shed = snap["spool_shed"] - prev["spool_shed"]
        if spool_shed > 0:
            out.append(
                _Condition(
                    "ingest_spool_shedding",
                    Severity.CRITICAL,
                    f"the ingest spool is full ({s.spool_max_mb:g} MB cap) and discarded {spool_shed} event(s), "
                    "lowest severity first; fix the sink or raise ingest.spool_max_mb",
                    float(spool_shed),
                    0.0,
                )
            )
        return out

    def _due_alerts(self, conditions: list[_Condition], now: float) -> list[Alert]:
        alerts: list[Alert] = []
        active = {c.name for c in conditions}
        for c in conditions:
            last = self._last_sent.get(c.name)
            if last is not None and now - last < self.cooldown_s:
                self.suppressed += 1
                continue
            self._last_sent[c.name] = now
            self._announced.add(c.name)
            alerts.append(
                Alert(
                    name=c.name,
                    severity=c.severity,
                    message=c.message,
                    component="ingest",
                    value=c.value,
                    threshold=c.threshold,
                )
            )
        for name in sorted(self._announced - active):
            # Recovery pairs with an announced alert only: a suppressed flap stays quiet.
            self._announced.discard(name)
            alerts.append(
                Alert(
                    name=f"{name}_recovered",
                    severity=Severity.INFO,
                    message=f"recovered: {name} cleared",
                    component="ingest",
                )
            )
        return alerts

    def _emit(self, alert: Alert) -> None:
        level = {Severity.INFO: logging.INFO, Severity.WARNING: logging.WARNING}.get(alert.severity, logging.CRITICAL)
        log.log(level, "%s: %s", alert.name, alert.message)
        if self.log_alerts:
            self.logger.log_internal(alert)
        for cb in list(self.callbacks):
            try:
                cb(alert)
            except Exception:
                log.exception("alert callback %r failed for %s", cb, alert.name)

    # -- running on its own ------------------------------------------------------------
    def start(self, interval_s: float = 5.0) -> QueueMonitor:
        """Check every ``interval_s`` seconds (and at once on a tier change) in a thread."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.check()
                except Exception:
                    log.exception("queue monitor check failed; will retry")
                self._wake.wait(interval_s)
                self._wake.clear()

        self._thread = threading.Thread(target=run, name="huracan-queue-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

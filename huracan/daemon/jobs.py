"""The daemon's scheduled jobs. Each is a plain (blocking) function run in a worker
thread, so DuckDB work never blocks the event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from huracan.analytics.alert_book import Scope
from huracan.config import Settings
from huracan.events import Alert, Severity

__all__ = ["JOBS", "Job", "JobContext"]

log = logging.getLogger("huracan.daemon.jobs")


@dataclass
class JobContext:
    settings: Settings
    store: Any
    logger: Any
    plugins: Any
    monitor: Any = None
    #: hands an alert to the notifiers (the daemon's AlertDispatcher applies the cooldown)
    dispatch: Callable[[Alert], None] = lambda alert: None
    started_at: float = field(default_factory=time.time)
    #: wall time of the last accepted ingest (None: nothing yet)
    last_ingest_at: Callable[[], float | None] = lambda: None
    #: nightly results whose digest some channel has not received yet, by day (for `deliver`)
    pending_digests: dict[date, Any] = field(default_factory=dict)

    #: which alerts are firing: each is raised once per (rule, data day, part) until it resolves
    book: Any = None

    def raise_alert(self, alert: Alert) -> None:
        """Store the alert and send it through the notifiers."""
        self.logger.log(alert)
        self.dispatch(alert)

    def raise_new(self, found: list[Alert], scope: Any = None) -> list[Alert]:
        """Raise the alerts of ``found`` not already firing; store a resolution notice for the
        firing alerts of ``scope`` that were not found again (#12). Returns those raised."""
        from huracan.analytics.alert_book import AlertBook

        if self.book is None:
            self.book = AlertBook(self.store.cursor)
        new, resolved = self.book.reconcile(found, scope)
        for alert in (*new, *resolved):
            self.raise_alert(alert)  # resolutions are INFO: stored, not pushed
        return new


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[JobContext, date | None], dict[str, Any] | None]
    description: str
    #: which day a run is for when none is given
    default_day: Callable[[datetime], date | None] = lambda now: None
    #: waits, before it runs, until every event acknowledged so far is loaded into the store
    #: (a digest computed while the ingest log is still loading would miss the day's tail)
    needs_loaded: bool = True


def _nightly(ctx: JobContext, day: date | None) -> dict[str, Any]:
    from huracan.pipeline import run_nightly

    assert day is not None
    ctx.logger.flush()
    result = run_nightly(ctx.settings, ctx.store, ctx.plugins, day, deliver=True)
    # The data day D's metric alerts (stamped D, also for `jobs run nightly --date D`),
    # once each until they resolve.
    ctx.raise_new(result.alerts, Scope(prefix="metric.", data_day=day.isoformat()))
    return _delivered(ctx, day, result)


def _delivered(ctx: JobContext, day: date, result: Any) -> dict[str, Any]:
    """The run's summary if every channel has the digest, else :class:`DeliveryFailed` (issue 13)."""
    from huracan.daemon.redelivery import DeliveryFailed, undelivered

    failed = undelivered(result.deliveries)
    if failed:
        ctx.pending_digests[day] = result
        raise DeliveryFailed(day, failed, result.summary())
    ctx.pending_digests.pop(day, None)
    return dict(result.summary())


def _deliver(ctx: JobContext, day: date | None) -> dict[str, Any]:
    """Send a day's digest again to the channels that have not got it (the ledger knows which)."""
    from huracan.pipeline import deliver_digest

    assert day is not None
    result = ctx.pending_digests.get(day)
    if result is None:  # the daemon restarted since: build it again; channels already done are skipped
        return _nightly(ctx, day)
    deliver_digest(ctx.settings, ctx.plugins, result)
    return _delivered(ctx, day, result)


def _roll(ctx: JobContext, day: date | None) -> dict[str, Any]:
    ctx.logger.flush()
    report = ctx.store.roll(datetime.now(UTC))
    # The monitor tick runs every few seconds: keep a day of its runs, not forever.
    ctx.store.cursor().execute(
        "DELETE FROM job_runs WHERE job = 'monitor' AND started_at < ?", [datetime.now(UTC) - timedelta(days=1)]
    )
    if hasattr(report, "as_dict"):  # the ledger and `jobs run` want plain data, not RolledDay reprs
        return dict(report.as_dict())
    return report if isinstance(report, dict) else {"report": str(report)}


def _monitor(ctx: JobContext, day: date | None) -> dict[str, Any]:
    report = ctx.monitor.check()
    return {"health": str(getattr(report, "health", "")), "fill": ctx.logger.stats().get("fill")}


def _alerts(ctx: JobContext, day: date | None) -> dict[str, Any]:
    from huracan.pipeline import evaluate_alerts

    alerts, day_evaluated = evaluate_alerts(ctx.settings, ctx.store, ctx.plugins, datetime.now(UTC))
    acks = [a for a in alerts if not a.name.startswith("metric.")]
    raised = ctx.raise_new(acks, Scope(names=frozenset({"model_export_unacknowledged"})))
    if day_evaluated is not None:
        metric = [a for a in alerts if a.name.startswith("metric.")]
        raised += ctx.raise_new(metric, Scope(prefix="metric.", data_day=day_evaluated.isoformat()))
    return {"alerts": [a.name for a in raised], "firing": len(alerts)}


def _deadman(ctx: JobContext, day: date | None) -> dict[str, Any]:
    from huracan.analytics.days import engine_days

    now = datetime.now(UTC)
    s = ctx.settings.scheduler
    fired: list[Alert] = []
    yesterday = (now - timedelta(days=1)).date()
    # Only a day with a digest to miss is watched (#12): one the store holds Engine data for
    # (not a weekend, not a day before the data dir existed), or one a night ran for.
    if now.hour >= s.deadman_digest_hour:
        row = (
            ctx.store.cursor()
            .execute(
                "SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FROM job_runs "
                "WHERE job IN ('nightly', 'deliver') AND day = ?",
                [yesterday],
            )
            .fetchone()
        )
        ok, ran = (row[0], row[1]) if row else (0, 0)
        if ok == 0 and (ran > 0 or engine_days(ctx.store.cursor(), yesterday, yesterday)):
            fired.append(
                Alert(
                    name="digest_not_delivered",
                    severity=Severity.CRITICAL,
                    component="daemon",
                    message=f"the digest for {yesterday} was not delivered by {s.deadman_digest_hour:02d}:00 UTC",
                    data_day=yesterday.isoformat(),
                )
            )
    last = ctx.last_ingest_at()
    silence = s.deadman_ingest_silence_min * 60
    ref = last if last is not None else ctx.started_at
    if time.time() - ref > silence:
        fired.append(
            Alert(
                name="ingest_silent",
                severity=Severity.ERROR,
                component="ingest",
                message=f"no events ingested for over {s.deadman_ingest_silence_min:.0f} minutes",
            )
        )
    raised = ctx.raise_new(
        [a for a in fired if a.name == "digest_not_delivered"],
        Scope(names=frozenset({"digest_not_delivered"}), data_day=yesterday.isoformat()),
    )
    raised += ctx.raise_new(
        [a for a in fired if a.name == "ingest_silent"], Scope(names=frozenset({"ingest_silent"}), data_day=None)
    )
    return {"fired": [a.name for a in fired], "raised": [a.name for a in raised]}


def _yesterday(now: datetime) -> date:
    return (now - timedelta(days=1)).date()


JOBS: dict[str, Job] = {
    j.name: j
    for j in (
        Job("nightly", _nightly, "metrics → council → digest → delivery for a day", _yesterday),
        Job("deliver", _deliver, "send a day's digest to the channels that have not got it", _yesterday),
        Job("roll", _roll, "move hot days older than store.hot_days to the Delta archive", lambda now: now.date()),
        Job("monitor", _monitor, "queue health tick", needs_loaded=False),
        Job("alerts", _alerts, "evaluate metric alert rules and pending export acknowledgements"),
        Job("deadman", _deadman, "alert when the digest is late or ingest has gone silent"),
    )
}

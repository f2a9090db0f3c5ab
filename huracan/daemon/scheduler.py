"""APScheduler 3.x set-up for the daemon, and the catch-up of missed nights.

APScheduler's default ``misfire_grace_time`` is 1 s (a run a second late is silently
skipped): everything here is explicit — UTC, coalesce, one instance, a long grace.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from huracan.config import Settings

if TYPE_CHECKING:
    from huracan.daemon.ledger import JobLedger
    from huracan.daemon.service import Daemon

__all__ = ["build_scheduler", "catch_up_days"]

log = logging.getLogger("huracan.daemon.scheduler")


def build_scheduler(daemon: Daemon) -> AsyncIOScheduler:
    s = daemon.settings.scheduler
    sched = AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"misfire_grace_time": s.misfire_grace_s, "coalesce": True, "max_instances": 1},
    )

    def add(job: str, trigger: Any) -> None:
        async def fire() -> None:
            await daemon.run_job(job, trigger="schedule")

        sched.add_job(fire, trigger, id=job, name=job, replace_existing=True)

    add("nightly", CronTrigger(hour=s.nightly_at.hour, minute=s.nightly_at.minute, timezone=UTC))
    add("roll", CronTrigger(hour=s.roll_at.hour, minute=s.roll_at.minute, timezone=UTC))
    add("monitor", IntervalTrigger(seconds=s.monitor_interval_s, timezone=UTC))
    add("alerts", IntervalTrigger(seconds=s.alert_interval_s, timezone=UTC))
    add("deadman", IntervalTrigger(minutes=5, timezone=UTC))

    def on_event(event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
        else:
            log.error("job %s raised: %s", event.job_id, event.exception)

    sched.add_listener(on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return sched


def catch_up_days(settings: Settings, store: Any, ledger: JobLedger, now: datetime) -> list[date]:
    """Nights within ``scheduler.catchup_days`` that have data but no successful run.

    Tonight's run counts as missed only once its scheduled time has passed.
    """
    n = settings.scheduler.catchup_days
    if n <= 0:
        return []
    at = settings.scheduler.nightly_at
    last_due = now.date() - timedelta(days=1)
    if (now.hour, now.minute) < (at.hour, at.minute):
        last_due -= timedelta(days=1)  # last night's run is not due yet
    window = [last_due - timedelta(days=i) for i in range(n)]
    done = ledger.succeeded_days("nightly") | ledger.succeeded_days("deliver")
    with_data = _days_with_data(store, window[-1] - timedelta(days=30), window[0])
    missing = sorted(d for d in window if d not in done and d in with_data)
    older = [d for d in with_data if d < window[-1] and d not in done]
    if older:
        log.warning(
            "night(s) %s have data but no digest and are beyond scheduler.catchup_days=%d: "
            "run `huracan jobs run nightly --date D` for each",
            ", ".join(d.isoformat() for d in sorted(older)),
            n,
        )
    return missing


def _days_with_data(store: Any, first: date, last: date) -> set[date]:
    rows = (
        store.cursor()
        .execute(
            "SELECT DISTINCT day FROM v_signal WHERE day BETWEEN ? AND ? "
            "UNION SELECT DISTINCT day FROM v_training_session WHERE day BETWEEN ? AND ?",
            [first, last, first, last],
        )
        .fetchall()
    )
    return {r[0] for r in rows}

"""A digest that did not reach every channel fails its job and is sent again (issue 13).

``jobs run nightly`` with SMTP down used to say "ok", and after a catch-up nothing ever
retried. Now a nightly (or a ``deliver`` retry) whose delivery left a channel undelivered
raises :class:`DeliveryFailed`: the run is recorded as an error (``jobs run`` exits 1),
an alert goes out through the channels that still work, and the daemon schedules a
``deliver`` run with exponential backoff (:func:`next_retry`) until every channel has it
or the day after the digest's day is over. The delivery ledger makes each retry send
only what is missing, so nothing is sent twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from huracan.config import Settings
from huracan.events import Alert, Severity

__all__ = ["DeliveryFailed", "abandoned_alert", "failed_alert", "late_alert", "next_retry", "undelivered"]


class DeliveryFailed(RuntimeError):
    """A day's digest is not delivered to every enabled channel; ``detail`` is the run's summary."""

    def __init__(self, day: date, failed: list[Any], detail: dict[str, Any]) -> None:
        self.day, self.failed, self.detail = day, failed, detail
        channels = "; ".join(f"{d.channel}: {d.detail}" for d in failed)
        super().__init__(f"the digest for {day} was not delivered to {len(failed)} channel(s) ({channels})")


def undelivered(deliveries: list[Any]) -> list[Any]:
    """The delivery results that did not deliver."""
    return [d for d in deliveries if not d.ok]


def deadline(day: date) -> datetime:
    """When retrying stops: the end of the day after the digest's day (its morning read)."""
    return datetime.combine(day + timedelta(days=2), time(0, 0), tzinfo=UTC)


def next_retry(settings: Settings, day: date, attempt: int, now: datetime) -> datetime | None:
    """When retry ``attempt`` (1, 2, …) of ``day``'s delivery runs, or None once the day is over.

    >>> from huracan.config import load_config
    >>> s = load_config()
    >>> now = datetime(2025, 11, 7, 0, 20, tzinfo=UTC)
    >>> [str(next_retry(s, date(2025, 11, 6), a, now).time()) for a in (1, 2, 3)]
    ['00:21:00', '00:22:00', '00:24:00']
    >>> next_retry(s, date(2025, 11, 6), 1, datetime(2025, 11, 8, 0, 1, tzinfo=UTC)) is None
    True
    """
    s = settings.scheduler
    delay = min(s.delivery_retry_s * 2 ** (attempt - 1), s.delivery_retry_max_s)
    when = now + timedelta(seconds=delay)
    end = deadline(day)
    if now >= end:
        return None
    return min(when, end - timedelta(seconds=1))


def failed_alert(exc: DeliveryFailed, retry_at: datetime | None) -> Alert:
    """The alert raised when a delivery fails (sent through the channels that still work)."""
    when = (
        f"next try at {retry_at:%H:%M} UTC"
        if retry_at
        else "no retry is scheduled (run it with `huracan jobs run deliver`)"
    )
    return Alert(
        name="digest_delivery_failed",
        severity=Severity.ERROR,
        component="digest",
        message=f"{exc}; {when}, until delivered or {deadline(exc.day):%Y-%m-%d %H:%M} UTC",
    )


def abandoned_alert(day: date, attempts: int) -> Alert:
    """The alert raised when the day is over and a channel still has not got the digest."""
    return Alert(
        name="digest_delivery_abandoned",
        severity=Severity.CRITICAL,
        component="digest",
        message=(
            f"gave up delivering the digest for {day} after {attempts} attempt(s): the day is over. "
            f"It is archived; send it by hand with `huracan digest send --date {day}` once the channel works"
        ),
    )


def late_alert(day: date, attempts: int) -> Alert:
    """A recovery notice: the digest reached every channel after failed attempts (stored, not pushed)."""
    return Alert(
        name="digest_delivered_late",
        severity=Severity.INFO,
        component="digest",
        message=f"the digest for {day} reached every channel after {attempts} failed attempt(s)",
    )

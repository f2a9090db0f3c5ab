"""The nightly pipeline, in one place: metrics → council → digest → archive → delivery.

The daemon's ``nightly`` job, ``huracan digest render|send`` and ``huracan demo`` all
go through :func:`prepare_digest` / :func:`run_nightly`, so a digest is produced the
same way wherever it is asked for.

Example::

    with Store.open(settings) as store:
        result = run_nightly(settings, store, get_plugins(settings), date(2025, 11, 6), deliver=False)
        print(result.summary()["headline"])
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from huracan.config import Settings
from huracan.events import Alert, parse_event
from huracan.redact import redact_obj

__all__ = ["NightlyResult", "evaluate_alerts", "prepare_digest", "run_nightly"]

log = logging.getLogger("huracan.pipeline")


@dataclass
class NightlyResult:
    day: date
    snapshot: Any
    council: Any
    digest: Any
    rendered: Any
    archive_dir: Path | None = None
    deliveries: list[Any] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """What the job ledger records and the API returns."""
        c = self.council
        return {
            "day": self.day.isoformat(),
            "headline": self.digest.verdict.headline,
            "metrics": len(self.snapshot.metrics),
            "self_check": self.snapshot.self_check.passed,
            "council_mode": getattr(c, "mode", None),
            "canary_caught": getattr(getattr(c, "canary", None), "caught", None),
            "cost_usd": getattr(getattr(c, "cost", None), "run_usd", None),
            "archive": str(self.archive_dir) if self.archive_dir else None,
            "deliveries": [{"channel": d.channel, "ok": d.ok, "detail": d.detail} for d in self.deliveries],
            "alerts": [a.name for a in self.alerts],
        }


def _alerts_of(snapshot: Any) -> list[Alert]:
    out: list[Alert] = []
    for a in snapshot.alerts:
        try:
            ev = a if isinstance(a, Alert) else parse_event({"type": "alert", **a} if "type" not in a else a)
        except ValueError as exc:
            log.error("snapshot alert %r is not a valid alert event: %s", a, exc)
            continue
        if isinstance(ev, Alert):
            out.append(ev)
    return out


def prepare_digest(
    settings: Settings,
    conn: Any,
    plugins: Any,
    day: date,
    *,
    completion: Any = None,
    charts: bool = True,
) -> NightlyResult:
    """Compute the day's snapshot, run the council, build and render the digest.

    ``conn`` is connection-like (a store cursor or the daemon's remote reader);
    ``completion`` replaces ``litellm.acompletion`` (tests pass a fake).
    """
    from huracan.analytics.metrics import compute_snapshot
    from huracan.council import run_council
    from huracan.digest.build import build_digest
    from huracan.digest.history import load_history
    from huracan.digest.render import render

    # Secrets out before anything is written or sent: plugin and model text is untrusted (issue 13).
    snapshot = redact_obj(compute_snapshot(conn, day, plugins, settings))
    council = redact_obj(run_council(snapshot, settings, completion=completion))
    history = load_history(conn, day) if charts else None
    digest = build_digest(
        snapshot, council, history, settings, plugin_sections=plugins.digest_sections(snapshot), charts=charts
    )
    return NightlyResult(
        day=day,
        snapshot=snapshot,
        council=council,
        digest=digest,
        rendered=redact_obj(render(digest)),
        alerts=_alerts_of(snapshot),
    )


def archive(result: NightlyResult, archive_dir: Path) -> Path:
    """Keep the day's digest (Markdown, HTML, charts) with the snapshot and council output."""
    from huracan.digest.render import write_archive

    md = write_archive(result.rendered, archive_dir)
    day_dir = md.parent
    for name, text in (
        ("digest.html", result.rendered.html_preview),
        ("snapshot.json", result.snapshot.model_dump_json(indent=2)),
        ("council.json", result.council.model_dump_json(indent=2)),
    ):
        tmp = day_dir / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(day_dir / name)
    result.archive_dir = day_dir
    return day_dir


def deliver_digest(
    settings: Settings, plugins: Any, result: NightlyResult, channels: Collection[str] | None = None
) -> list[Any]:
    """Send the rendered digest once per channel (the delivery ledger remembers)."""
    from huracan.digest.deliver import deliver
    from huracan.digest.ledger import DeliveryLedger

    ledger = DeliveryLedger.for_data_dir(settings.data_dir)
    result.deliveries = asyncio.run(deliver(result.rendered, plugins.notifiers(), ledger, channels=channels))
    return result.deliveries


def run_nightly(settings: Settings, store: Any, plugins: Any, day: date, *, deliver: bool = True) -> NightlyResult:
    """The whole nightly pipeline for ``day`` on an open store (blocking)."""
    result = prepare_digest(settings, store.cursor(), plugins, day)
    archive(result, settings.archive_dir)
    if deliver:
        deliver_digest(settings, plugins, result)
    log.info("nightly %s: %s", day, result.digest.verdict.headline)
    return result


def evaluate_alerts(
    settings: Settings, store: Any, plugins: Any, now: datetime | None = None
) -> tuple[list[Alert], date | None]:
    """Alerts due now: unacknowledged model exports and today's metric alert rules.

    Returns the alerts and the data day whose metric rules were evaluated (today, when
    the Engine has sent data today by the one day rule; else None).
    """
    from huracan.analytics.days import last_data_day
    from huracan.analytics.metrics import compute_snapshot
    from huracan.store.registry import ModelRegistry

    now = now or datetime.now(UTC)
    alerts = list(ModelRegistry(settings, store=store.cursor()).pending_ack_alerts(now))
    today = now.date()
    if last_data_day(store.cursor(), now) != today:
        return alerts, None
    alerts += _alerts_of(compute_snapshot(store.cursor(), today, plugins, settings))
    return alerts, today

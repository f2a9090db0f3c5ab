"""Alerts carry their data day and are raised once per (rule, data day, part) until they resolve (#12)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sparse_calendar import build

from huracan.analytics.alert_book import AlertBook, Scope, key_of
from huracan.config import Settings, load_config
from huracan.daemon.jobs import JOBS, JobContext
from huracan.daemon.ledger import JobLedger
from huracan.events import Alert, Severity, Signal
from huracan.ingest import EventLogger
from huracan.plugins.manager import get_plugins
from huracan.store import Store


def _alert(name: str, day: str | None, part: str | None = None) -> Alert:
    return Alert(name=name, message=f"{name} {day}", severity=Severity.WARNING, data_day=day, part=part)


def test_the_book_raises_once_until_resolved(tmp_path: Path) -> None:
    with Store.open(load_config(data_dir=tmp_path / "d")) as store:
        book = AlertBook(store.cursor)
        day = Scope(prefix="metric.", data_day="2018-02-06")
        a, b = _alert("metric.signals.zero", "2018-02-06", "signals"), _alert("metric.x.warning", "2018-02-06", "x")
        new, resolved = book.reconcile([a, b, a], day)
        assert [key_of(x) for x in new] == [key_of(a), key_of(b)] and resolved == []
        store.write_events(new)
        # Every re-evaluation of the same day finds the same: nothing new, nothing resolved.
        for _ in range(7):
            assert book.reconcile([a, b], day) == ([], [])
        # A fresh book (a restarted daemon) reads what is firing from the store.
        again = AlertBook(store.cursor)
        assert again.reconcile([a, b], day) == ([], [])
        # b clears: one resolution notice, stored, INFO, same key.
        new, resolved = again.reconcile([a], day)
        assert new == [] and [key_of(r) for r in resolved] == [key_of(b)]
        assert resolved[0].state == "resolved" and resolved[0].severity == Severity.INFO
        store.write_events(resolved)
        # ...and when it fires again it is a new alert.
        assert [key_of(x) for x in AlertBook(store.cursor).reconcile([a, b], day)[0]] == [key_of(b)]
        # Another day, another part: different keys.
        other = _alert("metric.signals.zero", "2018-02-07", "signals")
        assert book.reconcile([other], Scope(prefix="metric.", data_day="2018-02-07"))[0] == [other]


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[JobContext]:
    settings: Settings = load_config(data_dir=tmp_path / "data")
    settings.scheduler.deadman_digest_hour = 0  # whatever the hour the test runs at
    with Store.open(settings) as store:
        logger = EventLogger(store, settings.ingest).start()
        JobLedger(store.cursor)
        c = JobContext(
            settings=settings,
            store=store,
            logger=logger,
            plugins=get_plugins(settings, entry_points=False),
            last_ingest_at=time.time,
        )
        try:
            yield c
        finally:
            logger.close()


def _stored(ctx: JobContext, name: str) -> list[tuple[Any, ...]]:
    ctx.logger.flush()
    return (
        ctx.store.cursor()
        .execute("SELECT data_day, state, severity FROM v_alert WHERE name = ? ORDER BY ts", [name])
        .fetchall()
    )


def test_the_deadman_watches_only_days_the_store_has(ctx: JobContext) -> None:
    deadman = JOBS["deadman"].run
    # Before the data dir held any Engine data for yesterday: no digest to miss.
    for _ in range(7):
        deadman(ctx, None)
    assert _stored(ctx, "digest_not_delivered") == []
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    ctx.store.write_events(
        [Signal(ts=datetime.combine(yesterday, datetime.min.time(), UTC) + timedelta(hours=9), signal_id="s",
                symbol="EUR-USD", mode="scalp", regime="trend", side="long", price=1.1, confidence=0.7)]
    )  # fmt: skip
    for _ in range(7):  # seven runs in half an hour: one CRITICAL, stamped with its day
        deadman(ctx, None)
    assert _stored(ctx, "digest_not_delivered") == [(yesterday.isoformat(), "firing", "CRITICAL")]
    # The digest is delivered: the next run resolves it, once.
    ledger = JobLedger(ctx.store.cursor)
    ledger.finish(ledger.start("nightly", yesterday, "test"), "ok")
    deadman(ctx, None)
    deadman(ctx, None)
    assert [r[1] for r in _stored(ctx, "digest_not_delivered")] == ["firing", "resolved"]


def test_nightly_for_a_past_day_stamps_that_day_and_does_not_repeat(ctx: JobContext) -> None:
    sparse = build()
    ctx.store.write_events(sparse.events)
    day = sparse.zero_pass_days[-1]  # a past day on which the gates passed nothing
    for _ in range(2):  # `jobs run nightly --date D`, twice
        JOBS["nightly"].run(ctx, day)
    ctx.logger.flush()
    rows = (
        ctx.store.cursor()
        .execute(
            "SELECT name, data_day, part, count(*) FROM v_alert WHERE starts_with(name, 'metric.') "
            "GROUP BY name, data_day, part"
        )
        .fetchall()
    )
    assert rows, "the sparse day raises metric alerts (zero findings at least)"
    assert {r[1] for r in rows} == {day.isoformat()}
    assert all(r[3] == 1 for r in rows), rows  # once each
    assert any(r[0] == "metric.signals_passed.zero" for r in rows)

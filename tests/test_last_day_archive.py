"""The last Engine day is found newest-first: the same day as one query over everything.

:func:`~huracan.analytics.days.last_data_day` looks at the last week, then a month, then
a year, then the rest, and stops at the first span holding Engine signals or outcomes,
so the Delta archive reads the newest partitions only. Here a store with most of its
days rolled into real Delta files — Engine days, outcome-only days, Hamilton-only days,
gaps, one Engine day more than a year older than the rest — gives the same day as the
single query (:data:`~huracan.analytics.days.ENGINE_DAY_SQL`) for every clock from before
the first event to after the last.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from huracan.analytics.days import ENGINE_DAY_SQL, LOOKBACK_SPANS, last_data_day
from huracan.config import load_config
from huracan.events import LiveOutcome, ShadowOutcome, Signal, future_cutoff
from huracan.store import Store

END = date(2026, 10, 30)
OLD = END - timedelta(days=520)  # beyond every span but the last query's
START = END - timedelta(days=70)


def _at(d: date, hour: int = 10) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=UTC)


def _signal(d: date, sid: str, source: str = "engine") -> Signal:
    return Signal(
        ts=_at(d), signal_id=sid, symbol="EUR-USD", mode="scalp", regime="trend", side="long", price=1.1,
        confidence=0.7, source=source,
    )  # fmt: skip


def _outcome(d: date, sid: str) -> ShadowOutcome:
    return ShadowOutcome(
        ts=_at(d, 12), signal_id=sid, trade_id=f"t-{sid}", symbol="EUR-USD", mode="scalp", regime="trend",
        side="long", entry_price=1.1, exit_price=1.1, return_bps=0.5, win=True, holding_seconds=60.0,
        decision_timestamp=_at(d, 11), label_cutoff_timestamp=_at(d, 11),
    )  # fmt: skip


def _live(d: date, i: int) -> LiveOutcome:
    return LiveOutcome(
        ts=_at(d, 14), live_trade_id=f"l-{d}-{i}", model_id="a" * 64, symbol="EUR-USD", mode="scalp",
        regime="trend", side="long", return_bps=1.0, win=True, decision_timestamp=_at(d, 13),
        label_cutoff_timestamp=_at(d, 13),
    )  # fmt: skip


def history() -> tuple[list[Any], set[date]]:
    """Events of ~70 days plus one old Engine day, and the days that hold Engine data."""
    events: list[Any] = [_signal(OLD, "old")]
    engine = {OLD}
    for k in range(71):
        d = START + timedelta(days=k)
        kind = k % 7
        if kind in (0, 1, 3):  # Engine signals
            events += [_signal(d, f"s-{d}-{i}") for i in range(3)]
            engine.add(d)
        elif kind == 4:  # an outcome-only day (its signal was the day before)
            events.append(_outcome(d, f"s-{d - timedelta(days=1)}-0"))
            engine.add(d)
        elif kind == 5:  # Hamilton only: live trades and a Hamilton-sourced signal
            events += [_live(d, i) for i in range(5)] + [_signal(d, f"h-{d}", source="hamilton")]
        # kinds 2 and 6: nothing at all
    # The last days are Hamilton only: they must not become the day.
    for k in range(1, 4):
        events += [_live(END + timedelta(days=k), i) for i in range(3)]
    return events, engine


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, set[date]]]:
    settings = load_config(data_dir=tmp_path_factory.mktemp("arch") / "data", store={"hot_days": 2})
    events, engine = history()
    with Store.open(settings) as store:
        store.write_events(events)
        report = store.roll(_at(END + timedelta(days=4)))
        assert report.rows > 0
        yield store, engine


class Counting:
    def __init__(self, cur: Any) -> None:
        self.cur, self.spans = cur, []

    def execute(self, sql: str, params: Any = None) -> Any:
        self.spans.append(tuple(params or ()))
        return self.cur.execute(sql, params)


def _one_query(cur: Any, now: datetime) -> date | None:
    bound = future_cutoff(now).date()
    return cur.execute(ENGINE_DAY_SQL, [bound, bound]).fetchone()[0]


def test_the_archive_holds_most_days(archived: tuple[Store, set[date]]) -> None:
    store, _ = archived
    cold = store.query("SELECT count(DISTINCT day) AS n FROM v_signal WHERE day < ?", [END - timedelta(days=2)])
    assert cold[0]["n"] >= 30
    assert store.cold_tables  # real Delta tables


def test_every_clock_gives_the_day_of_the_one_query(archived: tuple[Store, set[date]]) -> None:
    store, engine = archived
    cur = store.cursor()
    clocks = [_at(OLD - timedelta(days=1))] + [
        _at(START + timedelta(days=k), h) for k in range(-3, 80) for h in (0, 11, 23)
    ]  # fmt: skip
    clocks += [_at(OLD + timedelta(days=k)) for k in (0, 1, 300, 430)]
    for now in clocks:
        want = _one_query(cur, now)
        assert last_data_day(cur, now) == want, now
        # and it is the last Engine day not after the clock's bound
        bound = future_cutoff(now).date()
        assert want == max((d for d in engine if d <= bound), default=None), now


def test_a_recent_day_costs_one_look_at_the_last_week(archived: tuple[Store, set[date]]) -> None:
    store, engine = archived
    conn = Counting(store.cursor())
    assert last_data_day(conn, _at(END + timedelta(days=3))) == max(engine)
    assert len(conn.spans) == 1
    lo, hi = conn.spans[0][:2]
    assert (hi - lo).days == LOOKBACK_SPANS[0] - 1


def test_an_old_day_is_found_by_the_last_query(archived: tuple[Store, set[date]]) -> None:
    store, _ = archived
    conn = Counting(store.cursor())
    assert last_data_day(conn, _at(OLD + timedelta(days=430))) == OLD
    assert len(conn.spans) == len(LOOKBACK_SPANS) + 1


def test_an_empty_store_has_no_day(tmp_path: Path) -> None:
    with Store.open(load_config(data_dir=tmp_path / "d")) as store:
        assert last_data_day(store.cursor()) is None

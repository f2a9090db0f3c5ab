"""One rule for the day, and ingest refusing timestamps from the future (#12)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sparse_calendar import END, Sparse, build
from typer.testing import CliRunner

from huracan.analytics.days import engine_days, last_data_day, report_day
from huracan.cli import app
from huracan.config import load_config
from huracan.daemon.ingest_http import parse_columns
from huracan.events import Alert, LiveOutcome, Signal, set_max_clock_skew, trusted_timestamps
from huracan.store import Store
from huracan.tui.data import load_overview

runner = CliRunner()


@pytest.fixture(scope="module")
def sparse() -> Sparse:
    return build()


@pytest.fixture
def sparse_dir(tmp_path: Path, sparse: Sparse) -> Path:
    data = tmp_path / "data"
    with Store.open(load_config(data_dir=data)) as store:
        store.write_events(sparse.events)
    return data


@pytest.fixture
def conn(sparse_dir: Path) -> Iterator[Any]:
    store = Store.open(load_config(data_dir=sparse_dir))
    try:
        yield store.cursor()
    finally:
        store.close()


@pytest.fixture(autouse=True)
def _default_skew() -> Iterator[None]:
    yield
    set_max_clock_skew(300)


def _signal(ts: datetime, sid: str = "s-1") -> dict[str, Any]:
    return Signal(
        ts=datetime(2025, 1, 1, tzinfo=UTC), signal_id=sid, symbol="EUR-USD", mode="scalp", regime="trend",
        side="long", price=1.1, confidence=0.7,
    ).model_dump(mode="json") | {"ts": ts.isoformat()}  # fmt: skip


# -- the rule --------------------------------------------------------------------------


def test_the_day_is_the_last_engine_day_not_alerts_or_hamilton(conn: Any, sparse: Sparse) -> None:
    # After END the store holds Huracan's own alert (Saturday) and a Hamilton live trade
    # (Monday): neither is a day of Engine data.
    assert conn.execute("SELECT max(day) FROM v_alert").fetchone()[0] == sparse.alert_day
    assert conn.execute("SELECT max(day) FROM v_live_outcome").fetchone()[0] == sparse.hamilton_day
    assert last_data_day(conn) == END == sparse.last_day
    assert report_day(conn) == END
    assert report_day(conn, date(2017, 12, 5)) == date(2017, 12, 5)  # an explicit day wins


def test_weekends_and_holidays_are_not_engine_days(conn: Any, sparse: Sparse) -> None:
    days = engine_days(conn, date(2017, 12, 20), date(2018, 1, 3))
    assert date(2017, 12, 25) not in days and date(2018, 1, 1) not in days
    assert all(d.weekday() < 5 for d in days)
    # A trading day with bars but no signal and no outcome holds no Engine signal data.
    closes = {e.ts.date() for e in sparse.of_type("shadow_outcome")}
    quiet = [d for d in sparse.zero_signal_days if d not in closes]
    assert quiet and all(d not in engine_days(conn, quiet[0], quiet[-1]) for d in quiet)


def test_stored_future_rows_do_not_become_the_day(sparse_dir: Path) -> None:
    # A store written before ingest checked ts (or with a wide allowance) may hold one.
    with trusted_timestamps():
        far = Signal.model_validate(_signal(datetime(9999, 12, 31, tzinfo=UTC), "s-future"))
        soon = Signal.model_validate(_signal(datetime.now(UTC) + timedelta(days=3), "s-soon"))
    with Store.open(load_config(data_dir=sparse_dir)) as store:
        store.write_events([far, soon])
        assert store.last_day() == date(9999, 12, 31)  # "any event" still sees it
        assert last_data_day(store.cursor()) == END
        # and what is stored stays readable
        back = list(store.iter_events(datetime(9999, 12, 31, tzinfo=UTC), datetime.max.replace(tzinfo=UTC)))
        assert [e.event_id for e in back] == [far.event_id]


def test_an_empty_store_has_no_day(tmp_path: Path) -> None:
    with Store.open(load_config(data_dir=tmp_path / "d")) as store:
        assert last_data_day(store.cursor()) is None
        store.write_events([Alert(name="x", message="only an alert")])
        assert last_data_day(store.cursor()) is None


# -- ingest refuses the future -----------------------------------------------------------


def test_a_future_ts_is_rejected_with_a_clear_error() -> None:
    with pytest.raises(ValidationError) as exc:
        Signal.model_validate(_signal(datetime(9999, 12, 31, tzinfo=UTC)))
    text = str(exc.value)
    assert "ts 9999-12-31T00:00:00+00:00 is in the future" in text
    assert "ingest.max_clock_skew_s" in text and "300 s" in text
    Signal.model_validate(_signal(datetime.now(UTC) + timedelta(seconds=120)))  # within the skew


def test_the_allowance_is_configurable() -> None:
    ts = datetime.now(UTC) + timedelta(seconds=120)
    set_max_clock_skew(60)
    with pytest.raises(ValidationError, match="more than 60 s ahead"):
        Signal.model_validate(_signal(ts))
    set_max_clock_skew(3600)
    Signal.model_validate(_signal(ts))
    with pytest.raises(ValueError, match=">= 0"):
        set_max_clock_skew(-1)
    assert load_config().ingest.max_clock_skew_s == 300


@settings(max_examples=60, deadline=None)
@given(skew=st.integers(0, 10_000), ahead=st.integers(-(10**8), 10**8))
def test_accepted_exactly_when_within_the_allowance(skew: int, ahead: int) -> None:
    set_max_clock_skew(skew)
    ts = datetime.now(UTC) + timedelta(seconds=ahead)
    margin = 5  # the test's own clock moves between building ts and validating it
    try:
        Signal.model_validate(_signal(ts))
        accepted = True
    except ValidationError:
        accepted = False
    if ahead <= skew - margin:
        assert accepted
    elif ahead > skew + margin:
        assert not accepted


def test_http_ingest_keeps_the_good_lines_and_names_the_future_one() -> None:
    good = _signal(datetime(2018, 2, 9, 12, tzinfo=UTC), "s-good")
    bad = _signal(datetime(9999, 12, 31, tzinfo=UTC), "s-bad")
    body = (json.dumps(good) + "\n" + json.dumps(bad) + "\n").encode()
    batch = parse_columns(body, "application/x-ndjson")
    assert batch.accepted == 1 and batch.tables["signal"].column("signal_id").to_pylist() == ["s-good"]
    (err,) = batch.errors
    assert err["line"] == 2 and any("in the future" in e and e.startswith("ts") for e in err["errors"])
    # the JSON-array form too
    batch = parse_columns(json.dumps([bad, good]).encode(), "application/json")
    assert batch.accepted == 1 and batch.errors[0]["line"] == 1


def test_the_bulk_arrow_path_refuses_a_future_ts(tmp_path: Path) -> None:
    from huracan.ingest import EventLogger
    from huracan.store.schema import events_to_arrow

    with trusted_timestamps():
        future = Signal.model_validate(_signal(datetime(3000, 1, 1, tzinfo=UTC)))
    table: pa.Table = events_to_arrow([future], "signal")
    settings_ = load_config(data_dir=tmp_path / "d")
    with Store.open(settings_) as store:
        logger = EventLogger(store, settings_.ingest).start()
        try:
            with pytest.raises(ValueError, match="in the future"):
                logger.log_arrow("signal", table)
        finally:
            logger.close()


def test_the_simulator_refuses_a_day_that_is_not_over() -> None:
    from huracan.simulate import sim_window

    today = datetime.now(UTC).date()
    with pytest.raises(ValueError, match="not over yet"):
        sim_window(2, today)
    _, stop = sim_window(2, today - timedelta(days=1))
    assert stop.date() == today


def test_hamilton_and_alerts_after_the_last_day_are_ignored_whatever_their_count(tmp_path: Path) -> None:
    d = date(2018, 3, 1)
    with Store.open(load_config(data_dir=tmp_path / "d")) as store:
        store.write_events([Signal.model_validate(_signal(datetime(2018, 2, 28, 9, tzinfo=UTC)))])
        live = [
            LiveOutcome(
                ts=datetime(d.year, d.month, d.day, 10, tzinfo=UTC), live_trade_id=f"l{i}", model_id="a" * 64,
                symbol="EUR-USD", mode="scalp", regime="trend", side="long", return_bps=1.0, win=True,
                decision_timestamp=datetime(2018, 3, 1, 9, tzinfo=UTC),
                label_cutoff_timestamp=datetime(2018, 3, 1, 9, 30, tzinfo=UTC),
            )
            for i in range(50)
        ]  # fmt: skip
        store.write_events([*live, Alert(ts=datetime(2018, 3, 2, tzinfo=UTC), name="a", message="m")])
        assert last_data_day(store.cursor()) == date(2018, 2, 28)


# -- every face defaults to the same day ---------------------------------------------------


def _json(args: list[str]) -> Any:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_every_per_day_command_defaults_to_the_same_day(sparse_dir: Path, tmp_path: Path) -> None:
    base = ["--data-dir", str(sparse_dir)]
    days = {
        "metrics": _json([*base, "metrics", "--json"])["date"],
        "gates report": _json([*base, "gates", "report", "--json"])["day"],
        "learning summary": _json([*base, "learning", "summary", "--json"])["day"],
        "trace stats": _json([*base, "trace", "stats", "--json"])["day"],
        "council run": _json([*base, "council", "run", "--json"])["date"],
        "digest render": _json([*base, "digest", "render", "--no-charts", "--json", "--out", str(tmp_path / "o")])[
            "day"
        ],
        "status": _json([*base, "status", "--json"])["last_data_day"],
    }
    with Store.open(load_config(data_dir=sparse_dir), read_only=True) as store:
        days["dashboard"] = load_overview(store.cursor()).day.isoformat()  # type: ignore[union-attr]
    assert set(days.values()) == {END.isoformat()}, days

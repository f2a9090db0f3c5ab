"""The Store's query surface: writes, views, reads, threads, read-only opens."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from huracan.config import Settings, load_config
from huracan.events import EVENT_TYPES, EventBase
from huracan.samples import sample_events
from huracan.store import Store, StoreClosedError
from huracan.store.schema import arrow_schema, events_to_arrow

DAY = date(2025, 11, 6)


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_config(data_dir=data_dir)


def at(events: list[EventBase], start: datetime, step: timedelta = timedelta(minutes=1)) -> list[EventBase]:
    return [e.model_copy(update={"ts": start + i * step}) for i, e in enumerate(events)]


def test_views_have_the_contract_columns_and_sql_types(settings: Settings) -> None:
    with Store.open(settings) as store:
        for etype in EVENT_TYPES:
            rows = store.query(f"DESCRIBE v_{etype}")
            assert [r["column_name"] for r in rows] == arrow_schema(etype).names
        types = {r["column_name"]: r["column_type"] for r in store.query("DESCRIBE v_shadow_outcome")}
    assert types["event_id"] == "VARCHAR" and types["schema_version"] == "INTEGER"
    assert types["ts"] == "TIMESTAMP WITH TIME ZONE" and types["day"] == "DATE"
    assert types["return_bps"] == "DOUBLE" and types["win"] == "BOOLEAN"
    assert types["holding_seconds"] == "DOUBLE" and types["blocked_by"] == "VARCHAR"


def test_write_events_groups_types_and_json_is_queryable(settings: Settings) -> None:
    events = list(sample_events(None, n=4, seed=1))
    with Store.open(settings) as store:
        assert store.write_events(events) == len(events)
        assert store.counts() == dict.fromkeys(EVENT_TYPES, 4)
        sig = next(e for e in events if e.type == "signal")
        got = store.query(
            "SELECT CAST(features->>'$.volatility_1h' AS DOUBLE) AS v FROM v_signal WHERE event_id = ?",
            [sig.event_id],
        )
        assert got == [{"v": sig.features["volatility_1h"]}]  # type: ignore[attr-defined]
        table = store.arrow("SELECT event_id, day FROM v_alert ORDER BY ts")
        assert table.num_rows == 4 and table.schema.field("day").type == pa.date32()


def test_write_arrow_checks_columns_and_types(settings: Settings) -> None:
    table = events_to_arrow(list(sample_events("alert", n=3)))
    with Store.open(settings) as store:
        assert store.write_arrow("alert", table.drop_columns(["day"])) == 3  # day derived from ts
        with pytest.raises(ValueError, match=r"missing: \['message'\]"):
            store.write_arrow("alert", table.drop_columns(["message"]))
        with pytest.raises(ValueError, match="holds other event types"):
            store.write_arrow("alert", table.set_column(1, "type", pa.array(["signal"] * 3)))
        with pytest.raises(ValueError, match="wrong type"):
            store.write_arrow(
                "alert", table.set_column(table.schema.get_field_index("value"), "value", pa.array(["x"] * 3))
            )
        assert store.counts()["alert"] == 3


def test_iter_events_is_half_open_ordered_and_filtered(settings: Settings) -> None:
    start = datetime(2025, 11, 6, 23, 0, tzinfo=UTC)
    signals = at(list(sample_events("signal", n=90, seed=2)), start)
    alerts = at(list(sample_events("alert", n=90, seed=3)), start + timedelta(seconds=30))
    with Store.open(settings) as store:
        store.write_events(signals + alerts)
        end = start + timedelta(minutes=60)  # crosses midnight: two days
        got = list(store.iter_events(start, end))
        assert [e.ts for e in got] == sorted(e.ts for e in got)
        assert len(got) == 120
        assert {e.event_id for e in got} == {e.event_id for e in signals[:60] + alerts[:60]}
        only = list(store.iter_events(start, end, types=["alert"]))
        assert {e.type for e in only} == {"alert"} and len(only) == 60
        with pytest.raises(ValueError, match="timezone-aware"):
            list(store.iter_events(datetime(2025, 11, 6), end))
        with pytest.raises(ValueError, match="unknown event type"):
            list(store.iter_events(start, end, types=["nope"]))


def test_last_day_today_and_total(settings: Settings) -> None:
    with Store.open(settings) as store:
        assert store.last_day() is None and store.events_total() == 0
        store.write_events(at(list(sample_events("alert", n=5)), datetime(2025, 11, 4, tzinfo=UTC), timedelta(days=1)))
        assert store.last_day() == date(2025, 11, 8)
        assert store.events_total() == 5
        assert store.events_today(datetime(2025, 11, 8, 12, tzinfo=UTC)) == 1
        assert store.events_today(datetime(2025, 11, 9, tzinfo=UTC)) == 0


def test_threads_write_and_read_concurrently(settings: Settings) -> None:
    batches = [list(sample_events("gate_decision", n=300, seed=s)) for s in range(8)]
    errors: list[BaseException] = []
    with Store.open(settings) as store:

        def work(batch: list[EventBase]) -> None:
            try:
                for i in range(0, len(batch), 100):
                    store.write_events(batch[i : i + 100])
                    store.query("SELECT count(*) FROM v_gate_decision")
                    store.cursor().execute("SELECT count(*) FROM v_gate_decision").fetchall()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(b,)) for b in batches]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert store.query("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM v_gate_decision") == [
            {"n": 2400, "d": 2400}
        ]


def test_cursor_is_per_thread_and_survives_being_closed(settings: Settings) -> None:
    with Store.open(settings) as store:
        store.write_events(list(sample_events("alert", n=2)))
        cur = store.cursor()
        assert store.cursor() is cur
        cur.close()
        assert store.cursor().execute("SELECT count(*) FROM v_alert").fetchall() == [(2,)]
        other: list[object] = []
        t = threading.Thread(target=lambda: other.append(store.cursor()))
        t.start()
        t.join()
        assert other[0] is not store.cursor()


def test_read_only_open_reads_and_refuses_writes(settings: Settings) -> None:
    with Store.open(settings) as store:
        store.write_events(list(sample_events("signal", n=3)))
    with Store.open(settings, read_only=True) as ro:
        assert ro.counts()["signal"] == 3
        with pytest.raises(PermissionError, match="read-only"):
            ro.write_events(list(sample_events("signal", n=1)))
        with pytest.raises(PermissionError, match="read-only"):
            ro.roll()


def test_read_only_open_of_a_fresh_install_is_empty(settings: Settings) -> None:
    with Store.open(settings, read_only=True) as ro:
        assert ro.events_total() == 0 and ro.last_day() is None
        assert [r["column_name"] for r in ro.query("DESCRIBE v_alert")] == arrow_schema("alert").names
    assert not settings.hot_db_path.exists()


def test_closed_store_says_so(settings: Settings) -> None:
    store = Store.open(settings)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreClosedError, match="closed; open it again"):
        store.query("SELECT 1")


def test_a_new_field_becomes_a_new_column_on_open(settings: Settings) -> None:
    """A table made by an older release gains the columns of newer fields."""
    import duckdb

    settings.hot_db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.hot_db_path))
    con.execute(
        "CREATE TABLE ev_alert (event_id VARCHAR, type VARCHAR, schema_version INTEGER, ts TIMESTAMPTZ, day DATE)"
    )
    con.close()
    with Store.open(settings) as store:
        names = [r["column_name"] for r in store.query("DESCRIBE ev_alert")]
        assert set(arrow_schema("alert").names) <= set(names)
        assert store.write_events(list(sample_events("alert", n=2))) == 2

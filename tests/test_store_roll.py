"""The hot -> cold roll: atomic, idempotent, exactly once across a crash, and old rows upgraded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huracan.config import Settings, load_config
from huracan.events import EventBase, ShadowOutcome
from huracan.samples import sample_events
from huracan.store import ColdArchive, Store
from huracan.store import cold as cold_mod
from huracan.store import roll as roll_mod

NOW = datetime(2025, 11, 13, 0, 45, tzinfo=UTC)  # hot_days=7: days up to Nov 6 go cold


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_config(data_dir=data_dir)


def spread(events: list[EventBase], first: date, days: int) -> list[EventBase]:
    """Events spread over ``days`` days from ``first``, several per day."""
    out = []
    for i, e in enumerate(events):
        ts = datetime(first.year, first.month, first.day, tzinfo=UTC) + timedelta(days=i % days, minutes=i)
        out.append(e.model_copy(update={"ts": ts}))
    return out


def fill(store: Store) -> list[EventBase]:
    events = spread(list(sample_events("signal", n=60, seed=1)), date(2025, 11, 3), 10)
    events += spread(list(sample_events("gate_decision", n=40, seed=2)), date(2025, 11, 4), 8)
    store.write_events(events)
    return events


def exactly_once(store: Store, events: list[EventBase]) -> None:
    for etype in ("signal", "gate_decision"):
        want = {e.event_id for e in events if e.type == etype}
        rows = store.query(f"SELECT event_id FROM v_{etype}")
        assert len(rows) == len(want), f"{etype}: {len(rows)} rows for {len(want)} events"
        assert {r["event_id"] for r in rows} == want


def hot_days(store: Store, etype: str) -> list[date]:
    return [r["day"] for r in store.query(f"SELECT DISTINCT day FROM ev_{etype} ORDER BY day")]


def test_roll_moves_only_old_days_and_is_idempotent(settings: Settings) -> None:
    with Store.open(settings) as store:
        events = fill(store)
        report = store.roll(NOW)
        assert report.cutoff == date(2025, 11, 6)
        assert report.days == [date(2025, 11, d) for d in (3, 4, 5, 6)]
        assert report.rows == sum(1 for e in events if e.ts.date() <= date(2025, 11, 6))
        assert hot_days(store, "signal")[0] == date(2025, 11, 7)
        exactly_once(store, events)
        files = ColdArchive(settings.cold_uri).files()
        assert {(f.type, f.day.isoformat()) for f in files} == {(m.type, m.day.isoformat()) for m in report.moved}
        assert all("/type=" in f.path and "/day=" in f.path and Path(f.path).name.startswith("part-") for f in files)
        # type/day live in the path only (Spark rejects a column in both).
        assert "day" not in pq.read_schema(files[0].path).names
        assert store.roll(NOW).rows == 0  # nothing left to move
        exactly_once(store, events)
    staging = [p for p in Path(settings.cold_uri).rglob("*") if p.is_file() and not p.name.startswith("part-")]
    assert staging == []


def test_crash_between_publish_and_delete_never_shows_a_row_twice(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(settings) as store:
        events = fill(store)

        def crash(*_args: object) -> int:
            raise RuntimeError("injected crash after the Parquet file was published")

        monkeypatch.setattr(roll_mod, "delete_archived", crash)
        with pytest.raises(RuntimeError, match="injected crash"):
            store.roll(NOW)
        # The first (type, day) is in both tiers now; the views show it once.
        assert len(ColdArchive(settings.cold_uri).files()) == 1
        assert hot_days(store, "signal")[0] == date(2025, 11, 3)
        exactly_once(store, events)
        assert len(list(store.iter_events(datetime(2025, 11, 1, tzinfo=UTC), NOW))) == len(events)
    # Another process opening the store in that state sees each event once too.
    with Store.open(settings, read_only=True) as ro:
        exactly_once(ro, events)
    monkeypatch.undo()
    with Store.open(settings) as store:
        report = store.roll(NOW)
        # The signal rows of Nov 3 were already in cold: removed from hot, not re-archived.
        assert report.reconciled == sum(1 for e in events if e.type == "signal" and e.ts.date() == date(2025, 11, 3))
        exactly_once(store, events)
        assert hot_days(store, "signal")[0] == date(2025, 11, 7)
        names = [Path(f.path).name for f in ColdArchive(settings.cold_uri).files("signal")]
        assert len(names) == len(set(names)) == 4  # the rerun did not write the day twice


def test_crash_while_writing_leaves_no_file_in_the_archive(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    real = cold_mod._write_parquet

    def half_write(path: Path, schema: pa.Schema, batches: object) -> None:
        path.write_bytes(b"PAR1 half a file")
        raise OSError("disk full (injected)")

    with Store.open(settings) as store:
        events = fill(store)
        monkeypatch.setattr(cold_mod, "_write_parquet", half_write)
        with pytest.raises(OSError, match="disk full"):
            store.roll(NOW)
        assert ColdArchive(settings.cold_uri).files() == []
        assert not list(Path(settings.cold_uri).rglob("*.parquet*"))
        exactly_once(store, events)
        monkeypatch.setattr(cold_mod, "_write_parquet", real)
        assert store.roll(NOW).rows > 0
        exactly_once(store, events)


def test_late_events_for_an_archived_day_get_their_own_file(settings: Settings) -> None:
    with Store.open(settings) as store:
        events = fill(store)
        store.roll(NOW)
        late = spread(list(sample_events("signal", n=3, seed=9)), date(2025, 11, 3), 1)
        store.write_events(late)
        exactly_once(store, events + late)
        report = store.roll(NOW)
        assert report.rows == 3 and report.reconciled == 0
        exactly_once(store, events + late)
        day3 = [f for f in ColdArchive(settings.cold_uri).files("signal") if f.day == date(2025, 11, 3)]
        assert len(day3) == 2


def test_junk_in_the_archive_is_ignored(settings: Settings) -> None:
    with Store.open(settings) as store:
        events = fill(store)
        store.roll(NOW)
    day_dir = next(Path(settings.cold_uri).glob("type=signal/day=*"))
    for junk in (".part-x.parquet", "_tmp.parquet", "part-0123456789abcdef.parquet.tmp"):
        (day_dir / junk).write_bytes(b"not parquet")
    with Store.open(settings) as store:
        exactly_once(store, events)


def test_a_v1_shadow_outcome_in_cold_is_read_back_as_v2(settings: Settings) -> None:
    """Parquet written by an older release: pnl_pct, no return_bps / counterfactual / blocked_by."""
    ts = datetime(2025, 10, 1, 12, tzinfo=UTC)
    v1 = pa.table(
        {
            "event_id": ["old-1"],
            "schema_version": pa.array([1], pa.int32()),
            "ts": pa.array([ts], pa.timestamp("us", tz="UTC")),
            "severity": ["INFO"],
            "source": ["engine"],
            "decision_timestamp": pa.array([ts], pa.timestamp("us", tz="UTC")),
            "label_cutoff_timestamp": pa.array([ts + timedelta(hours=1)], pa.timestamp("us", tz="UTC")),
            "signal_id": ["sig-1"],
            "trade_id": ["tr-1"],
            "symbol": ["ETH-USD"],
            "mode": ["scalp"],
            "regime": ["trend"],
            "side": ["long"],
            "entry_price": [3000.0],
            "exit_price": [3030.0],
            "pnl_pct": [1.0],
            "win": [True],
            "holding_seconds": [600.0],
            "exit_reason": ["take_profit"],
            "model_id": pa.array([None], pa.string()),
        }
    )
    ColdArchive(settings.cold_uri).publish("shadow_outcome", ts.date(), v1)
    with Store.open(settings) as store:
        store.write_events(list(sample_events("shadow_outcome", n=2)))  # v2 rows in hot
        got = list(store.iter_events(datetime(2025, 9, 30, tzinfo=UTC), datetime(2025, 12, 1, tzinfo=UTC)))
        assert len(got) == 3
        old = next(e for e in got if e.event_id == "old-1")
        assert isinstance(old, ShadowOutcome)
        assert old.schema_version == 2 and old.return_bps == pytest.approx(100.0) and old.blocked_by == []
        assert store.counts()["shadow_outcome"] == 3


def test_an_unreadable_archive_degrades_to_the_hot_tier(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(self: ColdArchive, event_type: str | None = None) -> list[object]:
        raise OSError("connection refused (injected)")

    monkeypatch.setattr(ColdArchive, "files", unreachable)
    with Store.open(settings) as store:
        assert store.cold_error is not None and "connection refused" in store.cold_error
        assert store.write_events(list(sample_events("alert", n=2))) == 2
        assert store.counts()["alert"] == 2

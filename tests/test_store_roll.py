"""The hot -> cold roll into Delta tables: one commit per table per night, idempotent,
exactly once across a crash at the worst moment (real process deaths), old rows upgraded."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from huracan.config import Settings, load_config
from huracan.events import EventBase, ShadowOutcome
from huracan.samples import sample_events
from huracan.store import ArchiveUnavailable, ColdArchive, Store
from huracan.store import roll as roll_mod
from huracan.store import store as store_mod
from huracan.store.cold import ROLL_APP_ID

NOW = datetime(2025, 11, 13, 0, 45, tzinfo=UTC)  # hot_days=7: days up to Nov 6 go cold
CUTOFF = date(2025, 11, 6)


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


def make_events() -> list[EventBase]:
    events = spread(list(sample_events("signal", n=60, seed=1)), date(2025, 11, 3), 10)
    return events + spread(list(sample_events("gate_decision", n=40, seed=2)), date(2025, 11, 4), 8)


def fill(store: Store) -> list[EventBase]:
    events = make_events()
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


def versions(settings: Settings) -> dict[str, int]:
    return {t: table.version for t, table in ColdArchive(settings.cold_uri).load_all().items()}


def test_roll_is_one_commit_per_table_and_a_rerun_adds_nothing(settings: Settings) -> None:
    with Store.open(settings) as store:
        events = fill(store)
        report = store.roll(NOW)
        assert report.cutoff == CUTOFF
        assert report.days == [date(2025, 11, d) for d in (3, 4, 5, 6)]
        assert report.rows == sum(1 for e in events if e.ts.date() <= CUTOFF)
        assert {m.type: m.version for m in report.moved} == {"signal": 0, "gate_decision": 0}
        assert hot_days(store, "signal")[0] == date(2025, 11, 7)
        exactly_once(store, events)
        assert store.roll(NOW).rows == 0  # nothing left to move
        exactly_once(store, events)
    assert versions(settings) == {"signal": 0, "gate_decision": 0}  # the rerun made no commit
    table = DeltaTable(str(Path(settings.cold_uri) / "signal"))
    assert table.metadata().partition_columns == ["day"]
    assert table.transaction_version(ROLL_APP_ID) == (CUTOFF - date(1970, 1, 1)).days
    [commit] = table.history()[:1]
    assert json.loads(commit["huracan"])["roll"]["days"] == ["2025-11-03", "2025-11-04", "2025-11-05", "2025-11-06"]


def test_a_later_night_is_a_new_commit_and_late_events_land_in_their_day(settings: Settings) -> None:
    with Store.open(settings) as store:
        events = fill(store)
        store.roll(NOW)
        late = spread(list(sample_events("signal", n=3, seed=9)), date(2025, 11, 3), 1)
        store.write_events(late)
        exactly_once(store, events + late)
        report = store.roll(NOW + timedelta(days=1))  # cutoff Nov 7: the late rows and Nov 7
        assert report.reconciled == 0
        assert report.rows == 3 + sum(1 for e in events if e.ts.date() == date(2025, 11, 7))
        exactly_once(store, events + late)
        assert store.query("SELECT count(*) AS n FROM v_signal WHERE day = DATE '2025-11-03'") == [
            {"n": sum(1 for e in events + late if e.type == "signal" and e.ts.date() == date(2025, 11, 3))}
        ]
    assert versions(settings) == {"signal": 1, "gate_decision": 1}


def test_crash_between_commit_and_hot_delete_in_process(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(settings) as store:
        events = fill(store)

        def crash(*_args: object) -> None:
            raise RuntimeError("injected crash after the Delta commit")

        monkeypatch.setattr(roll_mod, "_delete_rolled", crash)
        with pytest.raises(RuntimeError, match="injected crash"):
            store.roll(NOW)
        # The first table is committed and its rows are still hot; the views show each once.
        exactly_once(store, events)
        assert len(list(store.iter_events(datetime(2025, 11, 1, tzinfo=UTC), NOW))) == len(events)
        [first] = versions(settings)  # EVENT_TYPES order: the crash came after the first commit
        monkeypatch.undo()
        report = store.roll(NOW)
        assert report.reconciled == sum(1 for e in events if e.type == first and e.ts.date() <= CUTOFF)
        exactly_once(store, events)
    assert versions(settings) == {"signal": 0, "gate_decision": 0}  # never appended twice


_KILL = """
import glob, os, shutil, sys
from datetime import datetime
from huracan.config import load_config
from huracan.store import Store, cold, roll

if sys.argv[2] == "before-commit":
    real = cold.write_deltalake

    def die(uri, data, **kw):
        # The data files land in the table, then the writer dies before its log entry.
        real(uri + "-scratch", data, mode="append", partition_by=["day"])
        for f in glob.glob(uri + "-scratch/day=*/*.parquet"):
            dest = os.path.join(uri, os.path.relpath(f, uri + "-scratch"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(f, dest)
        os._exit(9)

    cold.write_deltalake = die
else:
    roll._delete_rolled = lambda *a: os._exit(9)
with Store.open(load_config(data_dir=sys.argv[1])) as store:
    store.roll(datetime.fromisoformat(sys.argv[3]))
"""


@pytest.mark.parametrize("point", ["before-commit", "after-commit"])
def test_a_killed_roll_is_finished_by_the_next_one_never_doubled(settings: Settings, point: str) -> None:
    with Store.open(settings) as store:
        events = fill(store)
    proc = subprocess.run(
        [sys.executable, "-c", _KILL, str(settings.data_dir), point, NOW.isoformat()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 9, proc.stderr
    with Store.open(settings) as store:
        exactly_once(store, events)  # after the crash, before any repair
        before = versions(settings)
        assert before == ({} if point == "before-commit" else {"signal": 0})
        report = store.roll(NOW)
        if point == "after-commit":
            assert report.reconciled == sum(1 for e in events if e.type == "signal" and e.ts.date() <= CUTOFF)
        exactly_once(store, events)
        assert hot_days(store, "signal")[0] == date(2025, 11, 7)
    assert versions(settings) == {"signal": 0, "gate_decision": 0}


def test_files_outside_the_log_are_invisible(settings: Settings) -> None:
    with Store.open(settings) as store:
        events = fill(store)
        store.roll(NOW)
    day_dir = next((Path(settings.cold_uri) / "signal").glob("day=*"))
    real = next(day_dir.glob("*.parquet"))
    (day_dir / "part-99999-orphan-of-a-killed-writer.zstd.parquet").write_bytes(real.read_bytes())
    for junk in (".part-x.parquet", "_tmp.parquet", "half.parquet.tmp"):
        (day_dir / junk).write_bytes(b"not parquet")
    with Store.open(settings) as store:
        exactly_once(store, events)


def test_v1_rows_are_archived_as_v2_and_count_in_sql(settings: Settings) -> None:
    """A hot table written by a release before v2: pnl_pct, no return_bps / counterfactual / blocked_by."""
    ts = datetime(2025, 11, 5, 12, tzinfo=UTC)
    with Store.open(settings) as store:
        con = store.hot.con
        con.execute("ALTER TABLE ev_shadow_outcome ADD COLUMN pnl_pct DOUBLE")
        con.execute(
            "INSERT INTO ev_shadow_outcome (event_id, type, schema_version, ts, severity, source, "
            "decision_timestamp, label_cutoff_timestamp, signal_id, trade_id, symbol, mode, regime, side, "
            "entry_price, exit_price, pnl_pct, win, holding_seconds, exit_reason, day) VALUES "
            "('old-1', 'shadow_outcome', 1, ?, 'INFO', 'engine', ?, ?, 'sig-1', 'tr-1', 'ETH-USD', 'scalp', "
            "'trend', 'long', 3000, 3030, 1.0, true, 600, 'take_profit', ?)",
            [ts, ts, ts + timedelta(hours=1), ts.date()],
        )
        store.hot.refresh_columns()
        store.refresh()
        store.roll(NOW)
        [row] = store.query(
            "SELECT schema_version, return_bps, counterfactual, blocked_by FROM v_shadow_outcome "
            "WHERE event_id = 'old-1'"
        )
        assert row == {
            "schema_version": 2,
            "return_bps": pytest.approx(100.0),
            "counterfactual": False,
            "blocked_by": "[]",
        }
        # The SQL the shadow metrics run (NOT counterfactual) now counts the v1 trade.
        from huracan.plugins.builtin.metrics.shadow import CLOSED_SQL

        sql = CLOSED_SQL.format(start="DATE '2025-11-05'", end="DATE '2025-11-05'")
        rows = [r for r in store.query(sql) if r["mode"] is None]
        assert rows == [pytest.approx(rows[0])] and rows[0]["rows"] == 1 and rows[0]["wins"] == 1
        [old] = [e for e in store.iter_events(ts - timedelta(hours=1), ts + timedelta(hours=1))]
        assert isinstance(old, ShadowOutcome) and old.return_bps == pytest.approx(100.0)
    assert "pnl_pct" not in DeltaTable(str(Path(settings.cold_uri) / "shadow_outcome")).schema().to_arrow().names


def test_a_new_nullable_field_merges_into_the_table(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A newer release adds a field: the table's schema grows, older files read as null."""
    from huracan.store import upgrade

    with Store.open(settings) as store:
        events = fill(store)
        store.roll(NOW)
        plain = upgrade.archive_schema("signal")
        newer = plain.append(pa.field("venue", pa.string()))
        monkeypatch.setattr(upgrade, "archive_schema", lambda t: newer if t == "signal" else plain)
        late = spread(list(sample_events("signal", n=2, seed=5)), date(2025, 11, 4), 1)
        table = pa.Table.from_pylist([dict(r, venue="binance") for r in _rows(late)])
        store.cold.append("signal", table)
        monkeypatch.undo()
        store.refresh()
        got = store.query("SELECT venue, count(*) AS n FROM v_signal GROUP BY venue ORDER BY venue NULLS FIRST")
        assert got == [{"venue": None, "n": 60}, {"venue": "binance", "n": 2}]
        exactly_once(store, [*events, *late])


def _rows(events: list[EventBase]) -> list[dict[str, object]]:
    from huracan.store.schema import events_to_arrow

    return events_to_arrow(events).to_pylist()


def test_an_unreachable_archive_fails_queries_loudly_and_recovers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = Path(settings.cold_uri)
    with Store.open(settings) as store:
        events = fill(store)
        store.roll(NOW)
    cold.rename(cold.with_name("cold-away"))
    cold.write_text("not a directory: listing it fails like a dead endpoint")
    monkeypatch.setattr(store_mod, "COLD_RETRY_S", 0.0)
    with Store.open(settings) as store:
        assert store.cold_error is not None and "the cold archive" in store.cold_error
        # Ingest keeps working, into hot.
        assert store.write_events(list(sample_events("alert", n=2))) == 2
        for sql in (
            "SELECT count(*) AS n FROM v_signal",
            "SELECT count(*) AS n FROM v_signal WHERE day = DATE '2025-11-12'",
            "SELECT max(day) AS d FROM v_alert",
        ):
            with pytest.raises(ArchiveUnavailable, match=r"the cold archive \S+ is unreachable"):
                store.query(sql)
        with pytest.raises(ArchiveUnavailable):
            store.counts()
        # The archive comes back: the next query sees it, without a restart.
        cold.unlink()
        cold.with_name("cold-away").rename(cold)
        exactly_once(store, events)
        assert store.cold_error is None


def test_a_legacy_parquet_archive_asks_for_migrate(settings: Settings) -> None:
    legacy = Path(settings.cold_uri) / "type=signal" / "day=2025-10-01"
    legacy.mkdir(parents=True)
    with Store.open(settings) as store:
        with pytest.raises(ArchiveUnavailable, match="huracan store migrate"):
            store.query("SELECT count(*) FROM v_signal")
        with pytest.raises(ArchiveUnavailable, match="needs migrating"):
            store.roll(NOW)

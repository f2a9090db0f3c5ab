"""`huracan status` counts from the hot tables and the Delta logs, and agrees with the views.

The counts used to be a ``count(*)`` over every view, which read every archive file (a
year: ~3 CPU-seconds locally per call, a GET per file on S3) for each `status`, web page
and Telegram /status. Now they come from the logs; these tests hold them to the views
where the two could differ: a day in both tiers after an interrupted roll, late events
of an archived day, today, and an archive that cannot be read.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.cli import app
from huracan.cli.errors import EXIT_ARCHIVE_UNAVAILABLE
from huracan.config import Settings, load_config
from huracan.daemon.status import store_status
from huracan.events import EVENT_TYPES, EventBase
from huracan.samples import sample_events
from huracan.store import Store
from huracan.store import roll as roll_mod
from tests.test_store_roll import NOW, fill
from tests.test_store_unreachable import _break

runner = CliRunner()


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_config(data_dir=data_dir)


def _view_truth(store: Store) -> tuple[dict[str, int], datetime | None]:
    counts = store.counts()
    parts = " UNION ALL ".join(f"SELECT max(ts) AS m FROM v_{t}" for t in EVENT_TYPES)
    last = store.query(f"SELECT max(m) AS m FROM ({parts})")[0]["m"]
    return counts, last


def _assert_agrees(settings: Settings, store: Store) -> dict[str, object]:
    out = store_status(settings, store)
    counts, last = _view_truth(store)
    assert {t: v["total"] for t, v in out["events_by_type"].items()} == {t: counts.get(t, 0) for t in EVENT_TYPES}
    assert out["events_total"] == sum(counts.values())
    assert out["last_event_at"] == (last.isoformat() if last else None)
    assert out["partial"] is False and out["archive_error"] is None
    return out


def test_empty_store(settings: Settings) -> None:
    with Store.open(settings) as store:
        out = _assert_agrees(settings, store)
    assert out["events_total"] == 0 and out["last_event_at"] is None


def test_hot_and_cold_with_late_events_of_an_archived_day(settings: Settings) -> None:
    with Store.open(settings) as store:
        fill(store)
        assert store.roll(NOW).rows > 0
        assert store.cold_tables  # the logs are what status reads
        # Late events for an archived day land in hot with that day: not duplicates.
        late = [
            e.model_copy(update={"ts": datetime(2025, 11, 4, 23, 0, tzinfo=UTC) + timedelta(seconds=i)})
            for i, e in enumerate(sample_events("signal", n=5, seed=9))
        ]
        store.write_events(late)
        out = _assert_agrees(settings, store)
        assert out["events_by_type"]["signal"]["total"] == 65
        assert out["store"]["cold_bytes"] == sum(t.bytes for t in store.cold_tables.values()) > 0


def test_a_day_in_both_tiers_after_an_interrupted_roll_is_counted_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(settings) as store:
        events = fill(store)

        def crash(*_args: object) -> None:
            raise RuntimeError("injected crash after the Delta commit")

        monkeypatch.setattr(roll_mod, "_delete_rolled", crash)
        with pytest.raises(RuntimeError):
            store.roll(NOW)
        store.refresh()
        overlap = [
            t
            for t, table in store.cold_tables.items()
            if set(table.rows_by_day) & {r["day"] for r in store.query(f"SELECT DISTINCT day FROM ev_{t}")}
        ]
        assert overlap  # the committed table's days are in both tiers now
        out = _assert_agrees(settings, store)
        assert out["events_total"] == len(events)


def test_today_counts_only_today(settings: Settings) -> None:
    now = datetime.now(UTC)
    events: list[EventBase] = [
        e.model_copy(update={"ts": now - timedelta(days=i % 2, seconds=i)})
        for i, e in enumerate(sample_events("signal", n=10, seed=3))
    ]
    with Store.open(settings) as store:
        store.write_events(events)
        out = _assert_agrees(settings, store)
    assert out["events_today"] == sum(1 for e in events if e.ts.date() == now.date())


def test_an_unreachable_archive_answers_with_the_hot_tier_and_says_so(settings: Settings) -> None:
    with Store.open(settings) as store:
        fill(store)
        store.roll(NOW)
        hot = sum(int(r["n"]) for r in store.query("SELECT count(*) AS n FROM ev_signal"))
    _break(settings)
    with Store.open(settings) as store:
        out = store_status(settings, store)
    assert out["partial"] is True and "the cold archive" in str(out["archive_error"])
    assert out["events_by_type"]["signal"]["total"] == hot
    res = runner.invoke(app, ["--data-dir", str(settings.data_dir), "status", "--json"])
    assert res.exit_code == EXIT_ARCHIVE_UNAVAILABLE, res.output
    assert json.loads(res.stdout)["partial"] is True
    res = runner.invoke(app, ["--data-dir", str(settings.data_dir), "status"], env={"COLUMNS": "200"})
    assert res.exit_code == EXIT_ARCHIVE_UNAVAILABLE
    assert "the counts are the hot tier's only" in res.output and "Traceback" not in res.output


def test_status_does_not_read_archive_data_files(settings: Settings) -> None:
    # Every gate_decision data file but the newest day's is made unreadable: its counts come
    # from the log. (Signals and outcomes stay readable: the one day rule, last_data_day,
    # scans their source column.)
    with Store.open(settings) as store:
        fill(store)
        store.roll(NOW)
        want = store.counts()
        newest = {t: max(table.rows_by_day) for t, table in store.cold_tables.items()}
    cold = Path(settings.cold_uri)
    for t, last in newest.items():
        if t != "gate_decision":
            continue
        for f in (cold / t).glob("day=*/*.parquet"):
            if f.parent.name != f"day={last.isoformat()}":
                f.write_bytes(b"not parquet any more")
    with Store.open(settings) as store:
        out = store_status(settings, store)
        with pytest.raises(Exception, match="Parquet"):
            store.counts()  # a full count would have to read them
    assert {t: v["total"] for t, v in out["events_by_type"].items() if v["total"]} == {
        t: n for t, n in want.items() if n
    }
    assert date.fromisoformat(out["last_event_at"][:10]) >= max(newest.values())

"""`huracan store migrate`: an archive written by the release before Delta Lake becomes the tables.

The archive is built by the old release's writer (tests/legacy_archive.py), with a day of
v1 shadow outcomes (pnl_pct) that the SQL metrics used to count as zero closed trades.
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
from huracan.events import EventBase
from huracan.plugins.builtin.metrics.shadow import CLOSED_SQL
from huracan.samples import sample_events
from huracan.store import ArchiveUnavailable, ColdArchive, Store
from huracan.store import migrate as migrate_mod
from tests.legacy_archive import junk, publish, v1_shadow_outcome, write_legacy_archive

runner = CliRunner()
V1_DAY = date(2025, 10, 1)


def _spread(events: list[EventBase], first: date, days: int) -> list[EventBase]:
    base = datetime(first.year, first.month, first.day, 8, tzinfo=UTC)
    return [e.model_copy(update={"ts": base + timedelta(days=i % days, minutes=i)}) for i, e in enumerate(events)]


def build_legacy(uri: str) -> dict[str, int]:
    events = _spread(list(sample_events("signal", n=50, seed=1)), date(2025, 10, 2), 5)
    events += _spread(list(sample_events("shadow_outcome", n=30, seed=2)), date(2025, 10, 2), 5)
    counts = write_legacy_archive(uri, events)
    ts = datetime(2025, 10, 1, 12, tzinfo=UTC)
    publish(uri, "shadow_outcome", V1_DAY, v1_shadow_outcome("old-1", ts, 1.0, True))
    publish(uri, "shadow_outcome", V1_DAY, v1_shadow_outcome("old-2", ts + timedelta(hours=1), -0.5, False))
    junk(uri, "signal", date(2025, 10, 2))
    counts["shadow_outcome"] += 2
    return counts


@pytest.fixture
def legacy(data_dir: Path) -> tuple[Settings, dict[str, int]]:
    settings = load_config(data_dir=data_dir)
    return settings, build_legacy(settings.cold_uri)


def _closed_on(store: Store, day: date) -> dict[str, object]:
    sql = CLOSED_SQL.format(start=f"DATE '{day}'", end=f"DATE '{day}'")
    [row] = [r for r in store.query(sql) if r["mode"] is None]
    return row


def test_before_migrating_every_answer_asks_for_it(legacy: tuple[Settings, dict[str, int]]) -> None:
    settings, _ = legacy
    res = runner.invoke(app, ["--data-dir", str(settings.data_dir), "trades", "stats", "--json"])
    assert res.exit_code == EXIT_ARCHIVE_UNAVAILABLE
    assert "needs migrating" in res.output and "huracan store migrate" in " ".join(res.output.split())
    with Store.open(settings) as store, pytest.raises(ArchiveUnavailable, match="needs migrating"):
        store.roll(datetime(2025, 11, 1, tzinfo=UTC))


def test_migrate_converts_upgrades_and_removes_the_files(legacy: tuple[Settings, dict[str, int]]) -> None:
    settings, counts = legacy
    res = runner.invoke(app, ["--data-dir", str(settings.data_dir), "store", "migrate", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert {t["type"]: t["rows"] for t in report["tables"]} == counts
    assert all(t["version"] == 0 and not t["already_done"] for t in report["tables"])
    cold = Path(settings.cold_uri)
    assert sorted(p.name for p in cold.iterdir()) == ["shadow_outcome", "signal"]  # no type=… left
    tables = ColdArchive(settings.cold_uri).load_all()
    assert {t: tb.rows for t, tb in tables.items()} == counts
    assert len(tables["shadow_outcome"].days) == 6
    with Store.open(settings) as store:
        assert store.counts()["signal"] == counts["signal"]
        # The v1 day counts in the SQL the shadow metrics run.
        v1 = _closed_on(store, V1_DAY)
        assert (v1["rows"], v1["wins"], v1["pnl_bps"]) == (2, 1, pytest.approx(50.0))
        [old] = store.query(
            "SELECT schema_version, blocked_by, counterfactual FROM v_shadow_outcome WHERE event_id='old-1'"
        )
        assert old == {"schema_version": 2, "blocked_by": "[]", "counterfactual": False}
        # And the archive takes the next night's roll on top.
        store.write_events(_spread(list(sample_events("signal", n=4, seed=7)), date(2025, 10, 20), 1))
        assert store.roll(datetime(2025, 11, 1, tzinfo=UTC)).rows == 4
        assert store.counts()["signal"] == counts["signal"] + 4
    res = runner.invoke(app, ["--data-dir", str(settings.data_dir), "store", "migrate"])
    assert res.exit_code == 0 and "nothing to migrate" in res.output


def test_a_crash_before_the_files_are_deleted_never_doubles(
    legacy: tuple[Settings, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, counts = legacy
    real = migrate_mod._delete_legacy

    def crash(cold: ColdArchive, etype: str) -> None:
        raise RuntimeError("killed after the commit (injected)")

    monkeypatch.setattr(migrate_mod, "_delete_legacy", crash)
    with pytest.raises(RuntimeError, match="injected"):
        migrate_mod.migrate(ColdArchive(settings.cold_uri))
    monkeypatch.setattr(migrate_mod, "_delete_legacy", real)
    report = migrate_mod.migrate(ColdArchive(settings.cold_uri))
    assert [t.already_done for t in report.tables] == [True, False]  # shadow_outcome first, then signal
    tables = ColdArchive(settings.cold_uri).load_all()
    assert {t: (tb.rows, tb.version) for t, tb in tables.items()} == {t: (n, 0) for t, n in counts.items()}


def test_outside_readers_see_v2_with_no_options(legacy: tuple[Settings, dict[str, int]]) -> None:
    import polars as pl

    settings, _ = legacy
    migrate_mod.migrate(ColdArchive(settings.cold_uri))
    uri = ColdArchive(settings.cold_uri).table_uri("shadow_outcome")
    df = pl.scan_delta(uri).filter(pl.col("day") == V1_DAY).filter(~pl.col("counterfactual")).collect()
    assert sorted(df["return_bps"].to_list()) == [pytest.approx(-50.0), pytest.approx(100.0)]
    assert "pnl_pct" not in df.columns

"""`store.hot_days = 1` loses no query: a snapshot over the archive equals the all-hot one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from huracan.analytics.metrics import compute_snapshot
from huracan.config import load_config
from huracan.plugins.manager import get_plugins
from huracan.store import Store
from tests.metrics_data import DAY, build_days

BUILTIN = ("huracan.plugins.builtin.metrics",)


def _snapshot(data_dir: Path, hot_days: int, roll: bool) -> dict[str, Any]:
    settings = load_config(data_dir=data_dir, store={"hot_days": hot_days})
    days = build_days(days=10, signals_per_day=40, win_prob={DAY: 0.8})
    plugins = get_plugins(settings, entry_points=False, default_plugins=BUILTIN)
    with Store.open(settings) as store:
        store.write_events(days.events)
        if roll:
            now = datetime(DAY.year, DAY.month, DAY.day, 0, 45, tzinfo=UTC) + timedelta(days=1)
            report = store.roll(now)
            assert report.days[-1] == DAY  # every day, the reported one included, is cold
            assert store.query("SELECT count(*) AS n FROM ev_signal") == [{"n": 0}]
        snap = compute_snapshot(store.cursor(), DAY, plugins, settings)
    return snap.model_dump(mode="json", exclude={"generated_at"})


@pytest.mark.slow
def test_one_hot_day_gives_the_same_snapshot_as_all_hot(tmp_path: Path) -> None:
    all_hot = _snapshot(tmp_path / "hot", hot_days=30, roll=False)
    archived = _snapshot(tmp_path / "cold", hot_days=1, roll=True)
    assert archived["metrics"].keys() == all_hot["metrics"].keys()
    differ = [k for k in all_hot["metrics"] if all_hot["metrics"][k] != archived["metrics"][k]]
    assert differ == [], differ[:5]
    # Alerts are new events (fresh ids and times); what they say must be the same.
    for snap in (all_hot, archived):
        snap["alerts"] = [{k: v for k, v in a.items() if k not in ("event_id", "ts")} for a in snap["alerts"]]
    assert archived == all_hot

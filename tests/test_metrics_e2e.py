"""End to end: every day of a short simulation yields a full, self-consistent snapshot."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from huracan.analytics.metrics import compute_snapshot
from huracan.config import load_config
from huracan.plugins.manager import get_plugins
from huracan.simulate import simulate
from huracan.store import Store
from huracan.store.registry import ModelRegistry

END = date(2025, 11, 6)


@pytest.mark.slow
def test_every_simulated_day_gives_50_values_with_provenance(tmp_path: Path) -> None:
    settings = load_config(data_dir=tmp_path)
    events: list[Any] = []
    simulate(
        settings,
        emit=events.append,
        registry=ModelRegistry(settings, events.append),
        days=3,
        signals_per_day=150,
        end=END,
        seed=11,
    )
    plugins = get_plugins(settings, entry_points=False, default_plugins=("huracan.plugins.builtin.metrics",))
    with Store.open(settings) as store:
        store.write_events(events)
        for k in range(3):
            day = END - timedelta(days=k)
            snap = compute_snapshot(store, day, plugins, settings)
            with_values = [m for m in snap.metrics.values() if m.value is not None]
            assert len(with_values) >= 50, (day, len(with_values))
            for m in with_values:
                assert m.provenance.query and m.provenance.tables, m.id
            assert snap.self_check.passed, (day, snap.self_check.problems)
            assert not snap.disabled_plugins
            assert snap.readiness is not None and snap.readiness.model_id
            assert snap.insights
            # The JSON the council receives round-trips.
            assert type(snap).model_validate_json(snap.model_dump_json()).metrics.keys() == snap.metrics.keys()

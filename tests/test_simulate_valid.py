"""The simulator never emits an invalid event, whatever the seed and the length (#12).

`huracan simulate --days 12 --seed 7` used to exit 2: a short runner won +33,530 bps and
its exit price went below zero. Every event the simulator emits is a validated model
instance; these tests run it over many seeds and lengths and re-validate what comes out
the way ingest would (through JSON), with the price and time invariants checked too.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from huracan.cli import app
from huracan.config import load_config
from huracan.events import EventBase, LiveOutcome, MarketSnapshot, ShadowOutcome, ShadowTrade, Signal, parse_event
from huracan.simulate import simulate
from huracan.simulate.signals import RUNNER_MAX_MULTIPLE
from huracan.store.registry import ModelRegistry

END = date(2025, 11, 5)


def _check(events: list[EventBase], stop: datetime) -> None:
    for e in events:
        again = parse_event(json.loads(e.model_dump_json()))  # what ingest would accept
        assert again == e
        assert e.ts < stop, e  # nothing after the simulated end
        if isinstance(e, ShadowOutcome):
            assert e.exit_price > 0 and e.entry_price > 0
            assert e.return_bps > -10_000  # a long cannot lose more than everything
            assert abs(e.return_bps) <= RUNNER_MAX_MULTIPLE * 150 + 1e-6
        if isinstance(e, Signal | MarketSnapshot):
            assert e.price > 0 and np.isfinite(e.price)
        if isinstance(e, ShadowTrade):
            assert e.entry_price > 0
        if isinstance(e, LiveOutcome):
            assert np.isfinite(e.return_bps)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**31 - 1), days=st.integers(1, 14), per_day=st.integers(20, 160))
def test_any_seed_and_length_emits_only_valid_events(tmp_path: Path, seed: int, days: int, per_day: int) -> None:
    cfg = load_config(data_dir=tmp_path / f"d{seed}-{days}-{per_day}")
    events: list[EventBase] = []
    summary = simulate(
        cfg,
        emit=events.append,
        registry=lambda emit: ModelRegistry(cfg, emit),
        days=days,
        seed=seed,
        signals_per_day=per_day,
        end=END,
    )
    assert summary.signals > 0 and events
    _check(events, datetime.combine(END + timedelta(days=1), datetime.min.time(), UTC))


def test_the_issue_command_exits_zero(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    res = CliRunner().invoke(app, ["--data-dir", str(data), "simulate", "--days", "12", "--seed", "7", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["days"] == 12 and out["signals"] > 10_000

"""Gate report and threshold what-if over a hand-built day whose every number is checked by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from huracan.analytics.gate_explainer import gate_report
from huracan.analytics.gate_rows import load_gates
from huracan.analytics.gate_whatif import default_thresholds, what_if
from huracan.events import Signal
from huracan.plugins.testing import decision_events, events_connection

DAY = date(2025, 11, 6)
T0 = datetime(2025, 11, 6, 9, tzinfo=UTC)
PASSING = {"net_edge_bps": 5.0, "regime_score": 0.6, "spread_bps": 2.0, "volume_ratio": 1.0}


def signal(sid: str, minute: int, mode: str = "scalp", **features: float) -> Signal:
    return Signal(
        ts=T0 + timedelta(minutes=minute), signal_id=sid, symbol="ETH-USD", mode=mode, regime="trend",
        side="long", price=100.0, confidence=0.7, features={**PASSING, **features},
    )  # fmt: skip


# (signal, meta_prob, return_bps): see the module docstring of each test for the arithmetic.
SCENARIO = [
    (signal("s1", 1), 0.42, -10.0),  # blocked by meta_label alone: a good block
    (signal("s2", 2), 0.40, 20.0),  # blocked by meta_label alone: a bad block
    (signal("s3", 3), 0.50, 5.0),  # traded
    (signal("s4", 4), 0.60, -3.0),  # traded
    (signal("s5", 5, net_edge_bps=1.0), 0.30, -7.0),  # blocked by meta_label and cost_gate
    (signal("s6", 6, net_edge_bps=0.5), 0.55, 4.0),  # blocked by cost_gate alone: a bad block
    (signal("r1", 7, mode="runner", spread_bps=20.0), 0.60, -5.0),  # runner spread gate blocks everything
    (signal("r2", 8, mode="runner", spread_bps=15.0), 0.60, 6.0),
]


def scenario_events() -> list[Any]:
    gates = load_gates(None)
    events = [e for s, p, r in SCENARIO for e in decision_events(gates, s, p, r)]
    return events


@pytest.fixture(scope="module")
def conn() -> Any:
    # Read-only for every test: built once per module.
    return events_connection(scenario_events())


def test_meta_label_pass_rate_accuracy_and_blocked_pnl(conn: Any) -> None:
    rep = gate_report(conn, DAY)
    m = rep.get("meta_label", "scalp")
    assert m is not None
    assert (m.n, m.passed, m.pass_rate) == (6, 3, 0.5)
    assert m.verdict == "ok"  # 0.15 <= 0.5 <= 0.60
    assert (m.blocks, m.good_blocks, m.bad_blocks) == (3, 2, 1)
    assert m.accuracy == pytest.approx(2 / 3)
    # s1 and s2 were blocked by meta_label alone; s5 also failed cost_gate.
    assert (m.sole_blocks, m.sole_good_blocks, m.sole_accuracy) == (2, 1, 0.5)
    assert m.blocked_pnl_bps == pytest.approx(-10 + 20 - 7)
    assert m.sole_blocked_pnl_bps == pytest.approx(10.0)


def test_each_failing_gate_is_attributed_the_block(conn: Any) -> None:
    c = gate_report(conn, DAY).get("cost_gate", "scalp")
    assert c is not None
    assert (c.blocks, c.good_blocks, c.accuracy) == (2, 1, 0.5)  # s5 (loser), s6 (winner)
    assert (c.sole_blocks, c.sole_accuracy, c.sole_blocked_pnl_bps) == (1, 0.0, 4.0)
    assert c.blocked_pnl_bps == pytest.approx(-3.0)


def test_verdicts_and_a_zero_pass_rate_screams(conn: Any) -> None:
    rep = gate_report(conn, DAY)
    spread_runner = rep.get("spread_gate", "runner")
    assert spread_runner is not None and spread_runner.pass_rate == 0.0
    assert spread_runner.verdict == "too_strict"
    assert "0% PASS RATE" in spread_runner.verdict_reason and "2 signals" in spread_runner.verdict_reason
    spread_scalp = rep.get("spread_gate", "scalp")
    assert spread_scalp is not None and spread_scalp.verdict == "too_loose"  # 100% > 98% max
    assert "above the 98.0% maximum" in spread_scalp.verdict_reason


def test_report_lists_configured_gates_without_decisions(conn: Any) -> None:
    rep = gate_report(conn, date(2025, 11, 7))
    assert rep.day == date(2025, 11, 7)
    assert {g.verdict for g in rep.gates} == {"no_data"}
    assert len(rep.gates) == 12  # six gates x two modes, from gates.yaml
    assert rep.what_if == []


def test_report_defaults_to_last_day_with_decisions(conn: Any) -> None:
    assert gate_report(conn).day == DAY


def test_what_if_moves_the_threshold_over_recorded_values(conn: Any) -> None:
    res = what_if(conn, "meta_label", "scalp", [0.35, 0.45, 0.58])
    assert (res.n, res.current_threshold, res.start, res.end) == (6, 0.45, DAY - timedelta(days=6), DAY)
    low, now, high = res.points
    assert now.is_current and not low.is_current
    # 0.35: s5 alone blocked (a loser); s1-s4 trade (s5, s6 fail cost_gate).
    assert (low.pass_rate, low.blocks, low.good_block_rate, low.traded) == (pytest.approx(5 / 6), 1, 1.0, 4)
    assert low.pnl_bps == pytest.approx(-10 + 20 + 5 - 3) and low.win_rate == 0.5
    assert (now.pass_rate, now.traded, now.pnl_bps) == (0.5, 2, pytest.approx(2.0))
    assert now.good_block_rate == pytest.approx(2 / 3)
    assert (high.pass_rate, high.blocks, high.good_block_rate) == (pytest.approx(1 / 6), 5, pytest.approx(2 / 5))
    assert (high.traded, high.pnl_bps) == (1, -3.0)
    assert res.best is not None and res.best.threshold == 0.35


def test_what_if_summary_in_report(conn: Any) -> None:
    s = next(w for w in gate_report(conn, DAY).what_if if (w.gate, w.mode) == ("meta_label", "scalp"))
    assert s.current_pnl_bps == pytest.approx(2.0)
    assert s.best_pnl_bps is not None and s.best_pnl_bps >= 12.0 - 1e-9
    assert s.ideal_pass_rate == 0.25 and s.threshold_for_ideal is not None
    assert 0.50 <= s.threshold_for_ideal <= 0.60  # a quarter of the six values lie above it


def test_what_if_unknown_gate_is_a_clear_error(conn: Any) -> None:
    with pytest.raises(LookupError, match=r"unknown gate 'nope'.*known gates: meta_label"):
        what_if(conn, "nope", "scalp")


def test_default_thresholds_span_the_data_and_include_current() -> None:
    import numpy as np

    grid = default_thresholds(np.array([1.0, 2.0, 3.0, 4.0]), current=10.0, n=5)
    assert 10.0 in grid and min(grid) < 1.5 and grid == sorted(grid)
    assert default_thresholds(np.array([]), current=None) == []


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Any:
    # The real path: events in a store on disk, read by the CLI through huracan.daemon.access.
    from huracan.cli import app
    from huracan.config import load_config
    from huracan.store import Store

    store = Store.open(load_config(data_dir=data_dir))
    store.write_events(scenario_events())
    store.close()
    monkeypatch.setenv("HURACAN_DISABLE_ENTRY_POINTS", "1")
    return lambda *args: CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])


def test_cli_gates_report_json(cli: Any) -> None:
    res = cli("gates", "report", "--date", "2025-11-06", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    row = next(g for g in data["gates"] if (g["gate"], g["mode"]) == ("spread_gate", "runner"))
    assert row["verdict"] == "too_strict" and row["pass_rate"] == 0.0


def test_cli_gates_report_table_and_what_if(cli: Any) -> None:
    res = cli("gates", "report")
    assert res.exit_code == 0, res.output
    assert "0% PASS RATE" in res.stdout and "spread_gate (scalp) too loose" in res.stdout
    res = cli("gates", "what-if", "meta_label", "--mode", "scalp", "-t", "0.35,0.45", "--json")
    assert res.exit_code == 0, res.output
    assert [p["threshold"] for p in json.loads(res.stdout)["points"]] == [0.35, 0.45]
    bad = cli("gates", "what-if", "meta_label", "--mode", "scalp", "-t", "low,high")
    assert bad.exit_code == 2 and "must be numbers" in bad.output

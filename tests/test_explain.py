"""`explain_signal` and `huracan explain`: the human sentence, the margin, what was needed, the outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from huracan.analytics.gate_explainer import (
    SignalNotFound,
    explain_signal,
    format_delta,
    format_value,
    gate_title,
)
from huracan.analytics.gate_rows import load_gates
from huracan.events import Signal
from huracan.plugins.testing import decision_events, events_connection

T0 = datetime(2025, 11, 6, 9, tzinfo=UTC)
PASSING = {"net_edge_bps": 5.0, "regime_score": 0.6, "spread_bps": 2.0, "volume_ratio": 1.0}


def signal(sid: str, minute: int, **features: float) -> Signal:
    return Signal(
        ts=T0 + timedelta(minutes=minute), signal_id=sid, symbol="ETH-USD", mode="scalp", regime="trend",
        side="long", price=100.0, confidence=0.7, features={**PASSING, **features},
    )  # fmt: skip


def scenario_events() -> list[Any]:
    gates = load_gates(None)
    events = [
        *decision_events(gates, signal("blocked-loser", 1), 0.42, -10.0),
        *decision_events(gates, signal("blocked-winner", 2, spread_bps=7.5), 0.50, 12.5),
        *decision_events(gates, signal("traded", 3), 0.60, 8.0),
        *decision_events(gates, signal("no-outcome", 4), 0.30, None),
    ]
    return events


@pytest.fixture(scope="module")
def conn() -> Any:
    # Read-only for every test: built once per module.
    return events_connection(scenario_events())


def test_rejection_sentence_margin_and_needs(conn: Any) -> None:
    ex = explain_signal(conn, "blocked-loser")
    assert ex.verdict == "blocked" and ex.blocked_by == ["meta_label"]
    meta = ex.gates[0]
    assert meta.gate == "meta_label" and not meta.passed
    assert meta.sentence == (
        "Meta-label REJECTED: predicted win probability 42.0% below 45.0%; needs +3.0 pp (-6.7% relative)"
    )
    assert meta.margin == pytest.approx(-0.03)
    assert meta.margin_rel == pytest.approx(-0.03 / 0.45)
    assert meta.needs == "needs +3.0 pp"
    # The other five gates passed, in gates.yaml order.
    assert [g.gate for g in ex.gates[1:]] == [
        "cost_gate",
        "confidence_gate",
        "regime_gate",
        "spread_gate",
        "volume_gate",
    ]
    assert all(g.passed and g.needs is None for g in ex.gates[1:])


def test_counterfactual_outcome_makes_a_good_block(conn: Any) -> None:
    ex = explain_signal(conn, "blocked-loser")
    assert ex.outcome is not None and ex.outcome.counterfactual and ex.outcome.return_bps == -10.0
    assert ex.block_quality == "good_block"
    assert (
        ex.summary
        == "Blocked by Meta-label. Had it traded it would have made -10.0 bps — a good block: it would have lost."
    )


def test_below_direction_gate_and_bad_block(conn: Any) -> None:
    ex = explain_signal(conn, "blocked-winner")
    spread = next(g for g in ex.gates if g.gate == "spread_gate")
    assert spread.sentence == "Spread gate REJECTED: spread 7.5 bps above 6.0 bps; needs -1.5 bps (-25.0% relative)"
    assert spread.margin == pytest.approx(-1.5)
    assert ex.block_quality == "bad_block" and "a bad block: it would have won" in ex.summary


def test_passed_signal_reports_its_trade(conn: Any) -> None:
    ex = explain_signal(conn, "traded")
    assert ex.verdict == "passed" and ex.blocked_by == [] and ex.block_quality is None
    assert ex.outcome is not None and not ex.outcome.counterfactual
    assert ex.summary == "Passed every gate and opened a shadow trade. It made +8.0 bps (a winner)."
    assert ex.gates[0].sentence == "Meta-label PASSED: predicted win probability 60.0% above 45.0%"


def test_blocked_without_outcome_says_unknown(conn: Any) -> None:
    ex = explain_signal(conn, "no-outcome")
    assert ex.outcome is None and ex.block_quality is None
    assert "unknown" in ex.summary


def test_unknown_signal_is_a_clear_error(conn: Any) -> None:
    with pytest.raises(SignalNotFound, match="no signal 'nope' in the store"):
        explain_signal(conn, "nope")


def test_formatting_helpers() -> None:
    assert gate_title("meta_label") == "Meta-label"
    assert gate_title("liquidity_gate") == "Liquidity gate"
    assert format_value(0.123, "fraction") == "12.3%"
    assert format_value(2.0, "usd") == "2.00 usd"
    assert format_delta(0.5, "ratio") == "+0.50"


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


def test_cli_explain_table_and_json(cli: Any) -> None:
    res = cli("explain", "blocked-loser")
    assert res.exit_code == 0, res.output
    assert "Meta-label REJECTED: predicted win probability 42.0% below 45.0%" in res.stdout
    assert "good block" in res.stdout
    res = cli("explain", "blocked-loser", "--json")
    assert json.loads(res.stdout)["block_quality"] == "good_block"


def test_cli_explain_unknown_signal_exits_1(cli: Any) -> None:
    res = cli("explain", "nope")
    assert res.exit_code == 1 and "no signal 'nope'" in res.output

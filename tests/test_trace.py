"""Decision traces: one decision's timeline with its bottleneck, and per-step stats over a day."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from huracan.analytics.decision_trace import TraceNotFound, trace_signal, trace_stats
from huracan.analytics.gate_rows import load_gates
from huracan.events import Signal
from huracan.plugins.testing import decision_events, events_connection

T0 = datetime(2025, 11, 6, 9, tzinfo=UTC)
PASSING = {"net_edge_bps": 5.0, "regime_score": 0.6, "spread_bps": 2.0, "volume_ratio": 1.0}


def signal(sid: str, minute: int) -> Signal:
    return Signal(
        ts=T0 + timedelta(minutes=minute), signal_id=sid, symbol="BTC-USD", mode="scalp", regime="trend",
        side="long", price=100.0, confidence=0.7, features=PASSING,
    )  # fmt: skip


def scenario_events() -> list[Any]:
    gates = load_gates(None)
    events = []
    # features take 2, 4, 6, 8 ms; every other step 1 ms, but s2's shadow_trade takes 2 ms.
    for i, features_ms in enumerate((2.0, 4.0, 6.0, 8.0)):
        spans = {"signal": 1.0, "features": features_ms, "meta_label": 1.0, "shadow_trade": 2.0 if i == 2 else 1.0}
        events += decision_events(gates, signal(f"s{i}", i), 0.40 if i == 3 else 0.60, 1.0, spans_ms=spans)
    return events


@pytest.fixture(scope="module")
def conn() -> Any:
    # Read-only for every test: built once per module.
    return events_connection(scenario_events())


def test_timeline_steps_gates_and_bottleneck(conn: Any) -> None:
    tl = trace_signal(conn, "s2")  # 1 + 6 + 1 + 2 = 10 ms
    assert tl.total_ms == 10.0 and tl.outcome == "shadow_trade"
    assert [(s.name, s.start_ms, s.duration_ms) for s in tl.steps] == [
        ("signal", 0.0, 1.0),
        ("features", 1.0, 6.0),
        ("meta_label", 7.0, 1.0),
        ("shadow_trade", 8.0, 2.0),
    ]
    # shadow_trade is exactly 20 %: a bottleneck is strictly more than that.
    assert tl.bottlenecks == ["features"]
    meta = tl.steps[2]
    assert (meta.passed, meta.value, meta.threshold) == (True, 0.6, 0.45)
    assert tl.steps[0].passed is None


def test_blocked_decision_shows_the_failing_gate(conn: Any) -> None:
    tl = trace_signal(conn, "s3")
    assert tl.outcome == "blocked"
    assert next(s for s in tl.steps if s.name == "meta_label").passed is False


def test_missing_trace_is_a_clear_error(conn: Any) -> None:
    with pytest.raises(TraceNotFound, match="no decision trace for signal 'nope'"):
        trace_signal(conn, "nope")


def test_stats_avg_p95_and_bottlenecks(conn: Any) -> None:
    st = trace_stats(conn)
    assert st.day == date(2025, 11, 6) and st.traces == 4
    assert [s.name for s in st.steps] == ["signal", "features", "meta_label", "shadow_trade"]
    features = st.steps[1]
    assert (features.count, features.avg_ms, features.max_ms) == (4, 5.0, 8.0)
    assert features.p95_ms == pytest.approx(7.7)  # linear interpolation between 6 and 8
    assert features.bottleneck_count == 4
    assert st.total_avg_ms == pytest.approx(8.25)  # totals 5, 7, 10, 11
    assert st.bottlenecks == ["features"]


def test_stats_for_a_day_without_traces(conn: Any) -> None:
    st = trace_stats(conn, date(2025, 11, 7))
    assert st.traces == 0 and st.steps == [] and st.total_avg_ms is None


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


def test_cli_trace_id_is_shorthand_for_show(cli: Any) -> None:
    short = cli("trace", "s2", "--json")
    long = cli("trace", "show", "s2", "--json")
    assert short.exit_code == long.exit_code == 0, short.output
    assert json.loads(short.stdout) == json.loads(long.stdout)
    assert json.loads(short.stdout)["bottlenecks"] == ["features"]
    table = cli("trace", "s2")
    assert "bottleneck (> 20% of the total): features" in table.stdout


def test_cli_trace_stats(cli: Any) -> None:
    res = cli("trace", "stats", "--date", "2025-11-06", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["traces"] == 4
    res = cli("trace", "stats", "--date", "2025-11-06")
    assert res.exit_code == 0 and "features" in res.stdout
    empty = cli("trace", "stats", "--date", "2025-11-07")
    assert empty.exit_code == 1 and "no decision traces" in empty.output

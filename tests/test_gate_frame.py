"""The gate rows read as columns, once per snapshot, equal the rows of their SQL definition.

:class:`~huracan.analytics.gate_rows.GateFrame` replaced one ``GATE_ROWS_SQL`` query (rows
fetched as Python tuples) per what-if window. Here every window of a hand-built week —
signals whose decisions straddle midnight, a decision logged again the next day, a day
with no data, a day with one decision — is compared field by field with that SQL read
the old way, over each kind of connection the contract allows; so are the gate metrics'
daily rows (``PASS_SQL``, ``BLOCKS_SQL``) built from the same frame; and ``huracan metrics
--json``, ``gates report --json`` and ``gates what-if --json`` are compared before/after
on a simulated history.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from huracan.analytics import engine_moves, gate_explainer, gate_whatif
from huracan.analytics.gate_rows import GATE_ROWS_SQL, GateFrame, GateRows, gate_rows
from huracan.cli import app
from huracan.config import load_config
from huracan.events import ConfigChange, GateDecision, Severity, ShadowOutcome, Signal
from huracan.store import Store
from huracan.testing import simulated_data_dir

FIRST = date(2025, 11, 3)
DAYS = [FIRST + timedelta(days=k) for k in range(7)]
GAP = DAYS[4]  # no event at all
ONE = DAYS[5]  # a single decision
# Appearance order differs from name order: the frame must sort as SQL does.
GATES = [("spread_gate", "above"), ("cost_gate", "above"), ("meta_label", "above"), ("confidence_gate", "below")]


def old_gate_rows(conn: Any, start: date | None, end: date | None) -> GateRows:
    """The read this change replaced, verbatim: the SQL, ``fetchall`` and a tuple per row."""
    if start is None or end is None:
        return GateRows.empty()
    rows = conn.execute(GATE_ROWS_SQL, [start, end]).fetchall()
    if not rows:
        return GateRows.empty()
    cols = list(zip(*rows, strict=True))
    ret = np.array([np.nan if r is None else r for r in cols[7]], dtype=float)
    return GateRows(
        gate=np.array(cols[0], dtype=object),
        mode=np.array(cols[1], dtype=object),
        passed=np.array(cols[2], dtype=bool),
        value=np.array(cols[3], dtype=float),
        threshold=np.array(cols[4], dtype=float),
        direction=np.array(cols[5], dtype=object),
        n_failed=np.array(cols[6], dtype=int),
        has_outcome=~np.isnan(ret),
        return_bps=np.nan_to_num(ret, nan=0.0),
        win=np.array([bool(w) for w in cols[8]], dtype=bool),
    )


def assert_same(got: GateRows, want: GateRows) -> None:
    assert len(got) == len(want)
    for name in GateRows.__dataclass_fields__:
        g, w = getattr(got, name), getattr(want, name)
        assert g.tolist() == w.tolist(), name


def _at(d: date, seconds: float) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC) + timedelta(seconds=seconds)


def _decision(sig: str, gate: str, direction: str, mode: str, at: datetime, value: float) -> GateDecision:
    thr = 0.5
    passed = value >= thr if direction == "above" else value <= thr
    return GateDecision(
        ts=at, signal_id=sig, gate=gate, mode=mode, passed=passed, value=value, threshold=thr, direction=direction
    )


def _outcome(sig: str, mode: str, at: datetime, ret: float) -> ShadowOutcome:
    return ShadowOutcome(
        ts=at, signal_id=sig, trade_id=f"t-{sig}", symbol="BTC-USD", mode=mode, regime="trend", side="long",
        entry_price=100.0, exit_price=100.0 * (1 + ret / 10_000), return_bps=ret, win=ret > 0,
        holding_seconds=60.0, decision_timestamp=at - timedelta(seconds=61), label_cutoff_timestamp=at,
    )  # fmt: skip


def _signal(sig: str, mode: str, at: datetime) -> Signal:
    return Signal(
        ts=at, signal_id=sig, symbol="BTC-USD", mode=mode, regime="trend", side="long", price=100.0, confidence=0.7
    )


def week_events() -> list[Any]:
    """A week of decisions with every case that makes the rows depend on the window."""
    r = random.Random(7)
    out: list[Any] = []
    for d in DAYS:
        if d in (GAP, ONE):
            continue
        for i in range(40):
            sig, mode = f"s-{d:%d}-{i:02d}", r.choice(["scalp", "runner"])
            t0 = 600.0 + i * 1000.0
            out.append(_signal(sig, mode, _at(d, t0)))
            for k, (gate, direction) in enumerate(GATES):
                out.append(_decision(sig, gate, direction, mode, _at(d, t0 + 0.01 * (k + 1)), r.random()))
            if r.random() < 0.8:  # some signals never get an outcome
                out.append(_outcome(sig, mode, _at(d, t0 + 100), round(r.gauss(0, 20), 2) or 1.0))
    edge = DAYS[1]
    # Decisions straddling midnight: two gates before, two after.
    for j in range(3):
        sig = f"mid-{j}"
        out.append(_signal(sig, "scalp", _at(edge, 86_399.0 + j * 0.1)))
        for k, (gate, direction) in enumerate(GATES):
            at = _at(edge, 86_399.5 + j * 0.1 + k * 0.02) if k < 2 else _at(DAYS[2], 0.2 + j * 0.1 + k * 0.02)
            out.append(_decision(sig, gate, direction, "scalp", at, 0.2 + 0.2 * k))
        out.append(_outcome(sig, "scalp", _at(DAYS[2], 500.0 + j), -5.0 - j))
    # A decision logged again the next day (the newer one wins inside a window holding both)
    # and twice the same day; a signal with two outcomes (the newest counts).
    out.append(_decision("s-04-03", "cost_gate", "above", "runner", _at(DAYS[2], 40_000.0), 0.9))
    out.append(_decision("s-04-05", "spread_gate", "above", "scalp", _at(DAYS[1], 80_000.0), 0.1))
    out.append(_outcome("s-04-05", "scalp", _at(DAYS[3], 7.0), 12.5))
    # The one decision of its day; its outcome lands after the week.
    out.append(_signal("one", "runner", _at(ONE, 3600.0)))
    out.append(_decision("one", "meta_label", "above", "runner", _at(ONE, 3600.5), 0.3))
    out.append(_outcome("one", "runner", _at(DAYS[-1] + timedelta(days=2), 10.0), -3.0))
    return out


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = load_config(data_dir=tmp_path_factory.mktemp("frame") / "data")
    with Store.open(settings) as store:
        store.write_events(week_events())
        yield store


class ArrowProxy:
    """The daemon's reader: every answer an Arrow table (``huracan.daemon.access``)."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def execute(self, sql: str, params: Any = None) -> Any:
        from huracan.daemon.access import _RemoteResult

        with pytest.warns(UserWarning, match="extra copy"):
            table = self.cur.execute(sql, params).to_arrow_table()
        return _RemoteResult(table)


class RowsOnly:
    """A connection-like object that keeps only ``fetchall`` and ``description``."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def execute(self, sql: str, params: Any = None) -> Any:
        self.cur.execute(sql, params)
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.cur.fetchall()

    @property
    def description(self) -> Any:
        return self.cur.description


WINDOWS = [(s, e) for i, s in enumerate(DAYS) for e in DAYS[i:]]


@pytest.mark.parametrize("kind", ["cursor", "daemon", "rows"])
def test_every_window_equals_the_sql_definition(week: Store, kind: str) -> None:
    cur = week.cursor()
    conn = {"cursor": cur, "daemon": ArrowProxy(cur), "rows": RowsOnly(cur)}[kind]
    frame = GateFrame.fetch(conn, DAYS[0], DAYS[-1])
    pairs = {(g, m) for g, _ in GATES for m in ("scalp", "runner")}
    for s, e in WINDOWS:
        want = old_gate_rows(cur, s, e)
        assert_same(frame.rows(s, e), want)
        for g, m in pairs:
            assert_same(frame.rows(s, e, g, m), want.select(g, m))
        assert_same(gate_rows(conn, s, e), want)


def test_the_cases_the_window_decides(week: Store) -> None:
    cur = week.cursor()
    frame = GateFrame.fetch(cur, DAYS[0], DAYS[-1])
    # Straddling midnight: each day alone sees two of the four gates, both days all four.
    mid = lambda rows: int(np.sum(rows.return_bps == -5.0))  # noqa: E731 - signal mid-0's rows
    assert mid(frame.rows(DAYS[1], DAYS[1])) == 2 and mid(frame.rows(DAYS[2], DAYS[2])) == 2
    assert mid(frame.rows(DAYS[1], DAYS[2])) == 4
    # n_failed counts only the window's decisions: mid-0 fails spread_gate and cost_gate before
    # midnight (values 0.2, 0.4 above 0.5) and confidence_gate after it (0.8, not below 0.5)
    for s, e, failed in [(DAYS[1], DAYS[2], 3), (DAYS[1], DAYS[1], 2), (DAYS[2], DAYS[2], 1)]:
        rows = frame.rows(s, e)
        assert set(rows.n_failed[rows.return_bps == -5.0].tolist()) == {failed}
    # The empty day and the one-decision day.
    assert len(frame.rows(GAP, GAP)) == 0
    one = frame.rows(ONE, ONE)
    assert (one.gate.tolist(), one.n_failed.tolist(), one.return_bps.tolist()) == (["meta_label"], [1], [-3.0])
    assert len(old_gate_rows(cur, ONE, ONE)) == 1


def test_a_window_outside_the_fetched_days_is_refused(week: Store) -> None:
    frame = GateFrame.fetch(week.cursor(), DAYS[1], DAYS[3])
    assert frame.covers(DAYS[1], DAYS[3]) and not frame.covers(DAYS[0], DAYS[3])
    with pytest.raises(ValueError, match="outside the fetched"):
        frame.rows(DAYS[2], DAYS[4])


def test_an_empty_store_has_no_rows(tmp_path: Path) -> None:
    with Store.open(load_config(data_dir=tmp_path / "data")) as store:
        store.write_events([_signal("x", "scalp", _at(FIRST, 10.0))])
        frame = GateFrame.fetch(store.cursor(), FIRST, FIRST)
        assert len(frame.rows(FIRST, FIRST)) == 0 and len(frame.rows(FIRST, FIRST, "cost_gate", "scalp")) == 0


# --- before/after on a simulated history ------------------------------------------------


class SqlFrame:
    """The old what-if read: one GATE_ROWS_SQL query per window."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def rows(self, start: date, end: date, gate: str, mode: str) -> GateRows:
        return old_gate_rows(self.conn, start, end).select(gate, mode)


def _old_path(mp: pytest.MonkeyPatch) -> None:
    from huracan.plugins.builtin.metrics import gates

    mp.setattr(engine_moves, "_gate_frame", lambda ctx, start: SqlFrame(ctx.cache.conn))
    mp.setattr(gates, "window_rows", lambda ctx, w: ctx.daily(gates.PASS_SQL if w == "pass" else gates.BLOCKS_SQL))
    mp.setattr(gate_explainer, "gate_rows", old_gate_rows)
    mp.setattr(gate_whatif, "gate_rows", old_gate_rows)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[date]]:
    data = simulated_data_dir(tmp_path_factory.mktemp("sim") / "data", days=10, signals_per_day=100, seed=5)
    settings = load_config(data_dir=data)
    with Store.open(settings) as store:
        last = store.last_day()
        assert last is not None
        # The simulation ends today: the n = 1 day is two days before it, the day between empty.
        first = last - timedelta(days=9)
        one = first - timedelta(days=2)
        at = datetime.combine(one, time(9), tzinfo=UTC)
        store.write_events(
            [
                ConfigChange(ts=datetime.combine(d, time(9), tzinfo=UTC), severity=Severity.WARNING,
                             key="gates.cost_gate.thresholds.scalp", old_value=6.0 - k, new_value=5.0 - k,
                             author="engine-autotune", reason="test", gate="cost_gate", mode="scalp")
                for k, d in enumerate([one, last - timedelta(days=2), last])
            ]
            + [
                _signal("only", "scalp", at),
                _decision("only", "cost_gate", "above", "scalp", at + timedelta(seconds=1), 0.2),
                _outcome("only", "scalp", at + timedelta(seconds=90), 4.0),
            ]
        )  # fmt: skip
    # what-if windows (7 days) that start inside the history, the empty day, the n = 1 day
    return data, [last - timedelta(days=2), last, first - timedelta(days=1), one]


def _cli(data: Path, *args: str) -> Any:
    res = CliRunner().invoke(app, ["--data-dir", str(data), *args])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    if isinstance(out, dict):  # what each run stamps anew: the time and the alerts' envelopes
        out.pop("generated_at", None)
        for a in out.get("alerts", []):
            a.pop("event_id"), a.pop("ts")
    return out


def test_metrics_gates_and_what_if_json_unchanged(sim: tuple[Path, list[date]]) -> None:
    data, days = sim
    commands = [("gates", "what-if", "cost_gate", "--mode", "scalp", "--json")]
    for d in days:
        commands += [
            ("metrics", "--json", "--date", d.isoformat()),
            ("gates", "report", "--json", "--date", d.isoformat()),
        ]
        commands.append(("gates", "what-if", "meta_label", "--mode", "runner", "--to", d.isoformat(), "--json"))
    new = [_cli(data, *c) for c in commands]
    with pytest.MonkeyPatch.context() as mp:
        _old_path(mp)
        old = [_cli(data, *c) for c in commands]
    for c, n, o in zip(commands, new, old, strict=True):
        assert n == o, c
    # The comparison covered the what-if metrics, a day with no data and the n = 1 day.
    metrics = {c[3]: n for c, n in zip(commands, new, strict=True) if c[0] == "metrics"}
    wi = [m["metrics"]["gate_threshold_whatif_bps.cost_gate.scalp"] for m in metrics.values()]
    assert sum(w["value"] is not None for w in wi) >= 2, wi
    assert metrics[days[2].isoformat()]["metrics"]["signals"]["value"] in (0, None)
    assert metrics[days[3].isoformat()]["metrics"]["signals"]["value"] == 1


# --- the gate metrics' daily rows from the same frame ---------------------------------


def _as_set(rows: dict[date, list[dict[str, Any]]]) -> set[tuple[Any, ...]]:
    return {tuple(sorted(r.items())) for day_rows in rows.values() for r in day_rows}


@pytest.mark.parametrize("which", ["pass", "blocks"])
def test_daily_gate_rows_equal_their_sql(week: Store, which: str) -> None:
    from huracan.analytics.gate_days import block_rows, pass_rows
    from huracan.analytics.metric_context import QueryCache
    from huracan.plugins.builtin.metrics.gates import BLOCKS_SQL, PASS_SQL

    sql, build = (PASS_SQL, pass_rows) if which == "pass" else (BLOCKS_SQL, block_rows)
    cur = week.cursor()
    frame = GateFrame.fetch(cur, DAYS[0], DAYS[-1])
    for s, e in WINDOWS:
        want = QueryCache(cur, s, e).fetch(sql, 0, 0)
        got = build(frame.decisions(s, e))
        assert _as_set(got) == _as_set(want), (s, e)
        assert set(got) == set(want)  # the same days, none empty


def test_a_snapshot_reads_the_gate_decisions_once(sim: tuple[Path, list[date]]) -> None:
    from huracan.analytics.gate_rows import FRAME_SQL
    from huracan.analytics.metrics import compute_snapshot
    from huracan.plugins.builtin.metrics.gates import BLOCKS_SQL, PASS_SQL
    from huracan.plugins.manager import get_plugins

    data, days = sim
    settings = load_config(data_dir=data)
    seen: list[str] = []

    class Counting:
        def __init__(self, cur: Any) -> None:
            self.cur = cur

        def execute(self, sql: str, params: Any = None) -> Any:
            seen.append(sql)
            return self.cur.execute(sql, params) if params is not None else self.cur.execute(sql)

    with Store.open(settings, read_only=True) as store:
        plugins = get_plugins(settings, entry_points=False, default_plugins=("huracan.plugins.builtin.metrics",))
        snap = compute_snapshot(Counting(store.cursor()), days[0], plugins, settings)
    assert snap.metrics["gate_pass_rate.cost_gate.scalp"].value is not None
    assert snap.metrics["gate_threshold_whatif_bps.cost_gate.scalp"].value is not None
    assert seen.count(FRAME_SQL) == 1
    # the definitions stay the provenance, but neither query runs
    assert PASS_SQL.split("{start}")[0] in snap.metrics["gate_pass_rate.cost_gate.scalp"].provenance.query
    assert not any("GROUPING SETS ((day, gate, mode)" in s or "AS good_blocks" in s for s in seen)
    assert BLOCKS_SQL.split("{start}")[0] in snap.metrics["gate_accuracy.cost_gate"].provenance.query

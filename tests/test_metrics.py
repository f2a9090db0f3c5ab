"""The metrics computer on a real Store: values against independent computations."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from huracan.analytics.metrics import compute_snapshot
from huracan.analytics.snapshot import MetricsSnapshot
from huracan.analytics.stats import wilson_interval
from huracan.config import Settings, load_config
from huracan.events import Alert, MarketSnapshot, Severity, parse_event
from huracan.plugins import hookimpl
from huracan.plugins.manager import get_plugins
from huracan.plugins.types import MetricResult, MetricSpec
from huracan.store import Store
from tests.metrics_data import DAY, Days, build_days, sha

#: Only the metrics plugin: the other built-ins (notifiers, learners) are not needed here.
BUILTIN = ("huracan.plugins.builtin.metrics",)


class CountingConn:
    """A connection-like proxy that records every statement and allows only the contract."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur
        self.statements: list[str] = []

    def execute(self, sql: str, params: Any = None) -> Any:
        self.statements.append(sql)
        self._cur.execute(sql, params) if params is not None else self._cur.execute(sql)
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cur.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cur.fetchone()

    @property
    def description(self) -> Any:
        return self._cur.description


def _store(path: Path, days: Days) -> tuple[Settings, Store]:
    settings = load_config(data_dir=path)
    store = Store.open(settings)
    store.write_events(days.events)
    return settings, store


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Days, Settings, MetricsSnapshot, CountingConn]]:
    # The report day's trades win far more often: a change big enough to be significant.
    days = build_days(signals_per_day=240, win_prob={DAY: 0.9}, missing_feature_on_end=3)
    snap_event = MarketSnapshot(
        ts=days.signals[-1].ts,
        symbol="BTC-USD",
        price=1.0,
        regime="trend",
        volatility_bps=1,
        spread_bps=1,
        volume_usd=1,
    )
    days.events += [snap_event, snap_event]  # the same event stored twice: one duplicate id
    settings, store = _store(tmp_path_factory.mktemp("metrics"), days)
    conn = CountingConn(store.cursor())
    plugins = get_plugins(settings, entry_points=False, default_plugins=BUILTIN)
    snap = compute_snapshot(conn, DAY, plugins, settings)
    yield days, settings, snap, conn
    store.close()


def _day(events: list[Any], d: date = DAY) -> list[Any]:
    return [e for e in events if e.ts.date() == d]


def test_at_least_50_metrics_with_definitions(world: Any) -> None:
    _, settings, snap, _ = world
    specs = get_plugins(settings, entry_points=False, default_plugins=BUILTIN).metrics()
    assert len(specs) >= 50
    assert set(specs) == set(snap.metrics)
    for m in snap.metrics.values():
        assert m.formula and m.unit and m.category and m.name


def test_values_have_provenance_of_the_day(world: Any) -> None:
    _, _, snap, _ = world
    with_value = [m for m in snap.metrics.values() if m.value is not None]
    assert len(with_value) >= 50
    for m in with_value:
        assert "v_" in m.provenance.query and m.provenance.tables, m.id
        assert DAY.isoformat() in m.provenance.query, m.id


def test_shadow_metrics_match_numpy(world: Any) -> None:
    days, _, snap, _ = world
    closed = [o for o in _day(days.outcomes) if not o.counterfactual]
    closed.sort(key=lambda o: (o.ts, o.event_id))
    for mode in (None, "scalp", "runner"):
        rows = [o for o in closed if mode is None or o.mode == mode]
        r = np.array([o.return_bps for o in rows])
        sfx = "" if mode is None else f".{mode}"
        assert snap.value(f"shadow_closed{sfx}") == len(rows)
        assert snap.value(f"shadow_win_rate{sfx}") == pytest.approx((r > 0).mean())
        assert snap.value(f"shadow_pnl_bps{sfx}") == pytest.approx(r.sum())
        assert snap.value(f"shadow_avg_return_bps{sfx}") == pytest.approx(r.mean())
        if (r < 0).any():
            assert snap.value(f"shadow_profit_factor{sfx}") == pytest.approx(r[r > 0].sum() / -r[r < 0].sum())
        else:  # no losing trade: undefined, said so rather than infinite
            pf = snap.metrics[f"shadow_profit_factor{sfx}"]
            assert pf.value is None and "no losing" in pf.status_reason
        equity = np.concatenate(([0.0], np.cumsum(r)))
        assert snap.value(f"shadow_max_drawdown_bps{sfx}") == pytest.approx(
            np.max(np.maximum.accumulate(equity) - equity)
        )
    assert snap.value("shadow_trades") == len(_day([e for e in days.events if e.type == "shadow_trade"]))


def test_rates_carry_n_and_wilson_interval(world: Any) -> None:
    days, _, snap, _ = world
    m = snap.metrics["shadow_win_rate.scalp"]
    rows = [o for o in _day(days.outcomes) if not o.counterfactual and o.mode == "scalp"]
    wins = sum(o.win for o in rows)
    assert m.n == len(rows)
    assert m.interval is not None and m.interval.method == "wilson"
    assert (m.interval.low, m.interval.high) == pytest.approx(wilson_interval(wins, len(rows)))


def test_gate_metrics_match(world: Any) -> None:
    days, _, snap, _ = world
    gd = _day(days.gate_decisions)
    for gate in ("meta_label", "cost_gate", "spread_gate"):
        for mode in ("scalp", "runner"):
            rows = [g for g in gd if g.gate == gate and g.mode == mode]
            assert snap.value(f"gate_pass_rate.{gate}.{mode}") == pytest.approx(np.mean([g.passed for g in rows]))
        blocks = [o for o in _day(days.outcomes) if o.counterfactual and gate in o.blocked_by]
        assert snap.value(f"gate_accuracy.{gate}") == pytest.approx(np.mean([not o.win for o in blocks]))
        assert snap.value(f"gate_blocked_pnl_bps.{gate}") == pytest.approx(sum(o.return_bps for o in blocks))
        winners = [o for o in _day(days.outcomes) if o.win]
        assert snap.value(f"gate_blocked_winners_share.{gate}") == pytest.approx(
            sum(o.win for o in blocks) / len(winners)
        )
    sigs = _day(days.signals)
    failed = {g.signal_id for g in gd if not g.passed}
    assert snap.value("signals") == len(sigs)
    assert snap.value("signals_blocked") == len({s.signal_id for s in sigs} & failed)
    assert snap.value("signals_passed") + snap.value("signals_blocked") == len(sigs)
    assert snap.metrics["gate_pass_rate.meta_label.scalp"].targets.min == 0.15  # from gates.yaml


def test_learning_metrics_match_sklearn(world: Any) -> None:
    days, _, snap, _ = world
    cal = days.calibrations[DAY]
    y, p = np.array(cal.outcomes), np.array(cal.predictions)
    auc = snap.metrics["model_auc"]
    assert auc.value == pytest.approx(roc_auc_score(y, p))
    assert auc.interval is not None and auc.interval.method == "bootstrap"
    assert auc.interval.low < auc.value < auc.interval.high
    assert snap.value("model_brier") == pytest.approx(brier_score_loss(y, p))
    assert snap.value("model_log_loss") == pytest.approx(log_loss(y, p))
    # ECE with 10 equal-width bins, computed independently.
    bins = np.minimum((p * 10).astype(int), 9)
    ece = sum(
        abs(y[bins == b].mean() - p[bins == b].mean()) * (bins == b).sum() for b in range(10) if (bins == b).any()
    )
    assert snap.value("model_ece") == pytest.approx(ece / len(p))
    # The change is of the recomputed AUCs, with an interval from both bootstrap intervals.
    prev = days.calibrations[DAY - timedelta(days=1)]
    change = snap.metrics["model_auc_change"]
    expected = roc_auc_score(y, p) - roc_auc_score(prev.outcomes, prev.predictions)
    assert change.value == pytest.approx(expected)
    assert change.interval is not None and change.interval.low < change.value < change.interval.high
    assert change.n == min(len(p), len(prev.predictions))
    s = days.sessions[DAY]
    assert snap.value("samples_total") == s.samples_historical + s.samples_shadow


def test_live_and_pipeline_metrics(world: Any) -> None:
    days, _, snap, _ = world
    live = np.array([o.return_bps for o in _day(days.live)])
    shadow = np.array([o.return_bps for o in _day(days.outcomes) if not o.counterfactual])
    assert snap.value("live_win_rate") == pytest.approx((live > 0).mean())
    assert snap.value("live_shadow_gap_bps") == pytest.approx(live.mean() - shadow.mean())
    assert snap.value("events_total") == len(_day(days.events))
    assert snap.value("events_total.engine") + snap.value("events_total.hamilton") + snap.value(
        "events_total.huracan"
    ) == snap.value("events_total")
    assert snap.value("events_dropped") == 12
    assert snap.value("kill_switch_s") == 300
    totals = [max(s.start_offset_ms + s.duration_ms for s in t.spans) for t in _day(days.traces)]
    assert snap.value("decision_latency_p50_ms") == pytest.approx(np.percentile(totals, 50))
    assert snap.value("decision_latency_p95_ms") == pytest.approx(np.percentile(totals, 95))


def test_data_quality_metrics(world: Any) -> None:
    _, _, snap, _ = world
    assert snap.value("signals_missing_features") == 3
    assert snap.value("duplicate_event_ids") == 1
    assert snap.value("late_outcomes") == 0
    assert snap.metrics["leakage_rejections"].status == "no_data"
    assert "leakage_rejected" in snap.metrics["leakage_rejections"].status_reason


def test_comparisons_are_precomputed(world: Any) -> None:
    days, _, snap, _ = world
    m = snap.metrics["shadow_closed"]
    per_day = [
        len([o for o in _day(days.outcomes, DAY - timedelta(days=k)) if not o.counterfactual]) for k in range(1, 8)
    ]
    assert m.vs_prev_day is not None and m.vs_prev_day.baseline == per_day[0]
    assert m.vs_prev_day.delta == m.value - per_day[0]
    assert m.vs_7d_mean is not None and m.vs_7d_mean.baseline == pytest.approx(np.mean(per_day))
    # 90 % wins today against ~35 % all week on hundreds of trades: a real change.
    wr = snap.metrics["shadow_win_rate"]
    assert wr.vs_7d_mean is not None and wr.vs_7d_mean.significant is True
    assert wr.vs_7d_mean.direction == "up"


def test_readiness_alerts_and_self_check(world: Any) -> None:
    _, _, snap, _ = world
    r = snap.readiness
    assert r is not None and r.model_id == sha(f"model-{DAY}")
    assert r.checks["exported"] is True and r.checks["acknowledged"] is False
    # The day's export is never acknowledged: a warning alert as an Alert event.
    pending = [a for a in snap.alerts if a["metric_id"] == "exports_pending_ack"]
    assert pending and snap.value("exports_pending_ack") == 1
    alert = parse_event(pending[0])
    assert isinstance(alert, Alert) and alert.severity == Severity.WARNING
    assert snap.metrics["exports_pending_ack"].status == "warning"
    # 3 signals lack a gate input but every signal has gate decisions: sums hold.
    assert snap.self_check.passed, snap.self_check.problems
    assert snap.insights and snap.insights == sorted(snap.insights, key=lambda i: -i["importance"])


def test_eight_days_cost_few_queries_over_the_connection_contract(world: Any) -> None:
    _, _, snap, conn = world
    # ~120 metrics x 8 days, but each daily query runs once over the whole window.
    assert len(conn.statements) <= 40, len(conn.statements)
    assert len(snap.metrics) * 8 > 10 * len(conn.statements)


def test_ungated_signals_do_not_fail_the_part_sum(tmp_path: Path) -> None:
    # Signals without gate decisions are neither passed nor blocked: signals_ungated
    # counts them, and the self-check adds them in (#12: no false "parts sum" critical).
    days = build_days(days=2, signals_per_day=20, ungated_on_end=4)
    settings, store = _store(tmp_path, days)
    with store:
        snap = compute_snapshot(
            store, DAY, get_plugins(settings, entry_points=False, default_plugins=BUILTIN), settings
        )
    assert snap.value("signals_ungated") == 4 and snap.metrics["signals_ungated"].status == "warning"
    assert snap.value("signals") == snap.value("signals_passed") + snap.value("signals_blocked") + 4  # type: ignore[operator]
    assert snap.self_check.passed, snap.self_check.problems
    assert not any(i["kind"] == "self_check" for i in snap.insights)


def test_self_check_catches_a_broken_part_sum(tmp_path: Path) -> None:
    # signals_passed computed wrongly (999): the parts no longer add up to signals.
    days = build_days(days=2, signals_per_day=20)
    settings, store = _store(tmp_path, days)
    with store:
        specs = get_plugins(settings, entry_points=False, default_plugins=BUILTIN).metrics()
        real = specs["signals_passed"]
        specs["signals_passed"] = MetricSpec(
            **{**real.__dict__, "compute": lambda ctx: MetricResult(**{**real.compute(ctx).__dict__, "value": 999.0})}
        )
        snap = compute_snapshot(store, DAY, specs, settings)
    assert not snap.self_check.passed
    assert any(
        p.startswith("signals = 20 but its parts signals_passed + signals_blocked + signals_ungated sum to")
        for p in snap.self_check.problems
    ), snap.self_check.problems


class _Broken:
    """A third-party metric plugin whose compute function raises."""

    name = "broken_metrics"

    @hookimpl
    def huracan_register_metrics(self, settings: Any) -> list[MetricSpec]:
        def boom(ctx: Any) -> MetricResult:
            raise ZeroDivisionError("bad denominator")

        def fine(ctx: Any) -> MetricResult:
            return MetricResult(value=1.5, query="SELECT 1.5", row_count=1)

        return [
            MetricSpec(id="ext.boom", name="Boom", category="ext", unit="ratio", formula="1/0", compute=boom),
            MetricSpec(
                id="ext.fine",
                name="Fine",
                category="ext",
                unit="ratio",
                formula="1.5",
                compute=fine,
                alerts={"critical": "value > 1"},
                range=(0.0, 1.0),
            ),
        ]


def test_a_raising_metric_is_no_data_and_the_snapshot_survives(tmp_path: Path) -> None:
    days = build_days(days=2, signals_per_day=10)
    settings, store = _store(tmp_path, days)
    plugins = get_plugins(settings, entry_points=False, plugins=[_Broken()], default_plugins=BUILTIN)
    with store:
        snap = compute_snapshot(store, DAY, plugins, settings)
    boom = snap.metrics["ext.boom"]
    assert boom.value is None and boom.status == "no_data"
    assert "broken_metrics" in boom.status_reason and "bad denominator" in boom.status_reason
    assert "bad denominator" in snap.disabled_plugins["broken_metrics"]
    assert snap.value("signals") == 10  # everything else computed
    fine = snap.metrics["ext.fine"]
    assert fine.status == "critical"
    assert any(a["metric_id"] == "ext.fine" and a["severity"] == "CRITICAL" for a in snap.alerts)
    assert any("ext.fine = 1.5 is outside its declared range" in p for p in snap.self_check.problems)
    assert math.isfinite(snap.metrics["signals"].value or 0)

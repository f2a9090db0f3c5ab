"""Metric alerts and statuses: distinct alert names, per-part rules, key metrics, honest rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from huracan.analytics.metrics import alert_name, compute_snapshot, evaluate_status
from huracan.analytics.snapshot import Targets
from huracan.config import load_config
from huracan.digest.alerts import AlertDispatcher
from huracan.events import Alert, parse_event
from huracan.plugins.builtin.metrics.catalog import CatalogError, build_specs, load_catalog
from huracan.plugins.manager import get_plugins
from huracan.plugins.testing import events_connection
from huracan.plugins.types import DeliveryResult, MetricResult, MetricSpec

DAY = date(2025, 11, 6)


def constant(mid: str, value: float, **kw: Any) -> MetricSpec:
    return MetricSpec(
        id=mid,
        name=kw.pop("name", mid.replace("_", " ").capitalize()),
        category="test",
        unit=kw.pop("unit", "count"),
        formula="a constant",
        compute=lambda ctx: MetricResult(value=value, query="SELECT 1", row_count=1, n=kw.get("n")),
        **{k: v for k, v in kw.items() if k != "n"},
    )


class FakeNotifier:
    name = "fake"

    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def enabled(self) -> bool:
        return True

    async def send_digest(self, rendered: Any) -> DeliveryResult:
        return DeliveryResult(self.name, True)

    async def send_alert(self, alert: Alert) -> DeliveryResult:
        self.sent.append(alert)
        return DeliveryResult(self.name, True, "sent")


def _snapshot_alerts(specs: list[MetricSpec]) -> list[Alert]:
    # No events at all: a 24/7 calendar makes the day a trading day, so a 0 is judged.
    settings = load_config()
    settings.analytics.trading_calendar = "always"
    snap = compute_snapshot(events_connection([]), DAY, {s.id: s for s in specs}, settings)
    alerts = [parse_event(a) for a in snap.alerts]
    assert all(isinstance(a, Alert) for a in alerts)
    return alerts  # type: ignore[return-value]


async def test_each_metric_alert_has_its_own_name_so_the_cooldown_does_not_silence_others() -> None:
    alerts = _snapshot_alerts(
        [
            constant("events_total.engine", 0, alerts={"critical": "value == 0"}),
            constant("shadow_pnl_bps", -120.6, unit="bps", precision=1, alerts={"warning": "value < 0"}),
        ]
    )
    by_metric = {a.metric_id: a for a in alerts}
    assert by_metric["events_total.engine"].name == "metric.events_total.engine.critical"
    assert by_metric["shadow_pnl_bps"].name == alert_name("shadow_pnl_bps", "warning")
    assert by_metric["shadow_pnl_bps"].message == "Shadow pnl bps is -120.6 bps on 2025-11-06: below 0.0 bps"
    assert {a.data_day for a in alerts} == {"2025-11-06"}

    clock = [0.0]
    notifier = FakeNotifier()
    dispatcher = AlertDispatcher({"fake": notifier}, cooldown_s=300, clock=lambda: clock[0])
    for a in alerts:
        assert await dispatcher.send(a)  # both delivered: different metrics
    assert [a.metric_id for a in notifier.sent] == [a.metric_id for a in alerts]
    clock[0] = 60.0
    assert await dispatcher.send(alerts[0]) == []  # the same one again: held back
    assert dispatcher.suppressed == {alerts[0].name: 1}
    clock[0] = 301.0
    assert await dispatcher.send(alerts[0])  # and sent again after the cooldown


def test_a_target_miss_is_a_warning_never_critical_and_says_why_in_words() -> None:
    spec = constant("shadow_win_rate.runner", 0.45, unit="fraction", precision=1, targets=Targets(min=0.87))
    status, reason, fired = evaluate_status(spec, {"value": 0.45, "n": 42})
    assert (status, reason, fired) == ("warning", "below the 87.0 % target", [])
    spec = constant("x", -35.9, unit="bps", precision=1, alerts={"warning": "value < 0 and n >= 20"})
    status, reason, fired = evaluate_status(spec, {"value": -35.9, "n": 58})
    assert status == "warning" and reason == "below 0.0 bps on 58 samples"
    assert fired[0][1] == "value < 0 and n >= 20"  # the rule itself stays on the alert's record


CATALOG = """
metrics:
  t_events:
    category: t
    name: Events
    unit: count
    formula: events
    key: true
    targets: {min: 10}
    alerts: {critical: value == 0}
    parts: sources
    part_alerts:
      hamilton: {warning: value == 0}
      huracan: {}
    part_targets:
      "*": {}
      engine: {min: 5}
  t_rate:
    category: t
    name: Rate
    unit: fraction
    formula: rate
    key: true
    total: false
    alerts: {warning: value < 0.4}
    parts: modes
    part_alerts:
      "*": {warning: value < 0.3}
      scalp: {critical: value < 0.1}
"""


def _catalog(tmp_path: Path, text: str) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "metrics.yaml"  # a new path per catalog: load_catalog caches by path
    path.write_text(text)
    return load_config(data_dir=tmp_path, analytics={"metrics_file": str(path)})


def test_part_alerts_and_part_targets_replace_the_totals_per_part(tmp_path: Path) -> None:
    settings = _catalog(tmp_path, CATALOG)
    fn = lambda ctx, part: MetricResult(value=1.0, query="SELECT 1", row_count=1)  # noqa: E731
    specs = {s.id: s for s in build_specs("t", {"t_events": fn, "t_rate": fn}, settings)}
    assert specs["t_events"].alerts == {"critical": "value == 0"}
    assert specs["t_events.engine"].alerts == {"critical": "value == 0"}  # not named: the total's
    assert specs["t_events.hamilton"].alerts == {"warning": "value == 0"}
    assert specs["t_events.huracan"].alerts == {}
    assert specs["t_events"].targets == Targets(min=10)
    assert specs["t_events.engine"].targets == Targets(min=5)
    assert specs["t_events.hamilton"].targets is None  # "*": {} — no targets for parts
    assert specs["t_rate.runner"].alerts == {"warning": "value < 0.3"}  # "*"
    assert specs["t_rate.scalp"].alerts == {"critical": "value < 0.1"}
    # key: the total carries it (parts ride in its family row); total: false → every part
    assert specs["t_events"].key and not specs["t_events.engine"].key
    assert specs["t_rate.runner"].key and specs["t_rate.scalp"].key


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    part_alerts: {engine: {warning: 'value <'}}\n", "part_alerts.engine"),
        ("    part_alerts: {engine: {urgent: value == 0}}\n", "alert severity 'urgent'"),
        ("    key: yes please\n", "key must be true or false"),
    ],
)
def test_bad_part_settings_fail_naming_the_metric(tmp_path: Path, extra: str, message: str) -> None:
    text = "metrics:\n  x:\n    category: t\n    name: X\n    unit: count\n    formula: f\n    parts: sources\n"
    settings = _catalog(tmp_path, text + extra)
    with pytest.raises(CatalogError, match=message):
        load_catalog(settings)
    no_parts = "metrics:\n  y:\n    category: t\n    name: Y\n    unit: count\n    formula: f\n"
    with pytest.raises(CatalogError, match="need parts"):
        load_catalog(_catalog(tmp_path / "b", no_parts + "    part_alerts: {scalp: {}}\n"))


def test_the_packaged_catalog_judges_each_part_on_its_own() -> None:
    specs = get_plugins(load_config(), entry_points=False, default_plugins=("huracan.plugins.builtin.metrics",))
    m = specs.metrics()
    # 0 events from Huracan itself is a normal day; 0 from the Engine is an outage.
    assert m["events_total.huracan"].alerts == {}
    assert m["events_total.engine"].alerts == {"critical": "value == 0"}
    assert "critical" not in m["events_total.hamilton"].alerts
    # The desk's per-mode win-rate goals stay, as targets (a miss is a warning at most).
    assert m["shadow_win_rate.runner"].targets == Targets(min=0.87, ideal=0.90)
    assert "critical" not in m["shadow_win_rate.runner"].alerts
    # The daily P&L goal is for all modes together.
    assert m["shadow_pnl_bps"].targets == Targets(min=50, ideal=100)
    assert m["shadow_pnl_bps.scalp"].targets is None
    # meta_label is built to block most signals: a looser winners-blocked rule.
    assert m["gate_blocked_winners_share.meta_label"].alerts == {"warning": "value > 0.9 and n >= 30"}
    assert m["gate_blocked_winners_share.cost_gate"].alerts == {"warning": "value > 0.5 and n >= 30"}
    key = sorted(mid for mid, s in m.items() if s.key)
    assert 15 <= len(key) <= 20, key
    for needed in ("model_auc", "model_ece", "samples_total", "shadow_win_rate", "gate_overall_pass_rate"):
        assert needed in key


@pytest.mark.slow
def test_a_healthy_simulated_history_raises_no_critical(huracan_store: Any) -> None:
    settings = huracan_store.settings
    plugins = get_plugins(settings, entry_points=False, default_plugins=("huracan.plugins.builtin.metrics",))
    conn = huracan_store.cursor()
    days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM v_signal ORDER BY day").fetchall()]
    for day in days:
        snap = compute_snapshot(conn, day, plugins, settings)
        critical = {mid: m.status_reason for mid, m in snap.metrics.items() if m.status == "critical"}
        assert critical == {}, (day, critical)
        assert snap.metrics["events_total.huracan"].status == "ok"
        names = [a["name"] for a in snap.alerts]
        assert len(names) == len(set(names)) and all(n.startswith("metric.") for n in names)
        for m in snap.metrics.values():
            assert "alert rule" not in m.status_reason and "`" not in m.status_reason, (m.id, m.status_reason)

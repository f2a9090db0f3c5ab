"""Plausibility, human durations, charts that say the span they cover, one importance scale (#12)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sparse_calendar import END, Sparse, build

from huracan.analytics.format import format_duration, format_number, format_value
from huracan.analytics.learning import feature_drift, importance_history, normalise_importances
from huracan.analytics.metrics import compute_snapshot
from huracan.analytics.snapshot import MetricsSnapshot, MetricValue, Provenance
from huracan.config import load_config
from huracan.council.numbers import extract_numbers
from huracan.digest.build import build_digest
from huracan.digest.charts import draw_charts, span_text
from huracan.digest.history import load_history
from huracan.plugins.manager import get_plugins
from huracan.plugins.types import MetricResult, MetricSpec
from huracan.store import Store
from tests.test_metrics_alerts import events_connection

_UNIT_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0}


@given(st.floats(0, 40 * 86400, allow_nan=False))
def test_a_duration_reads_back_to_its_seconds(seconds: float) -> None:
    text = format_duration(seconds)
    (tok,) = extract_numbers(f"Average holding time {text} today.")
    assert tok.unit in _UNIT_SECONDS
    back = tok.value * _UNIT_SECONDS[tok.unit]
    assert abs(back - seconds) <= tok.tolerance * _UNIT_SECONDS[tok.unit] + 1e-6
    assert text.endswith(" s") == (round(seconds) < 120)  # seconds only under 2 minutes
    # never rounded coarser than the verifier checks: 5 % of the number or its own precision
    assert tok.tolerance <= max(0.05 * tok.value, 0.5) + 1e-9, text


def test_a_short_duration_in_minutes_is_verified_against_its_metric() -> None:
    from huracan.council.verifier import verify

    for seconds in (121.0, 599.0, 1_190.0, 7_190.0):
        m = MetricValue(id="hold", name="Average holding time", category="shadow", unit="seconds", precision=0,
                        value=seconds, formula="", provenance=Provenance(query="SELECT 1", row_count=1), status="ok")  # fmt: skip
        snap = MetricsSnapshot(
            date=date(2025, 11, 6), generated_at=datetime(2025, 11, 7, tzinfo=UTC), metrics={"hold": m}
        )
        report = verify(f"Average holding time was {format_value(m)} today.", snap)
        assert report.ok, (seconds, report.numbers)


def test_the_issue_holding_time_and_format_number() -> None:
    assert format_number(25_796, "seconds", 0) == "7.2 h"
    assert format_number(2_580, "seconds", 0) == "43 min"
    assert format_number(-900, "seconds", 0, signed=True, delta=True) == "-15.0 min"


def _constant(mid: str, value: float, n: int, **kw: Any) -> MetricSpec:
    return MetricSpec(
        id=mid, name=kw.pop("name", mid), category="shadow", unit=kw.pop("unit", "ratio"), formula="",
        compute=lambda ctx: MetricResult(value=value, query="SELECT 1 FROM v_x", row_count=1, n=n), **kw,
    )  # fmt: skip


def test_an_implausible_sharpe_is_said_and_not_news() -> None:
    specs = {
        "shadow_sharpe_30d": _constant("shadow_sharpe_30d", 20.44, 30, name="Shadow Sharpe ratio (30 days)",
                                       plausible=(-10.0, 10.0), kind="days", min_n=20),
        "shadow_sortino_30d": _constant("shadow_sortino_30d", 193.98, 30, name="Shadow Sortino ratio (30 days)",
                                        plausible=(-20.0, 20.0), kind="days", min_n=20),
        "hold": _constant("hold", 25_796.0, 40, unit="seconds", name="Average holding time", plausible=(0, 2_592_000)),
    }  # fmt: skip
    snap = compute_snapshot(events_connection([]), date(2025, 11, 6), specs, load_config())
    assert snap.self_check.passed  # possible arithmetic, implausible inputs: a warning, not a failure
    assert [w.split(" = ")[0] for w in snap.self_check.warnings] == ["shadow_sharpe_30d", "shadow_sortino_30d"]
    assert "20.44 on 30 days is outside any plausible range [-10, 10]" in snap.self_check.warnings[0]
    d = build_digest(snap, None, None, load_config(), charts=False)
    assert any(b.startswith("Implausible, check before trusting: Shadow Sharpe ratio") for b in d.verdict.bullets)
    pipeline = next(s for s in d.sections if s.key == "pipeline")
    assert any(n.startswith("implausible: shadow_sortino_30d = 193.98") for n in pipeline.notes)


# -- charts and the importance scale on the sparse real calendar --------------------------


@pytest.fixture(scope="module")
def sparse_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Sparse]:
    sp = build()
    data = tmp_path_factory.mktemp("sparse") / "data"
    with Store.open(load_config(data_dir=data)) as store:
        store.write_events(sp.events)
    return data, sp


def test_charts_say_the_span_the_data_covers(sparse_store: tuple[Path, Sparse]) -> None:
    data, _ = sparse_store
    cfg = load_config(data_dir=data)
    with Store.open(cfg, read_only=True) as store:
        h = load_history(store.cursor(), END, days=30)
        snap = compute_snapshot(store.cursor(), END, get_plugins(cfg), cfg)
    closes = sorted({d for series in h.shadow_pnl_bps.values() for d, _ in series})
    trained = [p.day for p in h.training]
    assert len(trained) < 30 and len(closes) < 30  # weekends: no data
    charts = {c.key: c for c in draw_charts(h, snap)}
    assert span_text(trained) in charts["learning"].alt and "30 days" not in charts["learning"].alt
    assert f"on {len(closes)} days with data" in charts["shadow_pnl"].alt
    assert span_text([END]) == f"on {END:%d %b} only"


def test_feature_importance_has_one_scale_in_cli_chart_and_history(sparse_store: tuple[Path, Sparse]) -> None:
    data, _ = sparse_store
    with Store.open(load_config(data_dir=data), read_only=True) as store:
        conn = store.cursor()
        h = load_history(conn, END, days=30)
        hist = importance_history(conn, until=END)
    now, prev = hist[-1]["importances"], hist[-2]["importances"]
    assert h.importance_now == pytest.approx(normalise_importances(now))
    assert sum(h.importance_now.values()) == pytest.approx(1.0)
    drift = feature_drift(prev, now)  # what `learning summary` / `learning features` print
    for mv in drift.moves:
        assert mv.after == pytest.approx(h.importance_now[mv.feature])
        assert mv.before == pytest.approx(h.importance_prev[mv.feature])


def test_span_text_examples() -> None:
    days = [END - timedelta(days=k) for k in (0, 3, 4)]
    assert span_text(days) == f"on 3 days with data, {min(days):%d %b} to {END:%d %b}"
    assert span_text([]) == "with no data"
